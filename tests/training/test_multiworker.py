"""``--strategy=multiworker``: two workers on loopback train like one process (issue 12).

Each test starts two fresh worker processes (``multiworker_run.py``) with their own TF_CONFIG
on free loopback ports, one CPU each, running ``tfgen.training.train(strategy="multiworker")``,
and fails with the workers' logs if they do not finish within ``TIMEOUT`` seconds (a collective
whose peer is gone waits forever). They are slow (two TensorFlow start-ups each).
"""

import dataclasses
import glob
import os
import sys

import numpy as np
import pytest

from tfgen.training import TrainConfig, train
from tfgen.training.checkpoints import CheckpointStore

sys.path.insert(0, os.path.dirname(__file__))
from multiworker_run import (  # noqa: E402
    kill_all,
    load_state,
    run_workers,
    start_workers,
    state_callbacks,
    wait_workers,
)

TIMEOUT = 420  # seconds for a whole 2-worker run: ~40 s alone on 2 cores, 200+ s when shared
SMALL_VAE = {"latent_dim": 4, "filters": 4, "conv_layers": 2, "downsamples": 1}
SMALL_GAN = {"generator": "toy_mlp", "critic": "toy_mlp", "generator_dim": 16,
             "critic_dim": 16, "latent_dim": 2}
CASES = {  # model -> (model config, dataset, global batch)
    "vae": (SMALL_VAE, "binarized_fashion_mnist", 16),
    "gan": (SMALL_GAN, "8gaussians", 5 * 8),  # n_critic = 5 minibatches of 8 per step
}


def config(dataset, batch_size, output_dir, **kw) -> TrainConfig:
    base = dict(dataset=dataset, batch_size=batch_size, train_steps=4, steps_per_epoch=2,
                checkpoint_every=2, eval_batches=2, sample_images=0, export=False, verbose=0,
                train_examples=512, output_dir=str(output_dir))
    base.update(kw)
    return TrainConfig(**base)


def spec(model, model_config, cfg: TrainConfig, weights_out: str = "") -> dict:
    return {"model": model, "model_config": model_config,
            "train_config": dataclasses.asdict(cfg), "weights_out": weights_out}


@pytest.mark.slow
@pytest.mark.parametrize("model", sorted(CASES))
def test_two_workers_end_with_the_weights_of_one_process(model, tmp_path):
    """Same global batch, same seed: both workers hold identical weights and optimizer state
    (bit for bit: the all-reduce hands every worker the same sum), and those equal one process
    under the default strategy up to float32 summation order: the gradient is summed over 2 x
    half the batch instead of over the batch at once (a few ulps per step), which Adam's
    normalised steps carry into the weights and its second moments (values up to ~30: a
    relative 1e-5 as well as an absolute 1e-5). That is >1000x below the state's movement
    (checked), so a wrong scaling (a per-replica mean: 2x the step), another batch split or
    unsynchronised noise fails it."""
    model_config, dataset, batch = CASES[model]
    cfg = config(dataset, batch, tmp_path / "multi", strategy="multiworker")
    results = run_workers(spec(model, model_config, cfg, str(tmp_path / "w{index}.npz")),
                          str(tmp_path / "logs"), TIMEOUT)
    assert [r["task_index"] for r in results] == [0, 1]
    assert [r["step"] for r in results] == [4, 4]
    workers = [load_state(str(tmp_path / f"w{i}.npz")) for i in (0, 1)]
    for a, b in zip(*workers):
        np.testing.assert_array_equal(a, b)

    single_out = str(tmp_path / "single.npz")
    train(model, model_config, dataclasses.replace(cfg, strategy="default",
                                                   output_dir=str(tmp_path / "single")),
          callbacks=state_callbacks(single_out))
    single, begin = load_state(single_out), load_state(single_out, "begin")
    for a, b in zip(begin, load_state(str(tmp_path / "w0.npz"), "begin")):
        np.testing.assert_array_equal(a, b)  # the same initial weights (chief's, broadcast)
    assert len(single) == len(workers[0])
    diff = max(_max_abs(a, b) for a, b in zip(single, workers[0]))
    moved = max(_max_abs(a, b) for a, b in zip(single[:len(begin)], begin)
                if a.shape == b.shape)
    print(f"{model}: max |multiworker - single| = {diff:.3g}; weights moved {moved:.3g}")
    assert moved > 1e-2, moved  # training moved the state well beyond the tolerance
    for a, b in zip(single, workers[0]):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5)
    assert results[0]["test"] == results[1]["test"]  # metrics are all-reduced, the same on both


def _max_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def _event_pids(root: str) -> set[int]:
    """The process ids in the names of TensorBoard event files (``...tfevents.T.HOST.PID.N.v2``)."""
    return {int(os.path.basename(p).rsplit(".", 3)[1]) for p in
            glob.glob(os.path.join(root, "**", "events.out.tfevents.*"), recursive=True)}


@pytest.mark.slow
def test_a_killed_worker_resumes_from_the_chiefs_checkpoint(tmp_path):
    """Worker 1 SIGKILLs itself at the end of step 7 (checkpoints every 3): the chief wrote
    checkpoint 6 before it could finish step 7 (which needs worker 1), then blocks in step 8's
    all-reduce until it is killed too. Both restarted with --resume on the same output_dir
    continue from step 6 to 12, with finite losses; only the chief wrote output_dir and the
    export (one SavedModel version, not one per worker)."""
    out = tmp_path / "run"
    cfg = config("binarized_fashion_mnist", 16, out, strategy="multiworker", train_steps=12,
                 steps_per_epoch=3, checkpoint_every=3, export_root=str(tmp_path / "exports"))
    procs = start_workers(spec("vae", SMALL_VAE, cfg), str(tmp_path / "logs1"),
                          kill_at_step={1: 7})
    try:
        procs[1].wait(timeout=TIMEOUT)
    finally:
        kill_all(procs)  # the chief never finishes step 8 alone
    assert procs[1].returncode == -9, open(procs[1].log_path).read()[-3000:]
    assert CheckpointStore(str(out / "checkpoints")).steps() == [3, 6]
    assert _event_pids(str(out)) == {procs[0].pid}  # worker 1 wrote its logs elsewhere

    resumed = dataclasses.replace(cfg, resume=True, export=True)
    procs = start_workers(spec("vae", SMALL_VAE, resumed), str(tmp_path / "logs2"))
    results = wait_workers(procs, TIMEOUT)
    for r in results:
        assert r["step"] == 12 and r["steps_this_run"] == 6, r
        assert np.isfinite(r["test"]["loss"]), r
    assert CheckpointStore(str(out / "checkpoints")).steps() == [6, 9, 12]
    assert procs[1].pid not in _event_pids(str(out))
    assert os.listdir(tmp_path / "exports" / "vae_binarized_fashion_mnist") == ["1"]
    assert results[0]["export_path"].endswith(os.path.join("vae_binarized_fashion_mnist", "1"))
    assert results[1]["export_path"] is None
