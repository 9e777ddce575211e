"""Character-level WGAN-GP language model (thesis §3.5.4).

The text comes from :mod:`tfgen.data.sources.text` through :func:`tfgen.data.load` (one-hot
``[L, V]`` sentences of ``seq_len`` characters). ``StudyConfig.text_source``:

* ``lm1b`` — the Billion Word benchmark through TFDS, only when already prepared.
* ``fortunes`` — real English prose offline (the Debian package ``fortunes``).
* ``file:PATH`` — one sentence per line of a UTF-8 text file (the dataset ``text:PATH``).
* ``auto`` — lm1b if prepared, else fortunes.

A generator sample is ``[L, V]`` softmax rows, decoded by argmax. The corpus' test sentences are
the held-out text of the n-gram statistics; word validity counts words of the train sentences.
"""

from __future__ import annotations

import os
import time

from matplotlib.figure import Figure

from tfgen import data
from tfgen.data.sources import text as text_source
from tfgen.evaluation import text_metrics
from tfgen.experiments.studies_gan.common import (
    GanTrainer,
    atomic_write,
    penalty_weight,
    save_figure,
)
from tfgen.experiments.studies_gan.config import StudyConfig

TEXT_SOURCES = ("auto", "lm1b", "fortunes", "file:PATH")


def dataset_name(source: str) -> str:
    """The :mod:`tfgen.data` name of a ``text_source`` value (see the module doc)."""
    if source.startswith("file:"):
        return text_source.TEXT_PREFIX + source[len("file:"):]
    if source == "auto":
        return "lm1b" if text_source.lm1b_prepared() else "fortunes"
    if source in text_source.CORPORA:
        return source
    raise ValueError(f"unknown text_source {source!r}; expected one of {TEXT_SOURCES}")


def _statistics(samples: list[str], held_out: list[str], vocabulary: set[str]) -> dict:
    return {**{f"js{n}": text_metrics.ngram_js(samples, held_out, n) for n in (1, 2, 3, 4)},
            "word_validity": text_metrics.word_validity(samples, vocabulary)}


def text_gan(cfg: StudyConfig, output_dir: str) -> dict:
    """Train the 1-D CNN WGAN-GP on the corpus; samples, JS-n statistics along training.

    Reads ``text_source, seq_len, losses[0], steps, eval_every, batch_size, dim, latent_dim,
    num_samples, train_examples, learning_rate, max_seconds, seed``.
    """
    name = dataset_name(cfg.text_source)
    ds, spec = data.load(name, "train", image_size=cfg.seq_len, seed=cfg.seed)
    corpus = text_source.load_corpus(name)
    codec = text_source.CharCodec(spec.vocabulary)
    train_cut = [s[:cfg.seq_len] for s in corpus.train]
    held_out = [s[:cfg.seq_len] for s in corpus.test]
    vocabulary = set(corpus.words)
    n = min(cfg.num_samples, len(held_out))
    floor = _statistics(train_cut[:n], held_out, vocabulary)  # real vs real
    loss = cfg.losses[0]
    trainer = GanTrainer((ds, spec), {"loss": loss, "generator": "text_cnn", "critic": "text_cnn",
                                      "latent_dim": cfg.latent_dim, "generator_dim": cfg.dim,
                                      "critic_dim": cfg.dim, **penalty_weight(cfg)},
                         batch_size=cfg.batch_size, seed=cfg.seed,
                         learning_rate=cfg.learning_rate, train_examples=cfg.train_examples)
    curve, began = [], time.monotonic()
    samples: list[str] = []
    while trainer.steps < cfg.steps:
        logs = trainer.train(min(cfg.eval_every, cfg.steps - trainer.steps), cfg.max_seconds)
        if not logs:
            break
        samples = codec.decode(trainer.sample(n, seed=cfg.seed))
        curve.append({"generator_iterations": trainer.steps,
                      "train_seconds": trainer.train_seconds,
                      "wasserstein": logs.get("wasserstein"),
                      **_statistics(samples, held_out, vocabulary)})
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    for k in (1, 2, 3, 4):
        ax.plot([p["generator_iterations"] for p in curve], [p[f"js{k}"] for p in curve],
                marker=".", label=f"JS-{k} (real: {floor[f'js{k}']:.3f})")
    ax.set_xlabel("generator iterations")
    ax.set_ylabel("JS divergence of char n-grams (bits)")
    ax.set_title(f"{loss} character model on {name}")
    ax.legend(fontsize=8)
    figures = [save_figure(fig, os.path.join(output_dir, "text_gan.png"))]
    table = samples[:32]
    text = "\n".join(table) + "\n"
    atomic_write(os.path.join(output_dir, "text_gan_samples.txt"),
                 lambda f: f.write(text.encode("utf-8")))
    return {"text_source": name, "train_sentences": len(corpus.train),
            "held_out_sentences": len(held_out), "vocabulary": "".join(spec.vocabulary),
            "seq_len": cfg.seq_len, "loss": loss, "real_vs_held_out": floor, "curve": curve,
            "final": curve[-1] if curve else None, "samples": table,
            "real_examples": held_out[:8], "seconds": time.monotonic() - began,
            "figures": figures}
