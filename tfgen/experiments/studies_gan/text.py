"""Character-level WGAN-GP language model (thesis §3.5.4) and the text it learns from.

Corpus (``StudyConfig.text_source``):

* ``lm1b`` — the Billion Word benchmark through TFDS, only when already prepared
  (``tfds build lm1b``); nothing is downloaded.
* ``fortunes`` — real English prose offline: the quotations, literature and aphorisms of the
  Debian package ``fortunes`` (``apt-get install fortunes``; plain text in
  ``/usr/share/games/fortunes``). Attribution lines are dropped and each fortune is split into
  sentences.
* ``file:PATH`` — one sentence per line of a UTF-8 text file.
* ``auto`` — lm1b if prepared, else fortunes if installed, else an error saying how to get either.

Sentences are cut to ``seq_len`` (32) characters and padded with ``PAD``; characters are coded
over the corpus' most frequent ``MAX_VOCAB - 2`` characters plus ``PAD`` and ``UNK``. A sample is
``[L, V]``: one-hot rows for real text, softmax rows from the generator, decoded by argmax.
Every 10th sentence is held out for the n-gram statistics.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import re
import time

import numpy as np
import tensorflow as tf
from matplotlib.figure import Figure

from tfgen.data import DataNotFoundError, DatasetSpec
from tfgen.evaluation import text_metrics
from tfgen.experiments.studies_gan.common import GanTrainer, penalty_weight, save_figure
from tfgen.experiments.studies_gan.config import StudyConfig

FORTUNES_DIR = "/usr/share/games/fortunes"
#: Prose-like fortune files (no ASCII art, code, or dialogue-heavy collections).
FORTUNE_FILES = ("art", "education", "food", "humorists", "law", "literature", "love",
                 "miscellaneous", "people", "pets", "platitudes", "politics", "science",
                 "wisdom", "work")
PAD, UNK = "`", "\u00bf"
MAX_VOCAB = 64
HELD_OUT_EVERY = 10
TEXT_SOURCES = ("auto", "lm1b", "fortunes", "file:PATH")


def _sentences(paragraph: str) -> list[str]:
    paragraph = re.sub(r"\s+", " ", paragraph).strip()
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"'])", paragraph) if s.strip()]


def fortunes_sentences(directory: str = FORTUNES_DIR) -> list[str]:
    """Sentences of the prose fortune files, in file then position order."""
    found = [os.path.join(directory, name) for name in FORTUNE_FILES
             if os.path.isfile(os.path.join(directory, name))]
    if not found:
        raise DataNotFoundError(f"no fortune files in {directory}; install the Debian package "
                                f"`fortunes` (apt-get install fortunes)")
    out = []
    for path in found:
        with open(path, encoding="utf-8", errors="replace") as f:
            for fortune in f.read().split("\n%\n"):
                body = [line for line in fortune.splitlines()
                        if not line.strip().startswith("--")]
                out.extend(_sentences(" ".join(body)))
    return out


def lm1b_sentences(limit: int) -> list[str] | None:
    """Up to ``limit`` lm1b training sentences if TFDS has lm1b prepared, else None."""
    from tfgen.data.sources.tfds_source import prepared_builder

    builder = prepared_builder("lm1b", None)
    if builder is None:
        return None
    ds = builder.as_dataset(split="train").take(limit)
    return [t.decode("utf-8", "replace") for t in ds.map(lambda e: e["text"]).as_numpy_iterator()]


def load_sentences(source: str, limit: int = 0) -> tuple[list[str], str]:
    """(sentences, the source used) for a ``text_source`` value (see module doc)."""
    if source.startswith("file:"):
        with open(source[5:], encoding="utf-8", errors="replace") as f:
            sentences = [line.strip() for line in f if line.strip()]
        used = source
    elif source in ("auto", "lm1b"):
        sentences = lm1b_sentences(limit or 1_000_000)
        used = "lm1b"
        if sentences is None and source == "lm1b":
            raise DataNotFoundError("TFDS lm1b is not prepared (run `tfds build lm1b` where "
                                    "there is a network); or use --text_source=fortunes")
        if sentences is None:
            sentences, used = fortunes_sentences(), "fortunes"
    elif source == "fortunes":
        sentences, used = fortunes_sentences(), "fortunes"
    else:
        raise ValueError(f"unknown text_source {source!r}; expected one of {TEXT_SOURCES}")
    if limit:
        sentences = sentences[:limit]
    if len(sentences) < 2 * HELD_OUT_EVERY:
        raise ValueError(f"text source {used!r} has only {len(sentences)} sentences")
    return sentences, used


@dataclasses.dataclass(frozen=True)
class CharCodec:
    """Characters <-> indices; index 0 is ``PAD``, 1 is ``UNK``."""

    chars: tuple[str, ...]

    @classmethod
    def fit(cls, texts: list[str], max_vocab: int = MAX_VOCAB) -> "CharCodec":
        counts = collections.Counter(c for t in texts for c in t if c not in (PAD, UNK))
        common = sorted(counts, key=lambda c: (-counts[c], c))[:max_vocab - 2]
        return cls((PAD, UNK) + tuple(common))

    @property
    def size(self) -> int:
        return len(self.chars)

    def encode(self, texts: list[str], length: int) -> np.ndarray:
        """int32 [N, length]: cut to ``length``, padded with PAD, unknown characters -> UNK."""
        index = {c: i for i, c in enumerate(self.chars)}
        out = np.zeros((len(texts), length), np.int32)
        for row, text in enumerate(texts):
            codes = [index.get(c, 1) for c in text[:length]]
            out[row, :len(codes)] = codes
        return out

    def decode(self, indices: np.ndarray) -> list[str]:
        """int [N, L] (or softmax/one-hot [N, L, V], argmax taken) -> strings, PAD removed."""
        indices = np.asarray(indices)
        if indices.ndim == 3:
            indices = indices.argmax(-1)
        return ["".join(self.chars[i] for i in row).replace(PAD, "") for row in indices]


@dataclasses.dataclass(frozen=True)
class TextCorpus:
    train: list[str]      # sentences cut to seq_len
    held_out: list[str]
    codec: CharCodec
    source: str
    seq_len: int
    words: frozenset = frozenset()  # the words of the (uncut) training sentences

    def dataset(self) -> tuple[tf.data.Dataset, DatasetSpec]:
        """Unbatched ``(one-hot float32 [L, V], label 0)`` training examples and their spec."""
        codes = self.codec.encode(self.train, self.seq_len)
        ds = tf.data.Dataset.from_tensor_slices(codes).map(
            lambda c: (tf.one_hot(c, self.codec.size, dtype=tf.float32),
                       tf.constant(0, tf.int64)))
        spec = DatasetSpec(f"text:{self.source}", (self.seq_len, self.codec.size), 0, "points",
                           False)
        return ds, spec


def load_corpus(source: str, seq_len: int, limit: int = 0) -> TextCorpus:
    sentences, used = load_sentences(source, limit)
    cut = [s[:seq_len] for s in sentences]
    held = [s for i, s in enumerate(cut) if i % HELD_OUT_EVERY == HELD_OUT_EVERY - 1]
    train = [s for i, s in enumerate(cut) if i % HELD_OUT_EVERY != HELD_OUT_EVERY - 1]
    words = frozenset(w for i, s in enumerate(sentences) if i % HELD_OUT_EVERY != HELD_OUT_EVERY - 1
                      for w in s.split())
    return TextCorpus(train, held, CharCodec.fit(train), used, seq_len, words)


def _statistics(samples: list[str], corpus: TextCorpus, vocabulary: set[str]) -> dict:
    return {**{f"js{n}": text_metrics.ngram_js(samples, corpus.held_out, n) for n in (1, 2, 3, 4)},
            "word_validity": text_metrics.word_validity(samples, vocabulary)}


def text_gan(cfg: StudyConfig, output_dir: str) -> dict:
    """Train the 1-D CNN WGAN-GP on the corpus; samples, JS-n statistics along training.

    Reads ``text_source, seq_len, losses[0], steps, eval_every, batch_size, dim, latent_dim,
    num_samples, train_examples, learning_rate, max_seconds, seed``.
    """
    corpus = load_corpus(cfg.text_source, cfg.seq_len, cfg.train_examples)
    vocabulary = set(corpus.words)
    n = min(cfg.num_samples, len(corpus.held_out))
    floor = _statistics(corpus.train[:n], corpus, vocabulary)  # real vs real
    loss = cfg.losses[0]
    trainer = GanTrainer(corpus.dataset(), {"loss": loss, "generator": "text_cnn",
                                            "critic": "text_cnn", "latent_dim": cfg.latent_dim,
                                            "generator_dim": cfg.dim, "critic_dim": cfg.dim,
                                            **penalty_weight(cfg)},
                         batch_size=cfg.batch_size, seed=cfg.seed,
                         learning_rate=cfg.learning_rate)
    curve, began = [], time.monotonic()
    samples: list[str] = []
    while trainer.steps < cfg.steps:
        logs = trainer.train(min(cfg.eval_every, cfg.steps - trainer.steps), cfg.max_seconds)
        if not logs:
            break
        samples = corpus.codec.decode(trainer.sample(n, seed=cfg.seed))
        curve.append({"generator_iterations": trainer.steps,
                      "train_seconds": trainer.train_seconds,
                      "wasserstein": logs.get("wasserstein"),
                      **_statistics(samples, corpus, vocabulary)})
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    for k in (1, 2, 3, 4):
        ax.plot([p["generator_iterations"] for p in curve], [p[f"js{k}"] for p in curve],
                marker=".", label=f"JS-{k} (real: {floor[f'js{k}']:.3f})")
    ax.set_xlabel("generator iterations")
    ax.set_ylabel("JS divergence of char n-grams (bits)")
    ax.set_title(f"{loss} character model on {corpus.source}")
    ax.legend(fontsize=8)
    figures = [save_figure(fig, os.path.join(output_dir, "text_gan.png"))]
    table = samples[:32]
    with open(os.path.join(output_dir, "text_gan_samples.txt"), "w") as f:
        f.write("\n".join(table) + "\n")
    return {"text_source": corpus.source, "train_sentences": len(corpus.train),
            "held_out_sentences": len(corpus.held_out), "vocabulary": "".join(corpus.codec.chars),
            "seq_len": cfg.seq_len, "loss": loss, "real_vs_held_out": floor, "curve": curve,
            "final": curve[-1] if curve else None, "samples": table,
            "real_examples": corpus.held_out[:8], "seconds": time.monotonic() - began,
            "figures": figures}
