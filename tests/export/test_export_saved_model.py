"""tfgen.export: signature tables of every registered model, fresh-process round trip,
versioning, atomicity, input checks."""

import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from export_fakes import FactorizedModel, LatentModel, random_images

from tfgen.data.spec import DatasetSpec
from tfgen.export import export_model, load_exported
from tfgen.export import saved_model as saved_model_lib
from tfgen.models import build_model, model_names, signatures

SERVING_METHODS = LatentModel.serving_methods

VENV_BIN = os.path.dirname(sys.executable)


@pytest.fixture(scope="module")
def latent(tmp_path_factory):
    """(in-memory LatentModel, its export directory)."""
    model = LatentModel(seed=3)
    root = tmp_path_factory.mktemp("saved_models")
    return model, export_model(model, root=str(root), name="latent",
                               extra_assets={"step": 1234, "dataset": "npz:x.npz"})


@pytest.fixture(scope="module")
def exported(latent):
    return load_exported(latent[1])


def _listing(model_dir):
    return sorted(os.listdir(model_dir))


# -- round trip --------------------------------------------------------------------------------

@pytest.mark.slow
def test_fresh_process_reproduces_outputs_exactly(latent, tmp_path):
    model, path = latent
    images = random_images(5, seed=1)
    np.save(tmp_path / "images.npy", images)
    script = textwrap.dedent(f"""
        import numpy as np, tensorflow as tf
        loaded = tf.saved_model.load({path!r})
        images = tf.constant(np.load({str(tmp_path / 'images.npy')!r}))
        seed, k = tf.constant(7), tf.constant(4)
        out = {{}}
        for name, kwargs in [
                ("log_prob", dict(images=images)),
                ("sample", dict(num_samples=tf.constant(6), seed=seed)),
                ("encode", dict(images=images)),
                ("decode", dict(z=tf.ones([3, 2]), seed=seed)),
                ("elbo", dict(images=images, seed=seed)),
                ("importance_weighted_log_prob", dict(images=images, num_samples=k, seed=seed))]:
            for key, value in loaded.signatures[name](**kwargs).items():
                out[name + "/" + key] = value.numpy()
        np.savez({str(tmp_path / 'out.npz')!r}, **out)
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120,
                   env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    out = np.load(tmp_path / "out.npz")

    # Graph mode in memory runs the same computation as the SavedModel: bit-exact.
    graph = {name: tf.function(getattr(model, name)) for name in SERVING_METHODS}
    seed, k = tf.constant(7), tf.constant(4)
    expected = {
        "log_prob/log_prob": graph["log_prob"](images),
        "sample/images": graph["sample"](tf.constant(6), seed),
        "decode/images": graph["decode"](tf.ones([3, 2]), seed),
        "importance_weighted_log_prob/log_prob":
            graph["importance_weighted_log_prob"](images, k, seed),
        **{"encode/" + key: v for key, v in graph["encode"](images).items()},
        **{"elbo/" + key: v for key, v in graph["elbo"](images, seed).items()},
    }
    for key, value in expected.items():
        np.testing.assert_array_equal(out[key], value.numpy(), err_msg=key)
    assert out["sample/images"].dtype == np.uint8 and out["sample/images"].shape == (6, 4, 4, 1)
    # Eager may differ from graph in the last ulp (fused ops), nothing more.
    np.testing.assert_allclose(out["log_prob/log_prob"], model.log_prob(images), rtol=1e-6)
    np.testing.assert_allclose(out["log_prob/bits_per_dim"],
                               -out["log_prob/log_prob"] / (16 * np.log(2.0)), rtol=1e-6)
    np.testing.assert_allclose(out["elbo/elbo"], -(out["elbo/kl"] + out["elbo/recon"]), rtol=1e-6)


def test_saved_model_cli_lists_every_signature(latent):
    result = subprocess.run(
        [os.path.join(VENV_BIN, "saved_model_cli"), "show", "--all", "--dir", latent[1]],
        capture_output=True, text=True, timeout=120, check=True)
    for name in SERVING_METHODS + ("serving_default",):
        assert f"signature_def['{name}']" in result.stdout, name
    assert "DT_UINT8" in result.stdout


def test_signature_specs(exported):
    specs = {name: exported.input_specs(name) for name in exported.methods}
    assert set(specs) == set(SERVING_METHODS)
    assert specs["log_prob"]["images"] == tf.TensorSpec([None, 4, 4, 1], tf.uint8, "images")
    assert specs["decode"]["z"].shape.as_list() == [None, 2]
    assert set(specs["importance_weighted_log_prob"]) == {"images", "num_samples", "seed"}
    assert specs["sample"]["seed"] == tf.TensorSpec([], tf.int32, "seed")
    outputs = {name: set(exported.signatures[name].structured_outputs) for name in specs}
    assert outputs["log_prob"] == outputs["importance_weighted_log_prob"] == {
        "log_prob", "bits_per_dim"}
    assert outputs["elbo"] == {"elbo", "kl", "recon"}
    assert outputs["encode"] == {"mean", "stddev"}
    assert outputs["sample"] == outputs["decode"] == {"images"}


def test_serving_default_is_log_prob_else_sample(exported, tmp_path):
    assert set(exported.input_specs("serving_default")) == {"images"}

    class SampleOnly(FactorizedModel):
        serving_methods = ("sample",)

    sample_only = load_exported(export_model(SampleOnly(), root=str(tmp_path), name="gan"))
    assert set(sample_only.input_specs("serving_default")) == {"num_samples", "seed"}
    assert sample_only.methods == ("sample",)


def test_bits_per_dim_counts_every_subpixel(tmp_path):
    model = FactorizedModel(image_shape=(2, 3, 3))
    out = load_exported(export_model(model, root=str(tmp_path), name="rgb")).log_prob(
        random_images(2, (2, 3, 3)))
    np.testing.assert_allclose(out["bits_per_dim"], -out["log_prob"] / (18 * np.log(2.0)),
                               rtol=1e-6)


def test_config_asset(exported):
    config = exported.config
    assert config["model_class"].endswith("LatentModel")
    assert config["config"] == {"image_shape": [4, 4, 1], "seed": 3, "latent_dim": 2}
    assert config["image_shape"] == [4, 4, 1]
    assert config["serving_default"] == "log_prob"
    assert set(config["serving_methods"]) == set(SERVING_METHODS)
    assert config["extra"] == {"step": 1234, "dataset": "npz:x.npz"}
    assert config["tfgen_version"] and config["latent_dim"] == 2
    assert exported.image_shape == (4, 4, 1)


# -- versioning and atomicity ------------------------------------------------------------------

def test_versions_increase_and_never_overwrite(tmp_path):
    model = FactorizedModel()
    root, model_dir = str(tmp_path), str(tmp_path / "m")
    assert export_model(model, root=root, name="m") == os.path.join(model_dir, "1")
    assert export_model(model, root=root, name="m") == os.path.join(model_dir, "2")
    marker = os.path.join(model_dir, "2", "marker")
    open(marker, "w").close()
    with pytest.raises(FileExistsError, match=os.path.join(model_dir, "2")):
        export_model(model, root=root, name="m", version=2)
    assert os.path.exists(marker)
    os.makedirs(os.path.join(model_dir, "not-a-version"))
    assert export_model(model, root=root, name="m", version=7).endswith(os.sep + "7")
    assert export_model(model, root=root, name="m").endswith(os.sep + "8")
    assert _listing(model_dir) == ["1", "2", "7", "8", "not-a-version"]
    assert load_exported(model_dir).path == os.path.join(model_dir, "8")  # latest version


@pytest.mark.parametrize("occupant", [[], ["variables"]])
def test_version_taken_during_export_moves_to_next(occupant, tmp_path, monkeypatch):
    write_config = saved_model_lib._write_config

    def racing_write_config(path, text):  # another exporter takes version 1 meanwhile
        write_config(path, text)
        os.makedirs(tmp_path / "m" / "1")
        for name in occupant:
            os.makedirs(tmp_path / "m" / "1" / name)

    monkeypatch.setattr(saved_model_lib, "_write_config", racing_write_config)
    assert export_model(FactorizedModel(), root=str(tmp_path), name="m").endswith(os.sep + "2")
    assert _listing(tmp_path / "m") == ["1", "2"]
    assert os.listdir(tmp_path / "m" / "1") == occupant  # untouched, even when empty


class TracingFails(FactorizedModel):
    def log_prob(self, images):
        raise RuntimeError("boom while tracing")


def test_failed_export_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError, match="boom while tracing"):
        export_model(TracingFails(), root=str(tmp_path), name="m")
    assert _listing(tmp_path / "m") == []


def test_failure_after_write_leaves_nothing(tmp_path, monkeypatch):
    def fail(path, text):
        assert os.path.exists(os.path.join(path, "saved_model.pb"))
        raise OSError("disk full")

    monkeypatch.setattr(saved_model_lib, "_write_config", fail)
    with pytest.raises(OSError, match="disk full"):
        export_model(FactorizedModel(), root=str(tmp_path), name="m", version=3)
    assert _listing(tmp_path / "m") == []


# -- protocol checks at export time ------------------------------------------------------------

class LazyLayer(FactorizedModel):
    """Its sampler uses a layer that nothing built before export."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        import keras
        self.head = keras.layers.Dense(16)

    def sample(self, num_samples, seed):
        noise = tf.random.stateless_normal(tf.stack([num_samples, 4]), tf.stack([seed, 0]))
        return tf.cast(tf.reshape(self.head(noise), [-1, 4, 4, 1]) > 0, tf.uint8)


class WrongDtype(FactorizedModel):
    def log_prob(self, images):
        return tf.cast(super().log_prob(images), tf.float64)


@pytest.mark.parametrize("model, error, match", [
    (LazyLayer(), ValueError, "created new variables"),
    (WrongDtype(), TypeError, "log_prob must return 'log_prob' as float32"),
])
def test_protocol_violations_fail_export(model, error, match, tmp_path):
    with pytest.raises(error, match=match):
        export_model(model, root=str(tmp_path), name="m")
    assert _listing(tmp_path / "m") == []


def test_bad_serving_methods_and_unbuilt_model(tmp_path):
    class Unknown(FactorizedModel):
        serving_methods = ("log_prob", "generate")

    with pytest.raises(ValueError, match=r"Unknown serving verb 'generate'; valid names"):
        export_model(Unknown(), root=str(tmp_path), name="m")
    unbuilt = FactorizedModel()
    unbuilt.built = False
    with pytest.raises(ValueError, match="not built"):
        export_model(unbuilt, root=str(tmp_path), name="m")
    with pytest.raises(TypeError, match="JSON-serializable"):
        export_model(FactorizedModel(), root=str(tmp_path), name="m",
                     extra_assets={"f": object()})
    assert not (tmp_path / "m").exists() or _listing(tmp_path / "m") == []


# -- input validation --------------------------------------------------------------------------

@pytest.mark.parametrize("method, inputs, message", [
    ("log_prob", dict(images=np.zeros([4, 32, 32, 3], np.float32)),
     "log_prob expects images uint8 [None, 4, 4, 1]; got float32 [4, 32, 32, 3]"),
    ("log_prob", dict(images=np.zeros([2, 8, 8, 1], np.uint8)),
     "log_prob expects images uint8 [None, 4, 4, 1]; got uint8 [2, 8, 8, 1]"),
    ("log_prob", dict(images=np.zeros([4, 4, 1], np.uint8)),
     "log_prob expects images uint8 [None, 4, 4, 1]; got uint8 [4, 4, 1]"),
    ("sample", dict(num_samples=np.array([2, 3], np.int32), seed=0),
     "sample expects num_samples int32 []; got int32 [2]"),
    ("sample", dict(num_samples=2, seed=1.5), "sample expects seed int32 []; got float"),
    ("sample", dict(num_samples=0, seed=1), "num_samples >= 1"),
    ("sample", dict(num_samples=2, seed=2**40), "out of int32 range"),
    ("decode", dict(z=np.zeros([3, 2]), seed=0),
     "decode expects z float32 [None, 2]; got float64 [3, 2]"),
    ("elbo", dict(images=np.zeros([1, 4, 4, 1], np.uint8)),
     "elbo expects inputs ['images', 'seed']; got ['images']"),
    ("generate", dict(), "no 'generate' signature; available: ['decode', 'elbo'"),
])
def test_wrapper_rejects_bad_inputs(exported, method, inputs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        exported.call(method, **inputs)


def test_wrapper_accepts_python_ints_and_tensors(exported):
    assert exported.sample(3, seed=np.int64(5))["images"].shape == (3, 4, 4, 1)
    out = exported.log_prob(tf.constant(random_images(2)))
    assert out["log_prob"].shape == (2,) and out["log_prob"].dtype == np.float32


def test_raw_signature_rejects_wrong_shapes(exported):
    # Without tf.ensure_shape in the export, this shape-agnostic model would answer silently.
    log_prob = exported.signatures["log_prob"]
    with pytest.raises(tf.errors.InvalidArgumentError, match=(
            r"log_prob expects images uint8 \[None, 4, 4, 1\]; got shape\] \[2 8 8 1\]")):
        log_prob(images=tf.zeros([2, 8, 8, 1], tf.uint8))
    with pytest.raises(tf.errors.InvalidArgumentError, match="uint8"):
        log_prob(images=tf.zeros([2, 4, 4, 1], tf.float32))
    with pytest.raises(tf.errors.InvalidArgumentError):
        exported.signatures["sample"](num_samples=tf.constant([2, 2]), seed=tf.constant(0))


# -- the signature table of every registered model ---------------------------------------------



def _example_inputs(specs) -> dict[str, np.ndarray]:
    """Inputs for a signature's specs: a batch of 2 (3 labels), seed 3, num_samples 2."""
    rng = np.random.default_rng(0)
    named = {"seed": np.int32(3), "num_samples": np.int32(2),
             "labels": np.array([2, 0, 1], np.int32)}
    out = {}
    for spec in specs:
        shape = [2] + spec.shape.as_list()[1:]
        if spec.name in named:
            out[spec.name] = named[spec.name]
        elif spec.dtype == tf.uint8:
            out[spec.name] = rng.integers(0, 256, shape).astype(np.uint8)
        else:
            out[spec.name] = rng.normal(size=shape).astype(spec.dtype.as_numpy_dtype)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", model_names())
def test_every_registered_models_table_round_trips(registered, name):
    model, loaded = registered[name]
    table = model.serving_signatures()
    assert loaded.methods == tuple(sorted(table))
    assert loaded.config["serving_methods"] == list(table)
    first = next(iter(table.values()))
    assert set(loaded.input_specs("serving_default")) == {s.name for s in first.inputs}
    for method, signature in table.items():
        assert loaded.input_specs(method) == {s.name: s for s in signature.inputs}, method
        inputs = _example_inputs(signature.inputs)
        got = loaded.call(method, **inputs)
        want = tf.function(signature.function)(*(tf.constant(inputs[s.name])
                                                 for s in signature.inputs))
        assert set(got) == set(want), method
        for key, value in want.items():  # the same graph in memory and in the SavedModel
            np.testing.assert_allclose(got[key], value.numpy(), rtol=1e-5, atol=1e-5,
                                       err_msg=f"{method}/{key}")


@pytest.mark.parametrize("name", ["pixelcnn", "gan"])
def test_sample_class_signature_draws_the_requested_classes(registered, name):
    model, loaded = registered[name]
    labels = np.array([2, 0, 1, 2], np.int32)
    got = loaded.sample_class(labels, seed=5)["images"]
    live = tf.function(model.sample_class)(tf.constant(labels), tf.constant(5)).numpy()
    assert got.dtype == np.uint8 and got.shape == (4, 4, 4, 1)
    np.testing.assert_array_equal(got, live)
    # sample(3) cycles the classes 0, 1, 2: the draws of sample_class([0, 1, 2])
    np.testing.assert_array_equal(loaded.sample(3, seed=5)["images"],
                                  loaded.sample_class(np.arange(3, dtype=np.int32), 5)["images"])
    assert not np.array_equal(got, loaded.sample_class(labels[::-1].copy(), seed=5)["images"])
    for bad in (3, -1):  # a label outside [0, 3) would one-hot to no class at all
        with pytest.raises(tf.errors.InvalidArgumentError, match="sample_class: labels"):
            loaded.sample_class(np.array([0, bad], np.int32), seed=5)


def test_unconditional_models_serve_no_sample_class(registered):
    assert "sample_class" not in registered["gated_pixelcnn"][1].methods
    with pytest.raises(ValueError, match="no 'sample_class' signature"):
        registered["gated_pixelcnn"][1].sample_class(np.zeros([1], np.int32), 0)


@pytest.mark.parametrize("kind, shape", [("points", (2,)), ("text", (5, 4))])
def test_gan_signatures_follow_the_spec_kind(kind, shape, tmp_path):
    spec = DatasetSpec(kind, shape, num_classes=0, kind=kind, binarized=False)
    model = build_model("gan", spec, latent_dim=2, generator_dim=4, critic_dim=4)
    model.build_for()
    loaded = load_exported(export_model(model, root=str(tmp_path), name=kind))
    assert loaded.config["data_kind"] == kind and loaded.methods == ("critic", "sample")
    data = tf.TensorSpec([None, *shape], tf.float32, "points")
    assert loaded.input_specs("critic") == {"points": data}
    samples = loaded.sample(3, seed=1)["points"]
    assert samples.dtype == np.float32 and samples.shape == (3, *shape)
    np.testing.assert_allclose(samples, model.sample(3, 1).numpy(), rtol=1e-5, atol=1e-6)
    if kind == "text":  # a softmax over the vocabulary per position
        np.testing.assert_allclose(samples.sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(loaded.critic(samples)["critic"], model.critic(samples).numpy(),
                               rtol=1e-5, atol=1e-5)


# -- bad and empty inputs, as TF Serving sends them (issue 13) ----------------------------------

def _raw_call(loaded, method: str, inputs: dict):
    """The SavedModel signature itself (no Python-side checks: what TF Serving runs)."""
    return loaded._loaded.signatures[method](**{k: tf.constant(v) for k, v in inputs.items()})


@pytest.mark.parametrize("name", model_names())
def test_every_batched_signature_answers_an_empty_batch_with_an_empty_result(registered, name):
    _, loaded = registered[name]
    for method in loaded.methods:
        specs = loaded.input_specs(method)
        batched = [s for s in specs.values() if s.shape.rank and s.shape[0] is None]
        if not batched:
            continue
        inputs = _example_inputs(specs.values())
        for spec in batched:
            inputs[spec.name] = inputs[spec.name][:0]
        for key, value in _raw_call(loaded, method, inputs).items():
            assert value.shape[0] == 0, (method, key, value.shape)


@pytest.mark.parametrize("name", model_names())
def test_sample_signature_zero_is_empty_and_negative_is_a_named_error(registered, name):
    _, loaded = registered[name]
    images = _raw_call(loaded, "sample", {"num_samples": np.int32(0), "seed": np.int32(0)})
    assert next(iter(images.values())).shape[0] == 0
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"sample expects num_samples int32 \[\] >= 0"):
        _raw_call(loaded, "sample", {"num_samples": np.int32(-1), "seed": np.int32(0)})
    huge = np.int32(2**31 - 1)  # refused up front, not an out-of-memory server
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"sample expects num_samples int32 \[\] <= \d+ \(at most 1024 MiB"):
        _raw_call(loaded, "sample", {"num_samples": huge, "seed": np.int32(0)})


def test_sample_limit_is_a_response_size():
    class Images:
        data_kind, image_shape = "image", (64, 64, 3)

    assert signatures.max_samples_per_request(Images()) == (1 << 30) // (64 * 64 * 3)


def test_importance_samples_out_of_range_are_named_errors(registered):
    method = "importance_weighted_log_prob"
    served = [name for name, (_, loaded) in registered.items() if method in loaded.methods]
    assert len(served) >= 3, served  # the VAE, PixelVAE and IAF-VAE at least
    images = np.zeros((1, 4, 4, 1), np.uint8)
    for name in served:
        for k, bound in ((0, r">= 1"), (signatures.MAX_IMPORTANCE_SAMPLES + 1, r"<= 100000")):
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match=rf"{method} expects num_samples int32 \[\] {bound}"):
                _raw_call(registered[name][1], method,
                          {"images": images, "num_samples": np.int32(k), "seed": np.int32(0)})


@pytest.mark.parametrize("name", model_names())
def test_non_finite_float_inputs_are_named_errors(registered, name):
    """A NaN or Inf latent (``decode``) is refused, not decoded to a plausible image."""
    _, loaded = registered[name]
    floats = [(method, spec) for method in loaded.methods
              for spec in loaded.input_specs(method).values() if spec.dtype.is_floating]
    if not floats:
        pytest.skip(f"{name}'s signatures take no float input")
    for method, spec in floats:
        for bad in (np.nan, np.inf):
            inputs = _example_inputs(loaded.input_specs(method).values())
            inputs[spec.name] = np.full_like(inputs[spec.name], bad)
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match=rf"{method} expects {spec.name} float32 .* of finite values"):
                _raw_call(loaded, method, inputs)


@pytest.mark.parametrize("name", model_names())
def test_a_wrong_image_size_names_the_expected_spec(registered, name):
    _, loaded = registered[name]
    method = "log_prob" if "log_prob" in loaded.methods else "critic"
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=rf"{method} expects images uint8 \[None, 4, 4, 1\]; got shape\] "
                             r"\[2 5 4 1\]"):
        _raw_call(loaded, method, {"images": np.zeros((2, 5, 4, 1), np.uint8)})
