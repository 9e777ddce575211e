"""OOD scorers: the registry, the sign convention (higher = more OOD) of every scorer, input
complexity's units, typicality's bootstrap, live and SavedModel-like models alike."""

import math

import numpy as np
import pytest
import tensorflow as tf

from tfgen.data.transforms import perturb_pixels
from tfgen.evaluation.ood import (
    applicable_scorers,
    complexity,
    compute_quantities,
    detection_metrics,
    get_scorer,
    nll,
    quantities_of,
    reference_compressors,
    reference_statistics,
    score,
    scorer_names,
    typicality,
)
from tfgen.experiments.ood import load_arrays


class BernoulliFake:
    """A factorized Bernoulli density fitted to images, behind ExportedModel's interface."""

    methods = ("log_prob", "sample")
    image_shape = (28, 28, 1)

    def __init__(self, images):
        self.p = np.clip((np.asarray(images) >= 128).mean(axis=0), 0.02, 0.98)

    def log_prob(self, images):
        x = np.asarray(images) >= 128
        lp = np.where(x, np.log(self.p), np.log1p(-self.p)).sum(axis=(1, 2, 3))
        return {"log_prob": lp.astype(np.float32)}


class LatentFake(BernoulliFake):
    methods = ("importance_weighted_log_prob", "log_prob")

    def __init__(self, images):
        super().__init__(images)
        self.calls = []

    def importance_weighted_log_prob(self, images, num_samples, seed):
        self.calls.append((num_samples, seed))
        return self.log_prob(images)


class CriticFake(BernoulliFake):
    """A 'discriminator' whose logit is high on data-like images."""

    methods = ("critic", "sample")

    def critic(self, images):
        return {"critic": self.log_prob(images)["log_prob"] / 784.0 + 0.3}


@pytest.fixture(scope="module")
def images():
    train, _ = load_arrays("fashion_mnist", "train", limit=1500, binarize=True)
    test, _ = load_arrays("fashion_mnist", "test", limit=300, binarize=True)
    rng = np.random.default_rng(0)
    noise = (rng.random((100, 28, 28, 1)) < 0.5).astype(np.uint8) * 255
    background_train = perturb_pixels(tf.constant(train), 0.3, 5).numpy()
    return {"train": train, "test": test, "noise": noise, "blank": np.zeros_like(noise),
            "background_train": background_train}


def _scores(images, ood_key):
    model = BernoulliFake(images["train"])
    background = BernoulliFake(images["background_train"])
    critic = CriticFake(images["train"])
    data, ood = images["test"][:200], images[ood_key]
    both = np.concatenate([data, ood])
    is_ood = np.r_[np.zeros(len(data), bool), np.ones(len(ood), bool)]
    names = applicable_scorers(model, has_background=True)
    reference = reference_statistics(model, images["test"][200:],
                                     compressors=reference_compressors(names))
    needs = {q for n in names for q in get_scorer(n).needs}
    quantities = compute_quantities(model, both, needs, background=background, batch_size=64)
    out = score(names, quantities, reference)
    out.update(score(["critic"], compute_quantities(critic, both, ["critic"])))
    return out, is_ood


def test_noise_scores_higher_than_data(images):
    scores, is_ood = _scores(images, "noise")
    assert set(scores) == set(scorer_names())
    # (not the complexity scores: incompressible noise's code length cancels much of its NLL,
    # so S of noise sits near the data's S; a known limit of the correction)
    for name in ("nll", "critic", "typicality", "likelihood_ratio"):
        auroc = detection_metrics(scores[name], is_ood)["auroc"]
        assert auroc > 0.95, f"{name}: AUROC {auroc} on data vs noise (sign flipped?)"


def test_blank_images_fool_raw_likelihood_not_complexity_or_typicality(images):
    scores, is_ood = _scores(images, "blank")
    # Blank images are *more* likely than data under a density fitted to Fashion-MNIST ...
    for name in ("nll", "critic"):
        assert detection_metrics(scores[name], is_ood)["auroc"] < 0.05
    # ... the input-complexity and typicality corrections call them out.
    for name in ("complexity_png", "complexity_webp"):
        auroc = detection_metrics(scores[name], is_ood)["auroc"]
        assert auroc > 0.95, f"{name}: AUROC {auroc} on data vs blank images (sign flipped?)"
    assert detection_metrics(scores["typicality"], is_ood)["auroc"] > 0.8
    for name in ("complexity_typicality_png", "complexity_typicality_webp"):
        assert detection_metrics(scores[name], is_ood)["auroc"] > 0.95, name


