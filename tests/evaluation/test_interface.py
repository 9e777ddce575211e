"""The one measuring interface: a live model (LiveModel) and its SavedModel export
(ExportedModel) answer every verb with the same numbers, and measurements accept either."""

import numpy as np
import pytest

from tfgen import data
from tfgen.evaluation.interface import LiveModel, ServingModel, as_serving_model
from tfgen.evaluation.ood import compute_quantities
from tfgen.evaluation.saved_model import evaluate
from tfgen.export import ExportedModel, export_model, load_exported
from tfgen.models import build_model


def _pair(tmp_path_factory, name, dataset, **config):
    model = build_model(name, data.get_spec(dataset), seed=3, **config)
    model.build_for()
    root = str(tmp_path_factory.mktemp(name))
    return LiveModel(model), load_exported(export_model(model, root=root, name=name))


@pytest.fixture(scope="module")
def vae(tmp_path_factory):
    return _pair(tmp_path_factory, "vae", "binarized_fashion_mnist", latent_dim=4, filters=4,
                 conv_layers=4)


@pytest.fixture(scope="module")
def toy_gan(tmp_path_factory):
    return _pair(tmp_path_factory, "gan", "8gaussians", loss="dcgan", generator_dim=8,
                 critic_dim=8, latent_dim=2)


def _images(n=6):
    return (np.random.default_rng(0).random((n, 28, 28, 1)) < 0.3).astype(np.uint8) * 255


def test_both_are_serving_models(vae):
    live, exported = vae
    assert isinstance(live, ServingModel) and isinstance(exported, ServingModel)
    assert isinstance(exported, ExportedModel)
    assert as_serving_model(exported) is exported
    assert isinstance(as_serving_model(live.model), LiveModel)
    assert set(live.methods) == set(exported.methods)
    assert live.image_shape == exported.image_shape == (28, 28, 1)


def test_a_live_model_and_its_export_score_the_same(vae):
    live, exported = vae
    images = _images()
    for verb, args in (("log_prob", ()), ("importance_weighted_log_prob", (5, 11)),
                       ("elbo", (7,)), ("encode", ())):
        a, b = getattr(live, verb)(images, *args), getattr(exported, verb)(images, *args)
        assert set(a) == set(b), verb
        for key in a:
            np.testing.assert_allclose(a[key], b[key], rtol=1e-4, atol=1e-3, err_msg=verb)
    np.testing.assert_array_equal(live.sample(4, 9)["images"], exported.sample(4, 9)["images"])
    batches = [(images, np.zeros(len(images)))]
    metrics = [evaluate(m, batches, importance_samples=3) for m in (live, exported)]
    for key in ("nll_nats", "bits_per_dim", "elbo_nats", "kl_nats", "recon_nats"):
        assert metrics[0][key] == pytest.approx(metrics[1][key], rel=1e-4), key
    assert evaluate(live.model, batches, importance_samples=3)["count"] == 6  # wrapped
    np.testing.assert_allclose(  # the OOD scorers' quantities, from the bare Keras model
        compute_quantities(live.model, images, ["nll"], importance_samples=4)["nll"],
        compute_quantities(exported, images, ["nll"], importance_samples=4)["nll"], rtol=1e-4)


def test_critic_and_points_alike(toy_gan):
    live, exported = toy_gan
    points = np.random.default_rng(1).normal(size=(5, 2)).astype(np.float32)
    np.testing.assert_allclose(live.critic(points)["critic"], exported.critic(points)["critic"],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(live.sample(3, 2)["points"], exported.sample(3, 2)["points"],
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="no 'log_prob' method"):
        live.log_prob(points)
