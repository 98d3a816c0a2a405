"""The in-memory form of a prepared dataset, shared by every loader.

A loader turns the raw files of one dataset family into a :class:`TextDataset`: a vocabulary and
train/dev/test :class:`Split` objects whose sequences are token ids framed by ``<SOS>`` and ``<EOS>``,
exactly as Jain & Wallace's vectorizer does (book/protocol.md §2.1).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

PAD, UNK, SOS, EOS = 0, 1, 2, 3
SPECIAL_TOKENS = ("<0>", "<UNK>", "<SOS>", "<EOS>")
SPLITS = ("train", "dev", "test")


@dataclass
class Vocabulary:
    """Token strings by id; ids 0-3 are ``<0>`` (padding), ``<UNK>``, ``<SOS>``, ``<EOS>``."""

    itos: list[str]

    def __post_init__(self) -> None:
        if tuple(self.itos[:4]) != SPECIAL_TOKENS:
            raise ValueError(f"a vocabulary must start with {SPECIAL_TOKENS}; got {self.itos[:4]}")
        self.stoi = {word: i for i, word in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens: list[str]) -> list[int]:
        """``<SOS> w1 ... wn <EOS>`` as ids, unknown words mapped to ``<UNK>``."""
        return [SOS, *(self.stoi.get(t, UNK) for t in tokens), EOS]

    def decode(self, ids) -> list[str]:
        return [self.itos[i] for i in ids]


@dataclass
class Split:
    """One split of a dataset.

    Attributes
    ----------
    sequences : list of list of int
        Token ids of each text (the passage for pair tasks), ``<SOS>`` first and ``<EOS>`` last.
    labels : numpy.ndarray of int64, shape (n,)
        Gold class index of each example.
    questions : list of list of int, optional
        Pair tasks only (SNLI hypothesis, bAbI/CNN question), framed like ``sequences``.
    candidates : numpy.ndarray of bool, shape (n, n_classes), optional
        Pair tasks with answer candidates (CNN): True where an entity may be predicted.
    rationales : list of list of int, optional
        The tokens that explain each label, as positions in ``sequences`` (real tokens are ``1 ... len - 2``):
        the planted tokens of the planted tasks, or a user's annotations; empty for a text without one.
    """

    sequences: list[list[int]]
    labels: np.ndarray
    questions: list[list[int]] | None = None
    candidates: np.ndarray | None = None
    rationales: list[list[int]] | None = None

    def __len__(self) -> int:
        return len(self.sequences)

    def lengths(self) -> np.ndarray:
        """Number of real tokens per example (``<SOS>``/``<EOS>`` excluded), shape (n,)."""
        return np.array([len(s) - 2 for s in self.sequences], dtype=np.int64)

    def subset(self, indices) -> "Split":
        indices = list(indices)
        return Split(
            sequences=[self.sequences[i] for i in indices],
            labels=self.labels[indices],
            questions=None if self.questions is None else [self.questions[i] for i in indices],
            candidates=None if self.candidates is None else self.candidates[indices],
            rationales=None if self.rationales is None else [self.rationales[i] for i in indices],
        )


@dataclass
class TextDataset:
    """A prepared dataset.

    Attributes
    ----------
    name : str
        Registry name (``sst``, ``imdb``, ``20news``, ``agnews``, ``snli``, ``babi1`` ...).
    task : {"classification", "pair"}
        ``classification``: one text, binary label. ``pair``: passage + question, softmax over classes.
    vocab : Vocabulary
        Built on the train split only (book/protocol.md §2.1).
    class_names : list of str
        Name of each class index.
    splits : dict of str to Split
        ``train``, ``dev`` and ``test``.
    embedding : {"glove", "random"}
        The pretrained vectors this dataset uses by default (``random`` for bAbI, as in the paper).
    notes : list of str
        Every way in which this data differs from what the paper used (shown wherever results are shown).
    fingerprint : str
        SHA-256 over the source files and the preprocessing version; part of every run's cache key.
    """

    name: str
    task: Literal["classification", "pair"]
    vocab: Vocabulary
    class_names: list[str]
    splits: dict[str, Split]
    embedding: Literal["glove", "random"] = "glove"
    notes: list[str] = field(default_factory=list)
    fingerprint: str = ""

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def split(self, name: str) -> Split:
        if name not in self.splits:
            raise ValueError(f"split {name!r} is not one of {sorted(self.splits)}")
        return self.splits[name]