def test_complexity_typicality_is_two_sided():
    """OOD sets on both sides of the data: SIMPLER images (likelier, and much shorter codes: S
    above the data's) fool the raw NLL; MORE COMPLEX ones (unlikely, long codes: S below the
    data's) fool the one-sided complexity score. The two-sided score catches both."""
    rng = np.random.default_rng(0)
    ln2 = math.log(2.0)

    def population(n, bits, s):  # quantities with L ~ N(bits, 30) and S ~ N(s, 10) bits
        length = rng.normal(bits, 30.0, n)
        return {"nll": (length + rng.normal(s, 10.0, n)) * ln2, "webp_bits": length}

    data, heldout = population(500, 800.0, 100.0), population(400, 800.0, 100.0)
    centre, scale = complexity.reference_statistics(heldout["nll"], heldout["webp_bits"])
    assert centre == pytest.approx(100.0, abs=2.0) and scale == pytest.approx(10.0, rel=0.1)
    reference = {"complexity_webp_centre": centre, "complexity_webp_scale": scale}
    names = ["nll", "complexity_webp", "complexity_typicality_webp"]
    for ood, fooled in ((population(100, 400.0, 150.0), "nll"),
                        (population(100, 1300.0, 50.0), "complexity_webp")):
        both = {q: np.r_[data[q], ood[q]] for q in data}
        is_ood = np.r_[np.zeros(500, bool), np.ones(100, bool)]
        auroc = {n: detection_metrics(v, is_ood)["auroc"] for n, v in
                 score(names, both, reference).items()}
        assert auroc[fooled] < 0.05, auroc  # each one-sided score fails one of the sets
        assert auroc["complexity_typicality_webp"] > 0.99, auroc


def test_complexity_typicality_units_and_reference(images):
    # S = 1000 - 300 = 700 bits; centre 650 bits, scale 25 bits -> 2 reference std devs
    nll = [1000 * math.log(2), 600 * math.log(2)]
    np.testing.assert_allclose(complexity.complexity_typicality_score(nll, [300, 0], 650.0, 25.0),
                               [2.0, 2.0])  # 700 and 600 bits: 50 bits either side
    with pytest.raises(ValueError, match="scale"):
        complexity.complexity_typicality_score(nll, [300, 0], 650.0, 0.0)
    with pytest.raises(ValueError, match="all equal"):
        complexity.reference_statistics([1.0, 1.0], [0.0, 0.0])
    model, heldout = BernoulliFake(images["train"]), images["test"][:60]
    assert reference_compressors(["nll", "complexity_typicality_webp"]) == ["webp"]
    assert reference_compressors(scorer_names()) == ["png", "webp"]
    ref = reference_statistics(model, heldout, compressors=["png"])
    assert "complexity_webp_centre" not in ref
    s = complexity.input_complexity_score(ref["heldout_nll"], complexity.png_bits(heldout))
    assert ref["complexity_png_centre"] == pytest.approx(s.mean())  # over all held-out images
    assert ref["complexity_png_scale"] == pytest.approx(s.std(ddof=1))
    with pytest.raises(ValueError, match="complexity_png_centre"):  # no reference: clear error
        score(["complexity_typicality_png"], {"nll": np.zeros(2), "png_bits": np.zeros(2)}, {})


def test_latent_models_use_the_importance_weighted_bound(images):
    model = LatentFake(images["train"])
    q = compute_quantities(model, images["test"][:130], ["nll"], importance_samples=7, seed=3,
                           batch_size=64)
    assert model.calls == [(7, 3), (7, 4), (7, 5)]  # K and a seed per batch
    np.testing.assert_allclose(q["nll"], -model.log_prob(images["test"][:130])["log_prob"],
                               rtol=1e-6)


def test_registry_errors_and_applicability(images):
    with pytest.raises(ValueError, match="valid names"):
        get_scorer("entropy")
    model, critic = BernoulliFake(images["train"]), CriticFake(images["train"])
    assert "likelihood_ratio" not in applicable_scorers(model)
    assert applicable_scorers(critic) == ["critic"]
    assert quantities_of(critic) == ("critic",)
    with pytest.raises(ValueError, match="background model"):
        compute_quantities(model, images["test"][:4], ["background_nll"])
    with pytest.raises(ValueError, match="no likelihood"):
        nll(critic, images["test"][:4], 1, 0)
    with pytest.raises(ValueError, match="expected uint8 images"):
        compute_quantities(model, images["test"][:4, :14], ["nll"])
    with pytest.raises(ValueError, match="needs"):
        score(["typicality"], {"nll": np.zeros(3)}, {})


