"""Benchmark: training steps per second of one model under each distribution strategy on CPU.

  .venv/bin/python benchmarks/strategy_overhead.py
  .venv/bin/python benchmarks/strategy_overhead.py --steps=20 --strategies=default,multiworker

The same model, data and GLOBAL batch through ``tfgen.training.train`` three ways, each in a
fresh process: ``default`` (one device), ``mirrored`` (MirroredStrategy over 2 logical CPU
devices, configured before TensorFlow starts) and ``multiworker`` (MultiWorkerMirroredStrategy,
2 worker processes on loopback with their own TF_CONFIG, one intra-op thread each). The first
``warmup`` steps (tracing included) are not timed; steps/s is over the next ``steps``, from the
chief's step ends. The ratio to ``default`` is each strategy's overhead on this machine. On one
CPU host the replicas share the same cores, so nothing is gained from them: the figures measure
the cost of splitting, all-reducing and (multiworker) gRPC over loopback, not a speed-up. Writes
``benchmarks/results/strategy_overhead.json`` with the load average (the cores may be shared).
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import time

from absl import app, flags

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "training"))
from multiworker_run import free_ports, tf_config  # noqa: E402  (the tests' loopback cluster)

STRATEGIES = ("default", "mirrored", "multiworker")
MODEL = "vae"
MODEL_CONFIG = {"latent_dim": 8, "filters": 8, "conv_layers": 4}
MARK = "strategy_overhead result: "

flags.DEFINE_list("strategies", list(STRATEGIES), f"of {list(STRATEGIES)}")
flags.DEFINE_integer("batch_size", 64, "global batch")
flags.DEFINE_integer("warmup", 5, "untimed steps (tracing)")
flags.DEFINE_integer("steps", 40, "timed steps")
flags.DEFINE_integer("timeout", 900, "seconds before a run is killed")
flags.DEFINE_string("measure", "", "internal: run one measurement in this process")
flags.DEFINE_string("output", os.path.join(HERE, "results", "strategy_overhead.json"),
                    "result file")
FLAGS = flags.FLAGS


def measure(strategy: str, output_dir: str) -> None:
    """One run (one worker of a multiworker run); prints its step times after warmup."""
    import tensorflow as tf

    if strategy == "mirrored":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras

    from tfgen.training import TrainConfig, train

    class StepTimes(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times = []

        def on_train_batch_end(self, batch, logs=None):
            self.times.append(time.perf_counter())

    times = StepTimes()
    total = FLAGS.warmup + FLAGS.steps
    cfg = TrainConfig(dataset="binarized_fashion_mnist", batch_size=FLAGS.batch_size,
                      train_steps=total, steps_per_epoch=total, checkpoint_every=total,
                      eval_batches=1, sample_images=0, export=False, verbose=0,
                      strategy=strategy, output_dir=output_dir)
    result = train(MODEL, MODEL_CONFIG, cfg, callbacks=[times])
    timed = times.times[FLAGS.warmup - 1:]
    seconds = timed[-1] - timed[0]
    print(MARK + json.dumps({
        "strategy": strategy, "steps": result["step"],
        "timed_steps": len(timed) - 1, "timed_seconds": round(seconds, 3),
        "steps_per_second": round((len(timed) - 1) / seconds, 3)}), flush=True)


def run(strategy: str, out_root: str) -> dict:
    """Launch one measurement (two workers for multiworker) and return the chief's result."""
    workers = 2 if strategy == "multiworker" else 1
    ports = free_ports(workers)
    procs = []
    for i in range(workers):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2",
                   PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
        if strategy == "multiworker":
            env.update(TF_CONFIG=tf_config(ports, i), TF_NUM_INTRAOP_THREADS="1")
        procs.append(subprocess.Popen(
            [sys.executable, __file__, f"--measure={strategy}", f"--warmup={FLAGS.warmup}",
             f"--steps={FLAGS.steps}", f"--batch_size={FLAGS.batch_size}",
             f"--output={os.path.join(out_root, strategy)}"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT))
    try:
        outputs = [p.communicate(timeout=FLAGS.timeout)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for p, out in zip(procs, outputs):
        if p.returncode != 0:
            raise SystemExit(f"{strategy} run failed ({p.returncode}):\n{out[-3000:]}")
    line = [ln for ln in outputs[0].splitlines() if ln.startswith(MARK)][-1]
    result = json.loads(line[len(MARK):])
    result["replicas"] = {"default": 1, "mirrored": 2, "multiworker": 2}[strategy]
    result["processes"] = workers
    print(json.dumps(result), flush=True)
    return result


def main(argv):
    del argv
    if FLAGS.measure:  # a child: FLAGS.output is its run directory
        measure(FLAGS.measure, FLAGS.output)
        return
    import tempfile

    from tfgen.utils.machine import machine_info
    from tfgen.utils.records import write_json

    unknown = sorted(set(FLAGS.strategies) - set(STRATEGIES))
    if unknown:
        raise SystemExit(f"unknown --strategies {unknown}; valid: {list(STRATEGIES)}")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as root:
        results = [run(s, root) for s in FLAGS.strategies]
    base = {r["strategy"]: r["steps_per_second"] for r in results}.get("default")
    for r in results:
        r["relative_to_default"] = round(r["steps_per_second"] / base, 3) if base else None
    write_json(FLAGS.output, {
        "benchmark": "strategy_overhead", "model": MODEL, "model_config": MODEL_CONFIG,
        "dataset": "binarized_fashion_mnist", "global_batch": FLAGS.batch_size,
        "warmup_steps": FLAGS.warmup, "unit": "training steps per second (global batch)",
        "load_average_before": [round(x, 2) for x in load_before],
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(), "results": results})
    print(f"wrote {FLAGS.output}")


if __name__ == "__main__":
    app.run(main)
