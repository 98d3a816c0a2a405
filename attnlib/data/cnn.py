"""CNN news reading comprehension, Chen et al. (2016) format (book/protocol.md §2.1; the authors' ``CNN.ipynb``).

Files: ``cnn/{train,dev,test}.txt`` (plain or inside Danqi Chen's ``cnn.tar.gz``). Examples are blocks
separated by blank lines: line 0 the question (with ``@placeholder``), line 1 the answer entity,
line 2 the passage. Tokens are split on spaces, case kept. Classes are the ``@entityN`` tokens of the
train passages (sorted); an example's candidates are the entities in its passage. The vocabulary is
train passages and questions with ``min_df`` 8, plus every entity. Examples whose answer is not a
train entity are dropped (the authors' code would fail on them) and counted in ``notes``.
"""
from __future__ import annotations

import numpy as np

from ..plumbing.errors import DataError
from .base import SPLITS, TextDataset
from .locate import DataDir, FileSpec
from .text import split_tokens
from .vocab import MIN_DF, pair_dataset

__all__ = ["FILES", "parse_blocks", "build"]

_PREFER = ("cnn*",)
FILES = tuple(FileSpec(split, (f"cnn/{split}.txt",), prefer=_PREFER) for split in SPLITS)


def parse_blocks(text: str, source: str = "CNN file") -> list[tuple[str, str, str]]:
    """``(passage, question, answer)`` of every blank-line-separated block.

    Examples
    --------
    >>> parse_blocks("@placeholder wins\\n@entity1\\n@entity1 beat @entity2\\n\\nq2\\n@entity2\\np2 @entity2\\n")
    [('@entity1 beat @entity2', '@placeholder wins', '@entity1'), ('p2 @entity2', 'q2', '@entity2')]
    """
    out = []
    blocks = text.replace("\r\n", "\n").strip().split("\n\n")
    for n, block in enumerate(blocks, start=1):
        lines = block.split("\n")
        if len(lines) < 3:
            raise DataError(
                f"{source} block {n} has {len(lines)} line(s); each example needs question, answer and passage lines"
            )
        out.append((lines[2], lines[0], lines[1]))
    return out


def build(files: dict, data: DataDir, *, progress: bool = True) -> TextDataset:
    """Prepare CNN QA from the located files (see :data:`FILES`)."""
    rows = {s: parse_blocks(data.read_text(files[s]), data.describe(files[s])) for s in SPLITS}
    entities = sorted({w for p, _, _ in rows["train"] for w in p.split() if w.startswith("@entity")})
    if not entities:
        raise DataError(f"{data.describe(files['train'])} has no @entity tokens; use Chen et al.'s cnn files")
    index = {e: i for i, e in enumerate(entities)}
    passages, questions, labels, candidates, dropped = {}, {}, {}, {}, {}
    for s in SPLITS:
        kept = [r for r in rows[s] if r[2] in index]
        dropped[s] = len(rows[s]) - len(kept)
        passages[s] = [split_tokens(p) for p, _, _ in kept]
        questions[s] = [split_tokens(q) for _, q, _ in kept]
        labels[s] = [index[a] for _, _, a in kept]
        mask = np.zeros((len(kept), len(entities)), dtype=bool)
        for i, toks in enumerate(passages[s]):
            for w in toks:
                j = index.get(w)
                if j is not None:
                    mask[i, j] = True
        candidates[s] = mask
    notes = [f"{len(entities):,} classes = the @entity tokens of the train passages; candidates = entities in the passage."]
    if any(dropped.values()):
        notes.append(
            "Dropped examples whose answer is not a train entity: " + ", ".join(f"{s} {dropped[s]:,}" for s in SPLITS) + "."
        )
    return pair_dataset(
        "cnn", passages, questions, labels, class_names=entities, min_df=MIN_DF["cnn"], notes=notes,
        candidates=candidates, extra_vocab=entities,
    )
