"""Stanford Sentiment Treebank, binary (book/protocol.md §2.1-2.2; the authors' ``SST.ipynb``).

Input: the PTB-style trees ``train.txt``/``dev.txt``/``test.txt`` (as ``sst/*.txt``, or ``trees/*.txt``
inside the official ``trainDevTestTrees_PTB.zip``). Sentence-level root labels only; trees labelled 2
(neutral) are dropped, 3-4 → 1 (positive), 0-1 → 0 (negative). Official splits, then the length
filter ``5 < n``: 6,920/872/1,821 sentences become 6,355/821/1,725.
"""
from __future__ import annotations

import re

from ..plumbing.errors import DataError
from .base import SPLITS, TextDataset
from .locate import DataDir, FileSpec
from .text import sst_tokenize
from .vocab import MIN_DF, classification_dataset

__all__ = ["FILES", "parse_tree", "read_trees", "build"]

_PREFER = ("trainDevTestTrees*", "sst*")
FILES = tuple(
    FileSpec(split, (f"sst/{split}.txt", f"trees/{split}.txt"), prefer=_PREFER) for split in SPLITS
)

_ROOT = re.compile(r"\(\s*(\S+)")
_LEAF = re.compile(r"\(\s*[^\s()]+\s+([^\s()]+)\s*\)")


def parse_tree(line: str) -> tuple[int, list[str]]:
    """Root label and leaves of one PTB-style sentiment tree.

    Examples
    --------
    >>> parse_tree("(3 (2 It) (4 (4 (2 's) (4 good)) (2 .)))")
    (3, ['It', "'s", 'good', '.'])
    """
    line = line.strip()
    root = _ROOT.match(line)
    if root is None or line.count("(") != line.count(")"):
        raise ValueError("not a bracketed tree")
    label = int(root.group(1))
    return label, _LEAF.findall(line)


def read_trees(text: str, source: str = "trees") -> tuple[list[str], list[int]]:
    """Binary SST examples from one trees file: leaves joined by spaces, and 0/1 labels.

    Neutral trees (root label 2) are dropped; labels ≥ 3 → 1, ≤ 1 → 0.
    """
    texts, labels = [], []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            label, leaves = parse_tree(line)
        except ValueError:
            raise DataError(
                f"{source} line {line_no} is not a sentiment tree like '(3 (2 It) (4 works))'; "
                "use the PTB files of trainDevTestTrees_PTB.zip"
            ) from None
        if label == 2:
            continue
        texts.append(" ".join(leaves))
        labels.append(1 if label >= 3 else 0)
    return texts, labels


def build(files: dict, data: DataDir, *, progress: bool = True) -> TextDataset:
    """Prepare SST from the located tree files (see :data:`FILES`)."""
    texts, labels = {}, {}
    for split in SPLITS:
        ref = files[split]
        texts[split], labels[split] = read_trees(data.read_text(ref), data.describe(ref))
    flat = [t for split in SPLITS for t in texts[split]]
    flat_tokens = sst_tokenize(flat, progress=progress)
    tokens, start = {}, 0
    for split in SPLITS:
        tokens[split] = flat_tokens[start : start + len(texts[split])]
        start += len(texts[split])
    counts = "/".join(f"{len(texts[s]):,}" for s in SPLITS)
    notes = [
        f"Official splits; {counts} non-neutral sentences before the length filter 5 < n (quirk Q6).",
    ]
    return classification_dataset(
        "sst", tokens, labels, class_names=["negative", "positive"], min_df=MIN_DF["sst"],
        min_length=5, max_length=None, notes=notes,
    )
