"""GAN metrics against closed forms, the self-trained classifier's cache, InceptionV3 loading."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from tfgen.data.sources import toy2d
from tfgen.evaluation import gan_metrics as gm

import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from synthetic_images import three_class_images  # noqa: E402


def _random_cov(rng, d):
    a = rng.standard_normal((d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


# -- Fréchet distance ------------------------------------------------------------------------
def test_frechet_distance_of_identical_sets_is_zero():
    feats = np.random.default_rng(0).standard_normal((500, 16))
    assert gm.frechet_distance_of_features(feats, feats) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_of_commuting_gaussians_matches_closed_form():
    # Diagonal covariances: d = |mu1 - mu2|^2 + sum (sqrt(a_i) - sqrt(b_i))^2.
    rng = np.random.default_rng(1)
    mu1, mu2 = rng.standard_normal(8), rng.standard_normal(8)
    a, b = rng.uniform(0.1, 3.0, 8), rng.uniform(0.1, 3.0, 8)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert gm.frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected,
                                                                                   rel=1e-10)


def test_frechet_distance_of_general_gaussians_matches_an_independent_sqrtm():
    # Tr((S1 S2)^1/2) via the eigenvalues of the (non-symmetric) product: sum of sqrt(eig).
    rng = np.random.default_rng(2)
    d = 12
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    s1, s2 = _random_cov(rng, d), _random_cov(rng, d)
    tr_sqrt = np.sum(np.sqrt(np.linalg.eigvals(s1 @ s2).real))
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * tr_sqrt
    assert gm.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-9)
    # Symmetric in its arguments.
    assert gm.frechet_distance(mu2, s2, mu1, s1) == pytest.approx(expected, rel=1e-9)


def test_frechet_distance_of_sample_fits_converges_to_the_closed_form():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((200_000, 2)) * [1.0, 2.0]
    y = rng.standard_normal((200_000, 2)) * [3.0, 0.5] + [1.0, 0.0]
    expected = 1.0 + (1 - 3) ** 2 + (2 - 0.5) ** 2
    assert gm.frechet_distance_of_features(x, y) == pytest.approx(expected, rel=0.01)


def test_frechet_distance_is_finite_for_singular_covariances():
    # Rank-deficient fits (fewer samples than dimensions) are where sqrtm goes complex.
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((10, 64)), rng.standard_normal((10, 64))
    value = gm.frechet_distance_of_features(x, y)
    assert np.isfinite(value) and value > 0


def test_frechet_distance_of_few_samples_in_many_dimensions_matches_the_covariance_path():
    # N1 * N2 < D^2 takes the sample-space path (singular values of A1 A2^T); it must equal the
    # [D, D] eigen-decomposition path on the same fits (up to that path's rounding: it takes
    # square roots of the ~1e-16 eigenvalues of the rank-deficient covariances).
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((6, 40)), 2.0 * rng.standard_normal((9, 40)) + 0.5
    expected = gm.frechet_distance(*gm.gaussian_fit(x), *gm.gaussian_fit(y))
    assert gm.frechet_distance_of_features(x, y) == pytest.approx(expected, rel=1e-6)
    assert gm.frechet_distance_of_features(x, x) == pytest.approx(0.0, abs=1e-8)
    with pytest.raises(ValueError, match="N >= 2"):
        gm.frechet_distance_of_features(x[:1], y)


def test_frechet_distance_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="expected means"):
        gm.frechet_distance(np.zeros(3), np.eye(3), np.zeros(2), np.eye(2))


# -- classifier / Inception-style score ------------------------------------------------------
def test_score_of_uniform_predictions_is_one():
    assert gm.classifier_score(np.full((100, 10), 0.1))[0] == pytest.approx(1.0)


def test_score_of_confident_balanced_predictions_is_the_number_of_classes():
    probs = np.eye(10)[np.arange(1000) % 10]
    mean, std = gm.classifier_score(probs, splits=10)
    assert mean == pytest.approx(10.0, rel=1e-6)
    assert std == pytest.approx(0.0, abs=1e-6)


def test_score_of_a_collapsed_generator_is_one():
    probs = np.eye(10)[np.zeros(100, int)]
    assert gm.classifier_score(probs)[0] == pytest.approx(1.0, rel=1e-6)


def test_score_matches_the_kl_formula_on_a_small_example():
    p = np.array([[0.9, 0.1], [0.2, 0.8]])
    marginal = p.mean(axis=0)
    kl = np.sum(p * np.log(p / marginal), axis=1)
    assert gm.classifier_score(p)[0] == pytest.approx(np.exp(kl.mean()), rel=1e-9)


def test_score_rejects_logits():
    with pytest.raises(ValueError, match="softmax"):
        gm.classifier_score(np.array([[2.0, -1.0], [0.5, 3.0]]))


# -- toy mode metrics ------------------------------------------------------------------------
@pytest.mark.parametrize("name, modes", [("8gaussians", 8), ("25gaussians", 25)])
def test_real_toy_data_covers_every_mode_with_high_quality(name, modes):
    points = toy2d.sample(name, 20_000, np.random.default_rng(0))
    m = gm.toy_mode_metrics(name, points)
    assert (m.modes_covered, m.num_modes) == (modes, modes)
    # 2-D Gaussian: P(|x - mu| <= 3 sigma) = 1 - exp(-9 / 2) = 0.9889, so TOY_MODE_STD must be the
    # noise std in the data's scaled units.
    assert m.high_quality_fraction == pytest.approx(1 - np.exp(-4.5), abs=0.005)


def test_mode_metrics_of_a_collapsed_generator():
    centers = toy2d.centers("25gaussians")
    samples = np.repeat(centers[:3], 10, axis=0)
    samples = np.concatenate([samples, np.full((30, 2), 5.0)])  # 30 far-away samples
    m = gm.toy_mode_metrics("25gaussians", samples)
    assert m.modes_covered == 3
    assert m.high_quality_fraction == pytest.approx(0.5)
    assert sum(m.samples_per_mode) == 30
    assert gm.toy_mode_metrics("25gaussians", samples, min_samples=11).modes_covered == 0
    assert m.as_dict()["high_quality_percent"] == pytest.approx(50.0)


def test_mode_metrics_threshold_is_three_stds():
    center = toy2d.centers("8gaussians")[:1]
    std = gm.TOY_MODE_STD["8gaussians"]
    inside = center + [[2.99 * std, 0.0]]
    outside = center + [[3.01 * std, 0.0]]
    assert gm.toy_mode_metrics("8gaussians", inside).high_quality_fraction == 1.0
    assert gm.toy_mode_metrics("8gaussians", outside).high_quality_fraction == 0.0


def test_mode_metrics_reject_a_set_without_modes():
    with pytest.raises(ValueError, match=r"'swissroll'; valid names: \['25gaussians', "):
        gm.toy_mode_metrics("swissroll", np.zeros((4, 2)))


# -- image metrics with the self-trained classifier -----------------------------------------
def _write_npz(path, n=600, seed=0):
    """Three classes of 8x8 images that a tiny CNN separates quickly: bright rows/cols/corners."""
    rng = np.random.default_rng(seed)

    def make(count):
        return three_class_images(rng, count, 8, band=(2, 4), corner=5, noise_max=40, bright=230)

    x, y = make(n)
    xt, yt = make(n // 3)
    np.savez(path, x=x, y=y, x_test=xt, y_test=yt)
    return x, y, xt, yt


@pytest.fixture
def tiny_classifier_setup(tmp_path):
    from tfgen.evaluation.classifier import ClassifierConfig

    arrays = _write_npz(tmp_path / "toy.npz")
    cfg = ClassifierConfig(dataset=f"npz:{tmp_path / 'toy.npz'}", filters=4, feature_dim=8,
                           train_steps=60, batch_size=32, learning_rate=3e-3, seed=3)
    return cfg, str(tmp_path / "cache"), arrays


def test_classifier_trains_caches_and_reloads(tiny_classifier_setup):
    from tfgen.evaluation.classifier import load_or_train_classifier

    cfg, cache, (x, _y, xt, yt) = tiny_classifier_setup
    first = load_or_train_classifier(cfg, cache, verbose=False)
    assert first.info["cached"] is False
    assert first.test_accuracy > 0.9  # the three patterns are easy
    entry = first.info["path"]
    assert sorted(os.listdir(entry)) == ["classifier.json", "classifier.weights.h5"]
    assert not [n for n in os.listdir(cache) if n.startswith(".tmp")]
    with open(os.path.join(entry, "classifier.json")) as f:
        assert json.load(f)["test_accuracy"] == pytest.approx(first.test_accuracy)

    again = load_or_train_classifier(cfg, cache, verbose=False)
    assert again.info["cached"] is True
    f1, p1 = first.features_and_probabilities(xt)
    f2, p2 = again.features_and_probabilities(xt)
    np.testing.assert_allclose(f1, f2, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(p1, p2, rtol=1e-6, atol=1e-6)
    assert f1.shape == (len(xt), 8) and p1.shape == (len(xt), 3)
    np.testing.assert_allclose(p1.sum(axis=1), 1.0, rtol=1e-5)

    # Deterministic given the seed: a fresh cache trains the same weights.
    other = load_or_train_classifier(cfg, cache + "2", verbose=False)
    np.testing.assert_allclose(other.features(xt), f1, rtol=1e-5, atol=1e-5)

    # Metrics in its feature space: real vs real ~ 0; real vs one class is far and scores ~1.
    real = gm.image_metrics(first, xt, x)
    collapsed = gm.image_metrics(first, xt[yt == 0], x)
    assert real["frechet_distance"] < 0.2 * collapsed["frechet_distance"]
    assert real["score"] > 1.6 and collapsed["score"] < 1.3
    precomputed = gm.image_metrics(first, xt, gm.gaussian_fit(first.features(x)))
    assert precomputed["frechet_distance"] == pytest.approx(real["frechet_distance"], rel=1e-6)

    with pytest.raises(ValueError, match="expected uint8 images"):
        first.features(xt.astype(np.float32))


# -- InceptionV3 -----------------------------------------------------------------------------
def test_inception_without_weights_says_how_to_provide_them(monkeypatch, tmp_path):
    from tfgen.evaluation import inception

    monkeypatch.delenv(inception.WEIGHTS_ENV, raising=False)
    with pytest.raises(inception.InceptionWeightsNotFoundError,
                       match="--inception_weights=PATH.*TFGEN_INCEPTION_WEIGHTS"):
        inception.InceptionV3Scorer()
    with pytest.raises(inception.InceptionWeightsNotFoundError, match="is not a file"):
        inception.InceptionV3Scorer(str(tmp_path / "missing.h5"))


@pytest.mark.slow
def test_inception_loads_local_weights_and_scores(monkeypatch, tmp_path):
    """InceptionV3 with (random) weights from a local file in the legacy .h5 layout that Keras'
    ImageNet file uses; no download is attempted."""
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    from tfgen.evaluation import inception

    path = str(tmp_path / inception.WEIGHTS_FILE)
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, keras.applications.InceptionV3(weights=None))
    monkeypatch.setenv(inception.WEIGHTS_ENV, path)
    scorer = inception.InceptionV3Scorer()
    images = np.random.default_rng(0).integers(0, 256, (4, 28, 28, 1)).astype(np.uint8)
    feats, probs = scorer.features_and_probabilities(images)
    assert feats.shape == (4, 2048) and probs.shape == (4, 1000)
    assert 1.0 <= inception.inception_score(images, splits=1, scorer=scorer)[0] <= 1000.0
    assert inception.fid(images, images, scorer=scorer) == pytest.approx(0.0, abs=1e-3)


# -- text n-gram statistics ------------------------------------------------------------------
def test_ngram_js_of_identical_and_disjoint_texts():
    from tfgen.evaluation import text_metrics as tm

    texts = ["the cat sat on the mat", "a dog"]
    for n in (1, 2, 4):
        assert tm.ngram_js(texts, list(reversed(texts)), n) == pytest.approx(0.0, abs=1e-12)
    assert tm.ngram_js(["aaaa"], ["bbbb"], 2) == pytest.approx(1.0)


def test_js_divergence_matches_the_formula():
    from tfgen.evaluation import text_metrics as tm

    p, q = {"a": 3, "b": 1}, {"a": 1, "b": 1, "c": 2}
    pv, qv = np.array([0.75, 0.25, 0.0]), np.array([0.25, 0.25, 0.5])
    m = (pv + qv) / 2
    kl = lambda x, y: sum(a * np.log2(a / b) for a, b in zip(x, y) if a > 0)
    assert tm.js_divergence(p, q) == pytest.approx(0.5 * kl(pv, m) + 0.5 * kl(qv, m))
    assert tm.ngram_counts(["abab"], 2) == {"ab": 2, "ba": 1}
    with pytest.raises(ValueError, match="at least one"):
        tm.js_divergence({}, q)


def test_word_validity():
    from tfgen.evaluation import text_metrics as tm

    # Last words are skipped (possibly cut): "the" and "zzq" count.
    assert tm.word_validity(["the ca", "zzq the"], {"the", "cat"}) == pytest.approx(0.5)
    assert tm.word_validity(["word"], {"word"}) == 0.0
