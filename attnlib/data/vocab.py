"""Vocabulary, id sequences and the length filter, as the authors' vectorizer does them.

* :func:`build_vocab` keeps words whose *document* frequency in the train split is at least
  ``min_df`` (sklearn ``CountVectorizer(min_df=...)``), sorted the way ``CountVectorizer`` sorts its
  features, after the four special tokens (book/protocol.md §2.1).
* :func:`length_filter` is the classification filter ``min_length < n_tokens < max_length`` with
  strict inequalities, where a missing bound is the split's observed min/max (quirk Q6, §2.2).
* :func:`classification_dataset` and :func:`pair_dataset` put tokenised splits together into a
  :class:`~attnlib.data.base.TextDataset`.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable, Mapping, Sequence

import numpy as np

from .base import SPECIAL_TOKENS, SPLITS, Split, TextDataset, Vocabulary

__all__ = ["MIN_DF", "build_vocab", "length_filter", "classification_dataset", "pair_dataset"]

#: The authors' ``min_df`` per dataset (book/protocol.md §2.1).
MIN_DF: dict[str, int] = {
    "sst": 1,
    "imdb": 10,
    "20news": 2,
    "agnews": 5,
    "snli": 3,
    "babi1": 1,
    "babi2": 1,
    "babi3": 1,
    "cnn": 8,
    "adr": 2,
    "diabetes": 5,
    "anemia": 5,
}


def build_vocab(docs: Iterable[Sequence[str]], min_df: int = 1, *, extra: Iterable[str] = ()) -> Vocabulary:
    """Vocabulary of the words in at least ``min_df`` documents.

    Parameters
    ----------
    docs : iterable of list of str
        Tokenised train documents (for pair tasks: train passages and train questions, each one
        document).
    min_df : int, default 1
        Minimum number of documents a word must occur in.
    extra : iterable of str
        Words appended afterwards if not yet present (CNN adds its entity names this way).

    Returns
    -------
    Vocabulary
        ``<0> <UNK> <SOS> <EOS>`` then the kept words in sorted order, then ``extra``.

    Examples
    --------
    >>> build_vocab([["b", "a", "a"], ["a", "c"]], min_df=2).itos
    ['<0>', '<UNK>', '<SOS>', '<EOS>', 'a']
    """
    if min_df < 1:
        raise ValueError(f"min_df must be at least 1; got {min_df}")
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(set(doc))
    special = set(SPECIAL_TOKENS)
    words = sorted(w for w, n in df.items() if n >= min_df and w not in special)
    itos = [*SPECIAL_TOKENS, *words]
    seen = set(itos)
    for w in extra:
        if w not in seen:
            itos.append(w)
            seen.add(w)
    return Vocabulary(itos)


def length_filter(lengths: Sequence[int], min_length: int | None = None, max_length: int | None = None) -> np.ndarray:
    """Indices kept by the authors' filter ``min_length < n < max_length`` (both strict).

    A bound that is None becomes the observed minimum/maximum of ``lengths``, so the shortest and
    longest examples are dropped even then (quirk Q6).

    Examples
    --------
    >>> length_filter([3, 6, 7, 9], min_length=5).tolist()
    [1, 2]
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.size == 0:
        return np.arange(0)
    lo = lengths.min() if min_length is None else min_length
    hi = lengths.max() if max_length is None else max_length
    return np.flatnonzero((lengths > lo) & (lengths < hi))


def classification_dataset(
    name: str,
    tokens: Mapping[str, Sequence[Sequence[str]]],
    labels: Mapping[str, Sequence[int]],
    *,
    class_names: list[str],
    min_df: int,
    min_length: int | None,
    max_length: int | None,
    notes: list[str],
    embedding: str = "glove",
) -> TextDataset:
    """A classification :class:`TextDataset`: vocabulary on train, ids, then the length filter.

    The vocabulary is built on the whole train split *before* the length filter, as the authors'
    preprocessing does; the filter is applied to every split with its own observed bounds.
    """
    vocab = build_vocab(tokens["train"], min_df)
    splits = {}
    for split in SPLITS:
        docs = tokens[split]
        keep = length_filter([len(d) for d in docs], min_length, max_length)
        y = np.asarray(labels[split], dtype=np.int64)
        splits[split] = Split(sequences=[vocab.encode(list(docs[i])) for i in keep], labels=y[keep])
    return TextDataset(
        name=name, task="classification", vocab=vocab, class_names=list(class_names), splits=splits,
        embedding=embedding, notes=list(notes),
    )


def pair_dataset(
    name: str,
    passages: Mapping[str, Sequence[Sequence[str]]],
    questions: Mapping[str, Sequence[Sequence[str]]],
    labels: Mapping[str, Sequence[int]],
    *,
    class_names: list[str],
    min_df: int,
    notes: list[str],
    candidates: Mapping[str, np.ndarray] | None = None,
    extra_vocab: Iterable[str] = (),
    embedding: str = "glove",
) -> TextDataset:
    """A pair (NLI/QA) :class:`TextDataset`; the vocabulary covers train passages and questions.

    No length filter is applied to pair tasks (book/protocol.md §2.2).
    """
    vocab = build_vocab([*passages["train"], *questions["train"]], min_df, extra=extra_vocab)
    splits = {}
    for split in SPLITS:
        splits[split] = Split(
            sequences=[vocab.encode(list(d)) for d in passages[split]],
            labels=np.asarray(labels[split], dtype=np.int64),
            questions=[vocab.encode(list(q)) for q in questions[split]],
            candidates=None if candidates is None else np.asarray(candidates[split], dtype=bool),
        )
    return TextDataset(
        name=name, task="pair", vocab=vocab, class_names=list(class_names), splits=splits,
        embedding=embedding, notes=list(notes),
    )
