"""The committed presets (saved_models/presets/): they load, reproduce their recorded figures,
refuse tampered files, fine-tune from their weights and export to the same log_prob.

Figures are recomputed with :func:`tfgen.presets.measure.quick_figures` on the first 256 test
images (seconds; the colour presets' photo_patches at their recorded image_size): a PixelCNN's
exact NLL, a VAE's one-sample -ELBO (seed 0) on all 256 and its ``log_prob`` (the preset's K
importance samples: 128 for Fashion-MNIST, 16 for the colour presets) on the first 4, a GAN's
critic values on the test images and on ``sample(256, seed=0)``. Tolerance: 1e-4 relative + 0.01 absolute (nats or critic units),
float32 reductions on another CPU; the full IW NLL on 256 images is measured by
train/make_presets.py (minutes), not here.
"""

import json
import os
import shutil
import sys

import numpy as np
import pytest
import tensorflow as tf

import tfgen
from tfgen.presets import PresetIntegrityError, manifest, measure, names, open_preset

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "train"))
import run  # noqa: E402

RTOL, ATOL = 1e-4, 0.01
COLOUR = {"hierarchical_pixelvae_photo_patches", "pixelcnn_pp_photo_patches",
          "iaf_vae_photo_patches"}
EXPECTED = {"pixelvae_fashion_mnist", "gated_pixelcnn_fashion_mnist", "vae_fashion_mnist",
            "wgan_gp_fashion_mnist", *COLOUR}
SMALL = "gated_pixelcnn_fashion_mnist"  # the smallest preset: tampering and export tests


class _Loaded(dict):
    """Each preset loaded once per module, on first use."""

    def __missing__(self, name):
        self[name] = tfgen.presets.load(name)
        return self[name]


@pytest.fixture(scope="module")
def models():
    return _Loaded()


@pytest.fixture(scope="module")
def images():
    cache = {}

    def get(dataset, seed=0, image_size=None):
        key = dataset, seed, image_size
        if key not in cache:
            cache[key] = measure.test_images(dataset, seed, image_size=image_size)
        return cache[key]
    return get


def test_every_expected_preset_is_registered_and_committed_small():
    assert EXPECTED <= set(names())
    total = 0
    for name in names():
        directory = open_preset(name).directory
        total += sum(os.path.getsize(os.path.join(directory, f)) for f in os.listdir(directory))
    assert total < 15e6, f"presets take {total / 1e6:.1f} MB"  # git holds them; hard cap 25 MB


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_preset_reproduces_its_recorded_figures(name, models, images):
    preset = open_preset(name)
    model = models[name]
    assert type(model).__name__ == preset.config["model_class"].rsplit(".", 1)[1]
    test = images(preset.dataset, preset.config["seed"], preset.image_size)
    assert len(test) == preset.config["eval"]["first_images"] == measure.EVAL_IMAGES
    assert list(test.shape[1:]) == list(model.image_shape) == preset.config["image_shape"]
    figures = measure.quick_figures(model, test)
    recorded = preset.config["figures"]
    for key, value in figures.items():
        np.testing.assert_allclose(value, recorded[key], rtol=RTOL, atol=ATOL, err_msg=key)
    untrained = preset.config["untrained_figures"]
    if "neg_elbo_nats" in figures:  # visibly better than the same model untrained
        assert figures["neg_elbo_nats"] < untrained["neg_elbo_nats"] - 50
        assert recorded["nll_nats"] <= recorded["neg_elbo_nats"] + ATOL  # IW bound is tighter
    elif "nll_nats" in figures:
        assert figures["nll_nats"] < untrained["nll_nats"] - 50
        np.testing.assert_allclose(figures["bits_per_dim"],
                                   figures["nll_nats"] / (np.prod(test.shape[1:]) * np.log(2)),
                                   rtol=1e-6)
    else:
        assert (recorded["sample_quality"]["frechet_distance"]
                < untrained["sample_quality"]["frechet_distance"])


def copy_preset(tmp_path, name=SMALL):
    return shutil.copytree(open_preset(name).directory, tmp_path / name)


def test_a_copied_preset_directory_loads_to_the_same_model(tmp_path, models, images):
    copy = copy_preset(tmp_path)
    model = tfgen.presets.load(str(copy))
    x = images("binarized_fashion_mnist")[:8]
    np.testing.assert_array_equal(model.log_prob(x).numpy(), models[SMALL].log_prob(x).numpy())


@pytest.mark.parametrize("how", ["flip", "truncate"])
def test_a_changed_weights_file_is_refused_naming_it(tmp_path, how):
    copy = copy_preset(tmp_path)
    path = copy / manifest.WEIGHTS
    data = bytearray(path.read_bytes())
    if how == "flip":
        data[len(data) // 2] ^= 0x01
    else:
        data = data[:-100]
    path.write_bytes(bytes(data))
    with pytest.raises(PresetIntegrityError, match=r"'model\.weights\.h5' fails its checksum"):
        tfgen.presets.load(str(copy))


@pytest.mark.parametrize("missing", [manifest.CARD, manifest.WEIGHTS, manifest.MANIFEST])
def test_a_missing_file_is_an_error_naming_it(tmp_path, missing):
    copy = copy_preset(tmp_path)
    os.remove(copy / missing)
    with pytest.raises(FileNotFoundError, match=f"'{missing}' is missing"):
        tfgen.presets.load(str(copy))


def test_an_unlisted_file_in_the_manifest_is_refused(tmp_path):
    copy = copy_preset(tmp_path)
    lines = (copy / manifest.MANIFEST).read_text().splitlines()
    (copy / manifest.MANIFEST).write_text("".join(
        line + "\n" for line in lines if not line.endswith(manifest.CONFIG)))
    with pytest.raises(PresetIntegrityError, match="config.json"):
        tfgen.presets.load(str(copy))


def test_an_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="Unknown preset 'nope'") as err:
        tfgen.presets.load("nope")
    for name in names():
        assert name in str(err.value)