def test_input_complexity_units(monkeypatch):
    rng = np.random.default_rng(1)
    flat = np.full((1, 28, 28, 1), 90, np.uint8)
    noisy = rng.integers(0, 256, (1, 28, 28, 1), dtype=np.uint8)
    both = np.concatenate([flat, noisy])
    png = complexity.png_bits(both)
    assert png[0] == 8 * len(tf.io.encode_png(flat[0], compression=9).numpy())  # bits, not bytes
    assert np.all(png % 8 == 0)
    webp = complexity.webp_bits(both)
    for bits in (png, webp):
        assert bits[0] < bits[1]
        # random bytes cannot be compressed below 8 bits per subpixel
        assert bits[1] >= 8 * 28 * 28
    assert webp[1] < png[1] * 1.2  # the stronger coder is not much worse on noise
    # S = NLL in bits - L in bits: 1000 bits of NLL given in nats, 300 bits compressed.
    assert complexity.input_complexity_score([1000 * math.log(2)], [300])[0] == pytest.approx(700)
    with pytest.raises(ValueError, match="valid"):
        complexity.compressed_bits(both, "gzip")
    calls = []
    monkeypatch.setitem(complexity.COMPRESSORS, "png",
                        lambda x: calls.append(len(x)) or complexity.png_bits(x))
    for images in (both, both.copy(), both[:1]):  # a batch seen before is not compressed again
        np.testing.assert_array_equal(complexity.compressed_bits(images, "png"),
                                      png[:len(images)])
    assert calls == [2, 1]
    with pytest.raises(ValueError, match="uint8 images"):
        complexity.png_bits(both.astype(np.float32))


def test_typicality_bootstrap_threshold_and_batch_test():
    rng = np.random.default_rng(0)
    heldout = rng.normal(100.0, 5.0, 4000)
    entropy = typicality.estimate_entropy(heldout[:2000])
    eps = typicality.bootstrap_threshold(heldout[2000:], entropy, 25, alpha=0.05,
                                         num_bootstrap=2000, seed=1)
    assert eps == pytest.approx(1.96 * 5.0 / 5.0, rel=0.15)  # |mean - H| ~ |N(0, sigma/sqrt(M))|
    in_nll = rng.normal(100.0, 5.0, 1000)
    simpler = rng.normal(96.0, 5.0, 300)  # OOD with HIGHER likelihood: a two-sided test flags it
    out = typicality.batch_test(in_nll, simpler, heldout[2000:], entropy, 25, alpha=0.05,
                                num_batches=200, num_bootstrap=2000, seed=2)
    assert out["fpr"] < 0.12 and out["tpr"] > 0.9 and out["auroc"] > 0.95
    np.testing.assert_allclose(typicality.single_image_score([90.0, 110.0], 100.0), [10, 10])
    with pytest.raises(ValueError, match="batch_size"):
        typicality.batch_statistics(in_nll[:5], 100.0, 10, 3)


def test_live_models_answer_like_exports():
    from tfgen import data
    from tfgen.models import build_model

    spec = data.get_spec("fashion_mnist")
    gan = build_model("gan", spec, seed=0, loss="dcgan", generator_dim=8, critic_dim=8)
    gan.build_for()
    x = np.random.default_rng(0).integers(0, 256, (5, 28, 28, 1), dtype=np.uint8)
    assert applicable_scorers(gan) == ["critic"]  # no likelihood, no complexity
    q = compute_quantities(gan, x, ["critic"], batch_size=2)
    # chunks of 2 vs one batch of 5: float32 convolutions may differ by ~1e-7 absolute, which a
    # relative tolerance alone fails on a logit near zero
    np.testing.assert_allclose(q["critic"], gan.critic(tf.constant(x)).numpy(), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(score(["critic"], q)["critic"], -q["critic"])  # logit high = data
    pixelcnn = build_model("pixelcnn", data.get_spec("fashion_mnist", binarize=True), seed=0,
                           ar_layers=1, filters=4)
    pixelcnn.build_for()
    nll = compute_quantities(pixelcnn, x, ["nll"], batch_size=3)["nll"]
    np.testing.assert_allclose(nll, -pixelcnn.log_prob(tf.constant(x)).numpy(), rtol=1e-5)


def test_perturbation_rate_and_determinism():
    x = tf.zeros((8, 28, 28, 1), tf.uint8)
    a, b = perturb_pixels(x, 0.2, 3), perturb_pixels(x, 0.2, 3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())  # stateless: same seed, same noise
    changed = float(tf.reduce_mean(tf.cast(a > 0, tf.float32)))
    assert changed == pytest.approx(0.2 * 255 / 256, abs=0.02)  # a draw of 0 leaves it unchanged
    assert not np.array_equal(a.numpy(), perturb_pixels(x, 0.2, 4).numpy())
    np.testing.assert_array_equal(perturb_pixels(x + 7, 0.0, 3).numpy(), (x + 7).numpy())
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        perturb_pixels(x, 1.5, 0)
