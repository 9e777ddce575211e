"""Character-level text as a dataset: real English sentences as one-hot ``[L, V]`` sequences.

The character language model of the thesis (§3.5.4) learns from sentences cut to ``L`` (32)
characters. Corpora (registry names):

* ``fortunes`` — real English prose offline: the quotations, literature and aphorisms of the
  Debian package ``fortunes`` (``apt-get install fortunes``; plain text in
  ``/usr/share/games/fortunes``). Attribution lines (``-- Author``) are dropped and each fortune
  is split into sentences. Every 10th sentence is the test split.
* ``lm1b`` — the One Billion Word benchmark through TFDS, only when already prepared
  (``tfds build lm1b``; TFDS' default data_dir or ``$TFDS_DATA_DIR``); nothing is downloaded.
  The first :data:`LM1B_SENTENCES` train and :data:`LM1B_TEST_SENTENCES` test sentences.
* ``text:PATH`` — one sentence per line of a UTF-8 file; every 10th line is the test split.

Characters are coded by a :class:`CharCodec` fitted on the train sentences: index 0 is ``PAD``
(fills sentences shorter than ``L``), 1 is ``UNK`` (characters outside the vocabulary), then the
corpus' ``MAX_VOCAB - 2`` most frequent characters. The vocabulary is part of the
:class:`~tfgen.data.DatasetSpec` (``spec.vocabulary``), so samples can be decoded anywhere
(argmax over V, ``PAD`` removed).
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import os
import re

import numpy as np

from tfgen.data.sources.base import ArraySplit, SourceInfo, unlabelled
from tfgen.data.spec import TEXT, DataNotFoundError

FORTUNES_DIR = "/usr/share/games/fortunes"
#: Prose-like fortune files (no ASCII art, code, or dialogue-heavy collections).
FORTUNE_FILES = ("art", "education", "food", "humorists", "law", "literature", "love",
                 "miscellaneous", "people", "pets", "platitudes", "politics", "science",
                 "wisdom", "work")
PAD, UNK = "`", "\u00bf"
MAX_VOCAB = 64
SEQ_LEN = 32
HELD_OUT_EVERY = 10
LM1B_SENTENCES = 100_000
LM1B_TEST_SENTENCES = 10_000
TEXT_PREFIX = "text:"
#: Registered corpus names (plus ``text:PATH``).
CORPORA = ("fortunes", "lm1b")


def _sentences(paragraph: str) -> list[str]:
    paragraph = re.sub(r"\s+", " ", paragraph).strip()
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"'])", paragraph) if s.strip()]


def fortunes_sentences(directory: str = FORTUNES_DIR) -> list[str]:
    """Sentences of the prose fortune files, in file then position order.

    Raises:
      DataNotFoundError: none of :data:`FORTUNE_FILES` is in ``directory``.
    """
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


def lm1b_prepared() -> bool:
    """Whether TFDS has lm1b prepared in its default data_dir."""
    from tfgen.data.sources.tfds_source import prepared_builder

    return prepared_builder("lm1b", None) is not None


def lm1b_sentences(split: str, limit: int) -> list[str]:
    """The first ``limit`` sentences of TFDS lm1b's ``split`` ("train" or "test").

    Raises:
      DataNotFoundError: lm1b is not prepared (nothing is downloaded).
    """
    from tfgen.data.sources.tfds_source import prepared_builder

    builder = prepared_builder("lm1b", None)
    if builder is None:
        raise DataNotFoundError("TFDS dataset 'lm1b' is not prepared in the default TFDS "
                                "data_dir ($TFDS_DATA_DIR, else ~/tensorflow_datasets) and tfgen "
                                "never downloads it: run `tfds build lm1b` once where there is a "
                                "network; or use the offline corpus 'fortunes' or 'text:PATH'")
    ds = builder.as_dataset(split=split).take(limit)
    return [t.decode("utf-8", "replace") for t in ds.map(lambda e: e["text"]).as_numpy_iterator()]


def file_sentences(path: str) -> list[str]:
    """The non-empty lines of a UTF-8 text file, stripped."""
    if not os.path.isfile(path):
        raise DataNotFoundError(f"text file {path!r} does not exist (expected one sentence per "
                                f"line for dataset '{TEXT_PREFIX}{path}')")
    with open(path, encoding="utf-8", errors="replace") as f:
        return [line.strip() for line in f if line.strip()]


@dataclasses.dataclass(frozen=True)
class CharCodec:
    """Characters <-> indices; index 0 is ``PAD``, 1 is ``UNK``."""

    chars: tuple[str, ...]

    @classmethod
    def fit(cls, texts: list[str], max_vocab: int = MAX_VOCAB) -> CharCodec:
        """``PAD``, ``UNK`` and the ``max_vocab - 2`` most frequent characters of ``texts``
        (ties broken by character order)."""
        counts = collections.Counter(c for t in texts for c in t if c not in (PAD, UNK))
        common = sorted(counts, key=lambda c: (-counts[c], c))[:max_vocab - 2]
        return cls((PAD, UNK) + tuple(common))

    @property
    def size(self) -> int:
        return len(self.chars)

    def encode(self, texts: list[str], length: int) -> np.ndarray:
        """uint8 [N, length]: cut to ``length``, padded with PAD, unknown characters -> UNK."""
        if self.size > 256:
            raise ValueError(f"a vocabulary of {self.size} characters does not fit uint8 codes")
        index = {c: i for i, c in enumerate(self.chars)}
        out = np.zeros((len(texts), length), np.uint8)
        for row, text in enumerate(texts):
            codes = [index.get(c, 1) for c in text[:length]]
            out[row, :len(codes)] = codes
        return out

    def decode(self, indices: np.ndarray) -> list[str]:
        """int [N, L] (or one-hot/softmax float [N, L, V], argmax over V) -> strings, PAD
        removed."""
        indices = np.asarray(indices)
        if indices.ndim == 3:
            if indices.shape[-1] != self.size:
                raise ValueError(f"expected [N, L, {self.size}] character distributions; got "
                                 f"shape {indices.shape}")
            indices = indices.argmax(-1)
        if indices.ndim != 2:
            raise ValueError(f"expected [N, L] codes or [N, L, V] distributions; got shape "
                             f"{indices.shape}")
        return ["".join(self.chars[i] for i in row).replace(PAD, "") for row in indices]


@dataclasses.dataclass(frozen=True)
class TextCorpus:
    """A corpus' sentences (uncut), its codec and the words of its train sentences."""

    train: tuple[str, ...]
    test: tuple[str, ...]
    codec: CharCodec
    source: str
    words: frozenset[str]

    def codes(self, part: str, length: int) -> np.ndarray:
        """uint8 ``[N, length]`` character codes of ``part`` ("train" or "test")."""
        return self.codec.encode(list(self.train if part == "train" else self.test), length)