def test_listing_names_model_data_and_figures(capsys):
    from tfgen.presets.__main__ import main

    assert main() == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(names())
    for name, line in zip(names(), out):
        config = open_preset(name).config
        assert line.startswith(f"{name}: model {config['model']}, data {config['dataset']}")
        if "nll_nats" in config["figures"]:
            assert f"{config['figures']['nll_nats']:.2f} nats" in line


def test_export_serves_the_live_models_log_prob(tmp_path, models, images):
    path = tfgen.presets.export(SMALL, str(tmp_path / "serving"))
    assert path == str(tmp_path / "serving" / "1")
    x = images("binarized_fashion_mnist")[:8]
    served = tf.saved_model.load(path).signatures["log_prob"](images=tf.constant(x))
    np.testing.assert_allclose(served["log_prob"].numpy(), models[SMALL].log_prob(x).numpy(),
                               rtol=1e-5, atol=1e-3)
    with open(os.path.join(path, "assets.extra", "tfgen_config.json")) as f:
        extra = json.load(f)["extra"]
    assert extra["preset"] == SMALL
    assert extra["weights_sha256"] == manifest.read_manifest(
        open_preset(SMALL).directory)[manifest.WEIGHTS]


def parsed(*args):
    from absl import flags

    argv = ["run.py", *args]
    flag_values = flags.FlagValues()
    run.define_cli_flags(flag_values, argv)
    flag_values(argv)
    return flag_values


def test_fine_tuning_starts_from_the_presets_loss(tmp_path, capsys):
    name = "vae_fashion_mnist"
    config = open_preset(name).config
    assert run.run_in_process(
        ["run.py", f"--preset={name}", "--train_steps=1", "--steps_per_epoch=1",
         "--learning_rate=1e-7", "--eval_batches=1", "--sample_images=0", "--export=false",
         "--verbose=0", f"--output_dir={tmp_path}/run"]) == 0, capsys.readouterr().err[-2000:]
    summary = json.loads(capsys.readouterr().out)
    assert summary["model"] == "vae" and summary["model_config"] == config["model_config"]
    assert summary["train_config"]["dataset"] == config["dataset"]
    trained, fresh = config["figures"]["neg_elbo_nats"], config["untrained_figures"]["neg_elbo_nats"]
    # The loss on 64 test images after one tiny step: the preset's (up to the images and the
    # posterior sample), far from a fresh model's.
    assert abs(summary["test"]["loss"] - trained) < 0.2 * (fresh - trained)


@pytest.mark.parametrize("args,message", [
    (("--filters=8",), "fixes the model's config, so --filters"),
    (("--model=pixelcnn",), "conflicts with --preset"),
    (("--experiment=vae_fashion_mnist",), "give one of them"),
    (("--dataset=fashion_mnist",), "binarized=False"),
])
def test_fine_tuning_refuses_conflicting_flags(args, message):
    with pytest.raises(ValueError, match=message):
        run.resolve(parsed("--preset=vae_fashion_mnist", *args))


def test_preset_settings_are_the_flag_defaults_and_flags_override_them():
    config = open_preset("vae_fashion_mnist").config
    model, model_config, cfg, _ = run.resolve(parsed("--preset=vae_fashion_mnist",
                                                     "--batch_size=32"))
    assert (model, model_config) == ("vae", config["model_config"])
    assert cfg.batch_size == 32 and cfg.learning_rate == config["train_config"]["learning_rate"]


@pytest.mark.parametrize("name", sorted(COLOUR))
def test_colour_presets_record_their_image_size_and_use_it(name):
    preset = open_preset(name)
    size = preset.config["image_size"]
    assert size == preset.config["train_config"]["image_size"] == preset.image_size
    assert preset.config["image_shape"] == [size, size, 3]
    figures, untrained = preset.config["figures"], preset.config["untrained_figures"]
    before = untrained.get("nll_nats", untrained.get("neg_elbo_nats"))  # VAEs: -ELBO untrained
    assert measure.bits_per_dim(before, [size, size, 3]) - figures["bits_per_dim"] > 0.5
    _, model_config, cfg, _ = run.resolve(parsed(f"--preset={name}"))
    assert cfg.image_size == size and cfg.dataset == "photo_patches"
    with pytest.raises(ValueError, match="was trained on 'photo_patches'"):
        run.resolve(parsed(f"--preset={name}", f"--image_size={size // 2}"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_rewriting_a_presets_weights_gives_its_committed_file_byte_for_byte(name, models,
                                                                            tmp_path):
    """``make_presets`` writes the weights through ``build.write_weights``; the file records
    Keras' layer names, which count the models a process built before. Written again here, after
    other models were built in this process, the file must be the committed one to the byte (its
    sha256 in the manifest), so a rebuild's checksum depends on the weights alone."""
    from tfgen import data
    from tfgen.presets import build
    from tfgen.presets.recipes import get_recipe

    recipe, preset = get_recipe(name), open_preset(name)
    models[SMALL], models[name]  # noqa: B018  (other models built first bump the name counters)
    spec = data.get_spec(recipe.dataset, image_size=recipe.image_size)
    path = str(tmp_path / manifest.WEIGHTS)
    build.write_weights(recipe, spec, models[name].get_weights(), path)
    assert manifest.file_sha256(path) == manifest.read_manifest(preset.directory)[manifest.WEIGHTS]
