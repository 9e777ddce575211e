"""Two (or more) ``tfgen.training.train`` workers on loopback under MultiWorkerMirroredStrategy.

Used by test_multiworker.py and benchmarks/strategy_overhead.py. As a script (one worker):

    TF_CONFIG=... python tests/training/multiworker_run.py SPEC.json

``SPEC.json``: ``{"model", "model_config", "train_config" (TrainConfig fields),
"weights_out" (an .npz path for the final weights and optimizer state, or ""),
"kill_at_step" (this worker SIGKILLs itself at the end of that step; 0: never)}``. The worker
prints its ``train`` result (plus ``task_index``) on a line starting with :data:`RESULT`.

As a module: :func:`start_workers` / :func:`wait_workers` launch the workers as fresh processes
with their own ``TF_CONFIG`` on free loopback ports, one CPU thread pool each, and fail with the
workers' log tails if they do not finish in time (a collective waiting for a dead peer blocks
forever otherwise).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RESULT = "multiworker result: "  # the line that carries a worker's JSON result


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports that were free on 127.0.0.1 a moment ago."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def tf_config(ports: list[int], index: int) -> str:
    """TF_CONFIG of worker ``index`` of a loopback cluster (worker 0 is the chief)."""
    return json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                       "task": {"type": "worker", "index": index}})


def start_workers(spec: dict, log_dir: str, num_workers: int = 2,
                  kill_at_step: dict[int, int] | None = None) -> list[subprocess.Popen]:
    """Start ``num_workers`` workers of ``spec``; ``kill_at_step`` maps a worker index to the
    step after which it SIGKILLs itself. Logs go to ``log_dir/worker<i>.log``."""
    os.makedirs(log_dir, exist_ok=True)
    ports = free_ports(num_workers)
    procs = []
    for i in range(num_workers):
        worker_spec = dict(spec, kill_at_step=(kill_at_step or {}).get(i, 0))
        if spec.get("weights_out"):
            worker_spec["weights_out"] = spec["weights_out"].format(index=i)
        spec_path = os.path.join(log_dir, f"worker{i}.json")
        with open(spec_path, "w") as f:
            json.dump(worker_spec, f)
        env = dict(os.environ, TF_CONFIG=tf_config(ports, i), TF_CPP_MIN_LOG_LEVEL="2",
                   PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]),
                   TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="2")
        log = open(os.path.join(log_dir, f"worker{i}.log"), "w")
        procs.append(subprocess.Popen([sys.executable, __file__, spec_path], env=env,
                                      stdout=log, stderr=subprocess.STDOUT, cwd=ROOT))
        log.close()
        procs[-1].log_path = log.name
    return procs


def _tail(path: str, chars: int = 2500) -> str:
    with open(path, errors="replace") as f:
        return f.read()[-chars:]


def kill_all(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
    for p in procs:
        p.wait()


def wait_workers(procs: list[subprocess.Popen], timeout: float,
                 expect_success: bool = True) -> list[dict | None]:
    """Wait for every worker; returns each one's result (None for one that printed none).

    Past ``timeout`` seconds all are killed and an AssertionError names the stuck ones (a
    collective blocks while a peer is missing) with their log tails. With ``expect_success``
    a worker that exits non-zero is an AssertionError with its log tail, too."""
    deadline = time.monotonic() + timeout
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            stuck = [i for i, q in enumerate(procs) if q.poll() is None]
            kill_all(procs)
            logs = "\n".join(f"--- worker {i} ---\n{_tail(q.log_path)}" for i, q in
                             enumerate(procs))
            raise AssertionError(
                f"multi-worker run: workers {stuck} did not finish within {timeout:.0f} s and "
                f"were killed (a collective waits forever for a dead or unreachable peer)\n"
                f"{logs}") from None
    results = []
    for i, p in enumerate(procs):
        if expect_success and p.returncode != 0:
            raise AssertionError(f"worker {i} exited with {p.returncode}:\n{_tail(p.log_path)}")
        with open(p.log_path, errors="replace") as f:
            lines = [ln[len(RESULT):] for ln in f.read().splitlines() if ln.startswith(RESULT)]
        results.append(json.loads(lines[-1]) if lines else None)
    return results


def run_workers(spec: dict, log_dir: str, timeout: float, num_workers: int = 2) -> list[dict]:
    """Start the workers of ``spec`` and wait for their results."""
    return wait_workers(start_workers(spec, log_dir, num_workers), timeout)


def model_state(model) -> list[np.ndarray]:
    """The model's weights and every optimizer's state (a GAN's critic optimizer included)."""
    optimizers = [model.optimizer, getattr(model, "critic_optimizer", None)]
    return [np.asarray(w) for w in model.get_weights()] + [
        np.asarray(v) for opt in optimizers if opt is not None for v in opt.variables]


def load_state(path: str, when: str = "end") -> list[np.ndarray]:
    """The :func:`model_state` that :func:`state_callbacks` saved at the ``"begin"`` or
    ``"end"`` of training."""
    with np.load(path) as f:
        count = sum(name.startswith(when + "_") for name in f.files)
        return [f[f"{when}_{i}"] for i in range(count)]


def state_callbacks(weights_out: str, kill_at_step: int = 0) -> tuple:
    """Callbacks for ``train``: save :func:`model_state` at the begin and end of training to
    ``weights_out`` (an .npz read by :func:`load_state`; "" for none); with ``kill_at_step``,
    SIGKILL this process at the end of that step."""
    import keras

    class SaveState(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.begin = model_state(self.model)

        def on_train_end(self, logs=None):
            if weights_out:
                end = model_state(self.model)
                np.savez(weights_out, **{f"{when}_{i}": a for when, state in
                                         (("begin", self.begin), ("end", end))
                                         for i, a in enumerate(state)})

    class KillAt(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if int(self.model.optimizer.iterations.numpy()) == kill_at_step:
                os.kill(os.getpid(), signal.SIGKILL)

    return (SaveState(),) + ((KillAt(),) if kill_at_step else ())


def main(spec_path: str) -> None:
    with open(spec_path) as f:
        spec = json.load(f)
    import keras

    from tfgen.training import TrainConfig, train

    keras.config.disable_traceback_filtering()  # a failing worker's log shows where, in full

    cfg = TrainConfig(**{k: tuple(v) if isinstance(v, list) else v
                         for k, v in spec["train_config"].items()})
    result = train(spec["model"], spec["model_config"], cfg,
                   callbacks=state_callbacks(spec.get("weights_out", ""),
                                             spec.get("kill_at_step", 0)))
    result["task_index"] = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    result.pop("history", None)
    print(RESULT + json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