def _split_every(sentences: list[str]) -> tuple[list[str], list[str]]:
    test = [s for i, s in enumerate(sentences) if i % HELD_OUT_EVERY == HELD_OUT_EVERY - 1]
    train = [s for i, s in enumerate(sentences) if i % HELD_OUT_EVERY != HELD_OUT_EVERY - 1]
    return train, test


@functools.lru_cache(maxsize=8)
def _corpus(source: str, stamp: tuple) -> TextCorpus:
    del stamp  # part of the cache key only: a changed file is read again
    if source == "lm1b":
        train = lm1b_sentences("train", LM1B_SENTENCES)
        test = lm1b_sentences("test", LM1B_TEST_SENTENCES)
    else:
        sentences = (fortunes_sentences() if source == "fortunes"
                     else file_sentences(source[len(TEXT_PREFIX):]))
        train, test = _split_every(sentences)
    if not train or not test:
        raise ValueError(f"text corpus {source!r} has {len(train)} train and {len(test)} test "
                         f"sentences; it needs at least {HELD_OUT_EVERY} sentences")
    words = frozenset(w for s in train for w in s.split())
    return TextCorpus(tuple(train), tuple(test), CharCodec.fit(train), source, words)


def load_corpus(source: str) -> TextCorpus:
    """The corpus of a text dataset name: ``fortunes``, ``lm1b`` or ``text:PATH`` (cached per
    process; a ``text:`` file is read again when it changes)."""
    if source.startswith(TEXT_PREFIX):
        path = source[len(TEXT_PREFIX):]
        if not path:
            raise ValueError(f"dataset name {source!r} needs a path after {TEXT_PREFIX!r}")
        stamp = (os.path.abspath(path),) + ((os.stat(path).st_mtime_ns, os.stat(path).st_size)
                                            if os.path.isfile(path) else ())
        return _corpus(source, stamp)
    if source == "fortunes":  # the installed files may change (apt)
        return _corpus(source, tuple(os.stat(os.path.join(FORTUNES_DIR, n)).st_mtime_ns
                                     for n in FORTUNE_FILES
                                     if os.path.isfile(os.path.join(FORTUNES_DIR, n))))
    if source == "lm1b":
        return _corpus(source, ())
    raise ValueError(f"unknown text corpus {source!r}; expected one of {list(CORPORA)} or "
                     f"'{TEXT_PREFIX}PATH'")


@dataclasses.dataclass(frozen=True)
class TextInfo(SourceInfo):
    """:class:`SourceInfo` of a text corpus: ``shape`` is ``(SEQ_LEN, V)``, plus the
    vocabulary (``vocabulary[i]`` is the character of one-hot index i)."""

    vocabulary: tuple[str, ...] = ()


def info(source: str) -> TextInfo:
    """Static info of text dataset ``source`` (reads the corpus to fit its vocabulary)."""
    codec = load_corpus(source).codec
    return TextInfo((SEQ_LEN, codec.size), 0, kind=TEXT, vocabulary=codec.chars)


class TextSource:
    """A text corpus' sentences as uint8 character codes ``[N, length]`` (unlabelled); the
    registry turns them into one-hot float32 ``[length, V]``."""

    def __init__(self, source: str, length: int = SEQ_LEN):
        self.corpus = load_corpus(source)
        self.length = int(length)

    def read(self, part: str) -> ArraySplit:
        codes = self.corpus.codes(part, self.length)
        return ArraySplit(codes, unlabelled(len(codes)))
