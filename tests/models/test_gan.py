"""GAN model: Algorithm 1 step structure, clipping, BN refusal, mode coverage, distribution,
mixed precision, checkpoints, export and the trainer on toy points and on real text."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from tfgen import data
from tfgen.data.sources.toy2d import centers
from tfgen.export import export_model
from tfgen.models import GAN, build_model
from tfgen.nets import registry as nets
from tfgen.training import TrainConfig, train
from tfgen.training.environment import precision_policy

HERE = os.path.dirname(__file__)
TOY = {"latent_dim": 2, "generator_dim": 32, "critic_dim": 32}
SMALL_IMAGE = {"latent_dim": 8, "generator_dim": 4, "critic_dim": 4}


def toy_gan(**kw):
    model = GAN((2,), data_kind="points", seed=0, **{**TOY, **kw})
    model.build_for()
    model.compile_for_training()
    return model


def points_ds(batch, steps=1, seed=0):
    x = tf.random.stateless_normal([batch, 2], [seed, 1])
    return tf.data.Dataset.from_tensors((x, tf.zeros([batch], tf.int64))).repeat(steps)


def image_ds(batch, shape=(28, 28, 1), steps=1, classes=10):
    x = tf.cast(tf.random.stateless_uniform([batch, *shape], [3, 4], 0, 256, tf.int32), tf.uint8)
    y = tf.range(batch, dtype=tf.int64) % classes
    return tf.data.Dataset.from_tensors((x, y)).repeat(steps)


def test_n_critic_critic_updates_per_generator_update():
    model = toy_gan(n_critic=3)
    model.fit(points_ds(12, steps=4), verbose=0)
    assert int(model.optimizer.iterations) == 4  # the trainer's step: generator iterations
    assert int(model.critic_optimizer.iterations) == 12
    dcgan = toy_gan(loss="dcgan")  # the loss' default: one critic update per generator update
    assert dcgan.n_critic == 1
    dcgan.fit(points_ds(4, steps=2), verbose=0)
    assert int(dcgan.critic_optimizer.iterations) == int(dcgan.optimizer.iterations) == 2


@pytest.mark.slow
def test_xla_step_unrolls_n_critic_critic_updates():
    # Under jit_compile the n_critic updates are unrolled in Python (a graph loop of convolutions
    # compiled 20x slower on CPU). XLA draws its noise differently, so compare counts, not weights;
    # tests/models/gan_mirrored_step.py checks that the two drivers give the same update.
    model = GAN((2,), data_kind="points", seed=0, **TOY, n_critic=3)
    model.build_for()
    model.compile_for_training(jit_compile=True)
    start = model.get_weights()
    history = model.fit(points_ds(12, steps=2), verbose=0).history
    assert int(model.optimizer.iterations) == 2
    assert int(model.critic_optimizer.iterations) == 6
    assert all(np.isfinite(v[-1]) for v in history.values())
    assert max(float(np.max(np.abs(a - b))) for a, b in zip(model.get_weights(), start)) > 1e-4


def test_each_critic_update_gets_its_own_minibatch():
    model = toy_gan(n_critic=5)
    x = tf.reshape(tf.range(40, dtype=tf.float32), [20, 2])
    chunks, _ = model._split(x, None)  # [b, n_critic, ...]: minibatch t is chunks[:, t]
    rows = [chunks[:, t].numpy()[:, 0] / 2 for t in range(5)]
    assert len(rows) == 5 and all(len(r) == 4 for r in rows)
    np.testing.assert_array_equal(np.sort(np.concatenate(rows)), np.arange(20))  # disjoint, all
    np.testing.assert_array_equal(rows[1], [1, 6, 11, 16])  # strided: t, t + n, ...
    with pytest.raises(ValueError, match=r"n_critic=5 .*multiple of n_critic x replicas = 5"):
        model._split(tf.zeros([12, 2]), None)
    # Every example of a minibatch gets its own interpolation weight ε.
    _, _, eps = model._noise(64, tf.constant([1, 2]))
    assert eps.shape == (64,) and len(np.unique(eps.numpy())) == 64


def test_weight_clipping_keeps_every_critic_weight_within_c():
    model = toy_gan(loss="wgan-clip", clip_value=0.01)
    weights = model.critic_net.trainable_variables
    assert max(float(np.max(np.abs(v.numpy()))) for v in weights) > 0.05  # fresh init exceeds c
    model.fit(points_ds(10, steps=1), verbose=0)
    for v in weights:
        assert np.all(np.abs(v.numpy()) <= 0.01 + 1e-7), v.path
    assert max(float(np.max(np.abs(v.numpy()))) for v in model.generator.trainable_variables) > 0.05


def test_batch_norm_in_a_gradient_penalty_critic_is_refused(monkeypatch):
    with pytest.raises(ValueError, match="batch normalization .* critic_norm='batch'"):
        GAN((28, 28, 1), critic_norm="batch", **SMALL_IMAGE)
    # A registered critic with BN inside is caught too, whatever the config says.
    bn_entry = nets.NetEntry(
        lambda s, d, dim, norm, options, kind: nets.dcgan.dcgan_critic(s, d, dim, "batch"),
        4, "none", ("image",), "BN critic")
    monkeypatch.setitem(nets.CRITICS, "bn_critic", bn_entry)
    with pytest.raises(ValueError, match="contains BatchNormalization"):
        GAN((28, 28, 1), critic="bn_critic", **SMALL_IMAGE)
    # Losses without a penalty may use it (the DCGAN baseline).
    GAN((28, 28, 1), loss="dcgan", critic_norm="batch", **SMALL_IMAGE)
    GAN((28, 28, 1), critic_norm="layer", **SMALL_IMAGE)  # the thesis' recommendation


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match=r"Unknown generator 'nope'; valid names: \[.*'dcgan'"):
        GAN((28, 28, 1), generator="nope")
    with pytest.raises(ValueError, match=r"Unknown critic 'nope'; valid names: \[.*'toy_mlp'"):
        GAN((2,), data_kind="points", critic="nope")
    with pytest.raises(ValueError, match=r"critic 'dcgan' does not take points data"):
        GAN((2,), data_kind="points", critic="dcgan")
    with pytest.raises(ValueError, match=r"Unknown GAN loss 'wgan'; valid names"):
        GAN((2,), data_kind="points", loss="wgan")


def covered_modes(model, name="8gaussians", n=2000):
    """Modes with at least 0.5% of n samples within 3 sigma of their centre."""
    sigma = 0.02 / 1.414  # the 8gaussians noise in data units
    samples = model.sample(n, 123).numpy()
    dist = np.linalg.norm(samples[:, None] - centers(name)[None], axis=-1)
    return int(np.sum(np.sum(dist < 3 * sigma, axis=0) >= n // 200))


@pytest.mark.slow
def test_short_wgan_gp_run_on_8gaussians_covers_more_modes():
    ds, spec = data.load("8gaussians", "train")
    # gan_toy.py's settings (λ = 0.1 for toy data, Adam β1 = 0.5), a faster decaying rate.
    model = build_model("gan", spec, latent_dim=2, generator_dim=128, critic_dim=128,
                        gp_weight=0.1, beta1=0.5, lr_decay_steps=400)
    model.build_for()
    model.compile_for_training(2e-3)
    before = covered_modes(model)
    model.fit(data.make_pipeline(ds, 5 * 64, training=True, seed=0), epochs=1,
              steps_per_epoch=400, verbose=0)
    after = covered_modes(model)
    print(f"modes covered: {before} -> {after} of 8")
    assert before <= 1 and after >= 6, (before, after)


def test_two_replicas_step_like_one_device():
    out = subprocess.run([sys.executable, os.path.join(HERE, "gan_mirrored_step.py")],
                         check=False, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    for loss, r in result.items():
        assert (r["generator_steps"], r["critic_steps"]) == (1, 2), (loss, r)
        assert r["max_abs_update"] > 1e-3, (loss, r)
        # Losses averaged per replica instead of over the global minibatch would double the
        # update: a difference as large as the update itself.
        assert r["max_abs_diff"] < 1e-4 * r["max_abs_update"], (loss, r)
    assert result["wgan-clip"]["max_abs_critic_weight"] <= 0.01 + 1e-7


def test_mixed_bfloat16_trains_with_float32_losses():
    with precision_policy("mixed_bfloat16"):
        model = GAN((28, 28, 1), **SMALL_IMAGE)
        model.build_for()
        model.compile_for_training()
        logs = model.fit(image_ds(10, steps=2), verbose=0).history
    assert model.generator.get_layer("deconv1").compute_dtype == "bfloat16"
    for name in ("loss", "generator_loss", "gradient_penalty", "wasserstein"):
        assert np.isfinite(logs[name][-1]), (name, logs)
    assert logs["gradient_penalty"][-1] > 0
    assert model.sample(3, 0).dtype == tf.uint8
    assert model.critic(model.sample(3, 0)).dtype == tf.float32


def test_checkpoint_restores_both_optimizers(tmp_path):
    model = toy_gan(n_critic=2)
    model.fit(points_ds(8, steps=3), verbose=0)
    path = str(tmp_path / "ckpt.weights.h5")
    model.save_weights(path)
    restored = GAN((2,), data_kind="points", seed=0, **TOY, n_critic=2)
    restored.build_for()
    restored.compile_for_training()
    restored.load_weights(path)
    assert int(restored.optimizer.iterations) == 3
    assert int(restored.critic_optimizer.iterations) == 6
    for a, b in [(model.optimizer, restored.optimizer),
                 (model.critic_optimizer, restored.critic_optimizer)]:
        assert len(a.variables) > 2
        for va, vb in zip(a.variables, b.variables):
            np.testing.assert_array_equal(va.numpy(), vb.numpy(), err_msg=va.path)
    # Continuing from the checkpoint is exactly continuing the original run.
    model.fit(points_ds(8, seed=1), verbose=0)
    restored.fit(points_ds(8, seed=1), verbose=0)
    for va, vb in zip(model.weights, restored.weights):
        np.testing.assert_allclose(va.numpy(), vb.numpy(), rtol=1e-6, atol=1e-7,
                                   err_msg=va.path)


def test_conditional_acgan_trains_and_samples_by_class():
    model = GAN((28, 28, 1), conditional=True, num_classes=10, **SMALL_IMAGE)
    model.build_for()
    model.compile_for_training()
    assert model.critic_net.output_shape == (None, 11)  # critic value + 10 class logits
    logs = model.fit(image_ds(10, steps=1), verbose=0).history
    assert np.isfinite(logs["classifier_loss"][-1]) and logs["classifier_loss"][-1] > 0
    z = tf.random.stateless_normal([12, 8], [7, 0])
    labels = tf.range(12) % 10
    np.testing.assert_array_equal(model.sample(12, 7), model.from_network(model.generate(z,
                                                                                         labels)))
    with pytest.raises(ValueError, match="needs labels"):
        build_model("gan", data.load("8gaussians", "test")[1], conditional=True)


@pytest.mark.slow
def test_export_sample_and_critic_round_trip_in_a_fresh_process(tmp_path):
    image = GAN((28, 28, 1), seed=1, **SMALL_IMAGE)
    image.build_for()
    points = toy_gan()
    paths = [export_model(m, root=str(tmp_path), name=n) for m, n in
             [(image, "image"), (points, "points")]]
    images = image.sample(4, 3).numpy()
    pts = np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32)
    script = textwrap.dedent(f"""
        import numpy as np
        from tfgen.export import load_exported
        image, points = (load_exported(p) for p in {paths!r})
        images = np.load({str(tmp_path / 'in.npz')!r})["images"]
        pts = np.load({str(tmp_path / 'in.npz')!r})["points"]
        np.savez({str(tmp_path / 'out.npz')!r},
                 sample=image.sample(5, 9)["images"], critic=image.critic(images)["critic"],
                 points=points.sample(6, 9)["points"], point_critic=points.critic(pts)["critic"],
                 default=sorted(image.input_specs("serving_default")))
    """)
    np.savez(tmp_path / "in.npz", images=images, points=pts)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120,
                   env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    out = np.load(tmp_path / "out.npz")
    assert out["sample"].dtype == np.uint8 and out["sample"].shape == (5, 28, 28, 1)
    assert out["critic"].dtype == np.float32 and out["critic"].shape == (4,)
    assert out["points"].dtype == np.float32 and out["points"].shape == (6, 2)
    np.testing.assert_array_equal(out["sample"], tf.function(image.sample)(5, 9))
    np.testing.assert_allclose(out["critic"], image.critic(images), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["points"], points.sample(6, 9), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["point_critic"], points.critic(pts), rtol=1e-5, atol=1e-6)
    assert list(out["default"]) == ["num_samples", "seed"]  # a GAN serves samples by default


def test_trainer_runs_resumes_and_plots_points(tmp_path):
    cfg = {"dataset": "8gaussians", "batch_size": 20, "steps_per_epoch": 2,
           "checkpoint_every": 2, "eval_batches": 1, "sample_images": 64,
           "output_dir": str(tmp_path / "run"), "verbose": 0,
           "export_root": str(tmp_path / "exports")}
    first = train("gan", {**TOY, "n_critic": 2}, TrainConfig(train_steps=4, **cfg))
    assert first["step"] == 4 and os.path.isdir(first["export_path"])
    assert {"loss", "wasserstein", "gradient_penalty"} <= set(first["test"])
    plots = sorted(os.listdir(tmp_path / "run" / "images"))
    assert plots and plots[-1] == "samples-0000004.png", plots
    second = train("gan", {**TOY, "n_critic": 2},
                   TrainConfig(train_steps=6, resume=True, export=False, **cfg))
    assert second["step"] == 6 and second["steps_this_run"] == 2


def test_gan_experiments_build():
    from tfgen.data.spec import DatasetSpec
    from tfgen.experiments import EXPERIMENTS
    shapes = {"8gaussians": ((2,), 0, "points"), "fashion_mnist": ((28, 28, 1), 10, "image"),
              "cifar10": ((32, 32, 3), 10, "image"), "fortunes": ((32, 64), 0, "text")}
    gans = [e for e in EXPERIMENTS.values() if e.model == "gan"]
    assert {"wgan_gp_8gaussians", "wgan_gp_fashion_mnist", "dcgan_fashion_mnist",
            "wgan_gp_cifar10_resnet", "wgan_gp_text"} <= {e.name for e in gans}
    for e in gans:
        shape, classes, kind = shapes[e.train_config["dataset"]]
        model = build_model("gan", DatasetSpec(e.name, shape, classes, kind, False),
                            **e.model_config)
        assert e.train_config["batch_size"] % model.n_critic == 0, e.name


def test_text_gan_takes_one_hot_sequences():
    model = GAN((8, 5), data_kind="text", latent_dim=4, generator_dim=8, critic_dim=8)
    assert model.data_kind == "text" and model.generator_name == model.critic_name == "text_cnn"
    model.build_for()
    samples = model.sample(3, 1).numpy()  # softmax rows: no sampling step
    assert samples.dtype == np.float32 and samples.shape == (3, 8, 5)
    np.testing.assert_allclose(samples.sum(-1), 1.0, rtol=1e-5)
    one_hot = np.eye(5, dtype=np.float32)[np.arange(24).reshape(3, 8) % 5]
    assert model.critic(one_hot).shape == (3,)


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isfile("/usr/share/games/fortunes/wisdom"),
                    reason="Debian package `fortunes` is not installed (apt-get install "
                           "fortunes; scripts/setup.sh does it)")
def test_trainer_trains_text_gan_on_fortunes_exports_and_decodes(tmp_path):
    from tfgen.data.sources.text import CharCodec
    from tfgen.export import load_exported

    cfg = TrainConfig(dataset="fortunes", batch_size=4, train_steps=2, steps_per_epoch=2,
                      eval_batches=1, sample_images=6, output_dir=str(tmp_path / "run"),
                      export_root=str(tmp_path / "exports"), verbose=0)
    # n_critic=1: a single penalized critic update per step traces 3x faster than 5.
    result = train("gan", {"latent_dim": 8, "generator_dim": 8, "critic_dim": 8, "n_critic": 1},
                   cfg)
    assert result["step"] == 2 and np.isfinite(result["test"]["critic_loss"])
    spec = data.get_spec("fortunes")
    with open(tmp_path / "run" / "images" / "samples-0000002.txt", encoding="utf-8") as f:
        lines = f.read().splitlines()
    assert len(lines) == 6 and all(len(line) <= 32 for line in lines)
    assert set("".join(lines)) <= set(spec.vocabulary[1:])  # decoded, PAD removed

    exported = load_exported(result["export_path"])
    assert exported.image_shape == spec.shape and exported.vocabulary == spec.vocabulary
    distributions = exported.sample(6, cfg.seed)["points"]
    assert distributions.shape == (6,) + spec.shape
    np.testing.assert_allclose(distributions.sum(-1), 1.0, rtol=1e-5)
    assert exported.decode_text(distributions) == lines  # the callback's samples, same seed
    real, _ = next(data.load("fortunes", "test")[0].batch(4).as_numpy_iterator())
    scores = exported.critic(real)["critic"]
    assert scores.shape == (4,) and np.all(np.isfinite(scores))
    assert CharCodec(spec.vocabulary).decode(real)[0]  # real text decodes to a sentence


def test_the_data_kind_is_given_never_guessed_from_the_shape():
    from tfgen.data.spec import DatasetSpec
    from tfgen.models import VAE
    with pytest.raises(ValueError, match=r"image data has shape \(H, W, C\); got \(2,\)"):
        GAN((2,), **TOY)  # a rank-1 shape is not taken for points
    with pytest.raises(ValueError, match=r"points data has shape \(D,\); got \(8, 5\)"):
        build_model("gan", DatasetSpec("p", (8, 5), 0, "points", False), **TOY)
    with pytest.raises(ValueError, match=r"takes data kinds \['image'\]; got 'points'"):
        VAE((2,), data_kind="points", likelihood="bernoulli")
    with pytest.raises(ValueError, match=r"'vae' models image data, but dataset '8g' holds points"):
        build_model("vae", DatasetSpec("8g", (2,), 0, "points", False))
    points = build_model("gan", DatasetSpec("p", (2,), 0, "points", False), **TOY)
    assert points.data_kind == "points" and points.get_config()["data_kind"] == "points"
    assert GAN.from_config(points.get_config()).data_kind == "points"
