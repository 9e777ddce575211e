"""Character-level text datasets: fortunes parsing, the codec, text:PATH / fortunes / lm1b."""

from __future__ import annotations

import os

import numpy as np
import pytest

from tfgen import data
from tfgen.data.sources import text

HAVE_FORTUNES = all(os.path.isfile(os.path.join(text.FORTUNES_DIR, n))
                    for n in ("wisdom", "literature"))


def _sentences(n: int) -> list[str]:
    words = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran", "quickly", "home"]
    rng = np.random.default_rng(0)
    return [f"{i} " + " ".join(rng.choice(words, 8)) for i in range(n)]


@pytest.fixture
def corpus_file(tmp_path) -> tuple[str, list[str]]:
    lines = _sentences(200)
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(lines) + "\n\n")  # blank lines are skipped
    return str(path), lines


def test_fortunes_parser_and_char_codec(tmp_path):
    (tmp_path / "literature").write_text(
        "A classic is something that everyone wants to have read. And nobody reads it.\n"
        "\t\t-- Mark Twain\n%\nBrevity is the soul of wit.\n\t\t-- Shakespeare\n%\n")
    (tmp_path / "ascii-art").write_text("  /\\_/\\ \n%\n")  # not a prose file: ignored
    sentences = text.fortunes_sentences(str(tmp_path))
    assert sentences == ["A classic is something that everyone wants to have read.",
                         "And nobody reads it.", "Brevity is the soul of wit."]
    codec = text.CharCodec.fit(sentences, max_vocab=12)
    assert codec.size == 12 and codec.chars[:2] == (text.PAD, text.UNK)
    codes = codec.encode(["And nobody", "x" * 40], 16)
    assert codes.shape == (2, 16) and codes.dtype == np.uint8
    assert codes[0, 10:].tolist() == [0] * 6
    decoded = codec.decode(np.eye(codec.size)[codes])  # one-hot rows decode by argmax
    assert decoded[0] == "".join(c if c in codec.chars else text.UNK for c in "And nobody")
    assert decoded[1] == text.UNK * 16
    with pytest.raises(ValueError, match=r"\[N, L, 12\]"):
        codec.decode(np.zeros((1, 4, 5)))
    with pytest.raises(data.DataNotFoundError, match="apt-get install fortunes"):
        text.fortunes_sentences(str(tmp_path / "missing"))


def test_text_file_dataset_splits_one_hot_and_vocabulary(corpus_file):
    path, lines = corpus_file
    name = f"text:{path}"
    spec = data.get_spec(name)
    assert spec.kind == "text" and spec.num_classes == 0 and not spec.binarized
    vocab = spec.vocabulary
    assert spec.shape == (32, len(vocab)) and vocab[:2] == (text.PAD, text.UNK)
    assert set("thecatsaon 0123456789") <= set(vocab)
    codec = text.CharCodec(vocab)

    def decoded(split, **kw):
        ds, s = data.load(name, split, **kw)
        x, y = (np.stack(a) for a in zip(*ds.as_numpy_iterator()))
        assert x.dtype == np.float32 and x.shape[1:] == s.shape
        np.testing.assert_array_equal(x.sum(-1), 1.0)  # one-hot rows
        assert set(y.tolist()) == {-1}  # unlabelled
        return codec.decode(x)

    test = decoded("test")
    assert test == [s[:32] for i, s in enumerate(lines) if i % 10 == 9]  # every 10th sentence
    train, val = decoded("train"), decoded("validation")
    assert sorted(train + val) == sorted(s[:32] for i, s in enumerate(lines) if i % 10 != 9)
    assert 0 < len(val) < len(train)
    assert decoded("test", image_size=12) == [t[:12] for t in test]  # image_size: length L
    assert data.get_spec(name, image_size=12).shape == (12, len(vocab))


def test_text_errors_are_clear(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="text:PATH"):
        data.load("no_such_set")
    with pytest.raises(data.DataNotFoundError, match="does not exist"):
        data.load(f"text:{tmp_path / 'missing.txt'}")
    (tmp_path / "short.txt").write_text("one\ntwo\n")
    with pytest.raises(ValueError, match="at least 10 sentences"):
        data.load(f"text:{tmp_path / 'short.txt'}")
    (tmp_path / "ok.txt").write_text("\n".join(_sentences(20)))
    with pytest.raises(ValueError, match="binarize=False"):
        data.load(f"text:{tmp_path / 'ok.txt'}", binarize=True)
    from tfgen.data.sources import tfds_source

    empty = tmp_path / "tfds"
    empty.mkdir()
    monkeypatch.setattr(tfds_source, "default_data_dir", lambda: str(empty))
    with pytest.raises(data.DataNotFoundError, match="tfds build lm1b"):
        data.load("lm1b")
    assert "lm1b" in data.dataset_names() and "fortunes" in data.dataset_names()


@pytest.mark.skipif(not HAVE_FORTUNES, reason="Debian package `fortunes` is not installed "
                    "(apt-get install fortunes; scripts/setup.sh does it)")
def test_real_fortunes_corpus():
    ds, spec = data.load("fortunes", "test")
    assert spec.shape == (32, text.MAX_VOCAB) and spec.kind == "text"
    codec = text.CharCodec(spec.vocabulary)
    first = codec.decode(np.stack([x for x, _ in ds.take(200).as_numpy_iterator()]))
    corpus = text.load_corpus("fortunes")
    assert first == codec.decode(codec.encode(list(corpus.test[:200]), 32))
    assert sum(a == b[:32] for a, b in zip(first, corpus.test)) > 150  # few rare characters
    assert len(corpus.train) > 5000 and len(corpus.test) > 500  # ~10 000 / ~1 100 sentences
    # English prose: the most frequent characters after PAD and UNK are space and e.
    assert spec.vocabulary[2:4] == (" ", "e")
    assert sum(len(s.split()) for s in first) > 200 * 3
