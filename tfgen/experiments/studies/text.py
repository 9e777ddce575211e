"""Character-level WGAN-GP language model (thesis §3.5.4).

The text comes from :mod:`tfgen.data.sources.text` through :func:`tfgen.data.load` (one-hot
``[L, V]`` sentences of ``seq_len`` characters). ``text_source``:

* ``lm1b`` — the Billion Word benchmark through TFDS, only when already prepared (``full``).
* ``fortunes`` — real English prose offline (the Debian package ``fortunes``).
* ``file:PATH`` — one sentence per line of a UTF-8 text file (the dataset ``text:PATH``).
* ``auto`` — lm1b if prepared, else fortunes.

A generator sample is ``[L, V]`` softmax rows, decoded by argmax. The corpus' test sentences are
the held-out text of the n-gram statistics; word validity counts words of the train sentences.
"""

from __future__ import annotations

import dataclasses
import functools
import os

from matplotlib.figure import Figure

from tfgen import data
from tfgen.data.sources import text as text_source
from tfgen.evaluation import text_metrics
from tfgen.experiments.studies import gan
from tfgen.experiments.studies.gan import GanStudyConfig, gan_run, run_name, samples
from tfgen.experiments.study import RunSpec, Study, TrainedRun, save_figure, write_text
from tfgen.utils.config import field

TEXT_SOURCES = ("auto", "lm1b", "fortunes", "file:PATH")


@dataclasses.dataclass(frozen=True)
class TextGanConfig(GanStudyConfig):
    """The settings of ``text_gan`` (``losses[0]`` is the loss)."""

    text_source: str = field("auto", "text corpus: auto | lm1b | fortunes | file:PATH")
    seq_len: int = field(32, "characters per text sample", minimum=1)
    eval_every: int = gan.eval_every_field(100)
    generator_dim: int = gan.generator_dim_field()
    latent_dim: int = gan.latent_dim_field(128)
    num_samples: int = gan.num_samples_field(500)
    train_examples: int = field(0, "train on only the first N sentences (0: all)", minimum=0)


def dataset_name(source: str) -> str:
    """The :mod:`tfgen.data` name of a ``text_source`` value (see the module doc)."""
    if source.startswith("file:"):
        return text_source.TEXT_PREFIX + source[len("file:"):]
    if source == "auto":
        return "lm1b" if text_source.lm1b_prepared() else "fortunes"
    if source in text_source.CORPORA:
        return source
    raise ValueError(f"unknown text_source {source!r}; expected one of {TEXT_SOURCES}")


@functools.lru_cache(maxsize=2)
def _corpus(name: str, seq_len: int) -> dict:
    """The corpus' train and held-out sentences cut to ``seq_len``, words and codec."""
    corpus = text_source.load_corpus(name)
    spec = data.get_spec(name, image_size=seq_len)
    return {"train": [s[:seq_len] for s in corpus.train],
            "held_out": [s[:seq_len] for s in corpus.test], "words": set(corpus.words),
            "codec": text_source.CharCodec(spec.vocabulary), "vocabulary": spec.vocabulary}


def _statistics(sentences: list[str], corpus: dict) -> dict:
    return {**{f"js{n}": text_metrics.ngram_js(sentences, corpus["held_out"], n)
               for n in (1, 2, 3, 4)},
            "word_validity": text_metrics.word_validity(sentences, corpus["words"])}


def _decoded(model, cfg: TextGanConfig) -> tuple[list[str], dict]:
    corpus = _corpus(dataset_name(cfg.text_source), cfg.seq_len)
    count = min(cfg.num_samples, len(corpus["held_out"]))
    return corpus["codec"].decode(samples(model, count, cfg.seed)), corpus


def _runs(cfg: TextGanConfig) -> list[RunSpec]:
    loss = cfg.losses[0]
    return [gan_run(run_name(loss), loss, cfg, dataset_name(cfg.text_source),
                    {"loss": loss, "generator": "text_cnn", "critic": "text_cnn"},
                    steps_per_epoch=cfg.eval_every, image_size=cfg.seq_len,
                    train_examples=cfg.train_examples)]


def _measure(run: RunSpec, trained: TrainedRun, cfg: TextGanConfig) -> dict:
    sentences, _ = _decoded(trained.model, cfg)
    return {"curve": gan.curve_points(trained), "samples": sentences[:32]}


def _report(cfg: TextGanConfig, records: list[dict], output_dir: str) -> dict:
    (record,) = records
    name = dataset_name(cfg.text_source)
    corpus = _corpus(name, cfg.seq_len)
    count = min(cfg.num_samples, len(corpus["held_out"]))
    floor = _statistics(corpus["train"][:count], corpus)  # real vs real
    curve = record["curve"]
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    for k in (1, 2, 3, 4):
        ax.plot([p["generator_iterations"] for p in curve], [p[f"js{k}"] for p in curve],
                marker=".", label=f"JS-{k} (real: {floor[f'js{k}']:.3f})")
    ax.set(xlabel="generator iterations", ylabel="JS divergence of char n-grams (bits)",
           title=f"{record['label']} character model on {name}")
    ax.legend(fontsize=8)
    path = save_figure(fig, os.path.join(output_dir, "text_gan.png"))
    write_text(os.path.join(output_dir, "text_gan_samples.txt"), "\n".join(record["samples"])
               + "\n")
    return {"text_source": name, "train_sentences": len(corpus["train"]),
            "held_out_sentences": len(corpus["held_out"]),
            "vocabulary": "".join(corpus["vocabulary"]), "seq_len": cfg.seq_len,
            "loss": record["label"], "real_vs_held_out": floor, "curve": curve,
            "final": curve[-1] if curve else None, "samples": record["samples"],
            "real_examples": corpus["held_out"][:8], "figures": [os.path.basename(path)]}


STUDY = Study(
    "text_gan",
    "§3.5.4: character-level WGAN-GP with 1-D residual CNNs on 32-character sentences (lm1b via "
    "TFDS when prepared, else the Debian `fortunes` prose offline): sample table and JS "
    "divergence of character 1-4-gram distributions against held-out text.",
    TextGanConfig, _runs, _report,
    cpu={"losses": ("wgan-gp",), "train_steps": 300, "batch_size": 32, "generator_dim": 64,
         "critic_dim": 64},
    full={"text_source": "lm1b", "train_steps": 100000, "eval_every": 2000, "batch_size": 64,
          "generator_dim": 512, "critic_dim": 512, "num_samples": 5000},
    smoke={**gan.SMOKE, "eval_every": 2, "num_samples": 64, "generator_dim": 8, "latent_dim": 8,
           "train_examples": 64},
    measure=_measure,
    callbacks=gan.curve(lambda model, cfg: _statistics(*_decoded(model, cfg)),
                        log_keys=("wasserstein",)))
