"""20 Newsgroups, baseball vs hockey (book/protocol.md §2.1-2.2; the authors' ``20News.ipynb``).

The authors called ``fetch_20newsgroups(subset='all', remove=('headers', 'footers', 'quotes'))``
and kept ``rec.sport.baseball`` (label 0) and ``rec.sport.hockey`` (label 1). This loader reads the
``20news-bydate`` folders (plain, or inside ``20news-bydate.tar.gz`` or a repacked archive) and puts
the posts in the order scikit-learn gives them: per half, groups and files in sorted order shuffled
with ``RandomState(0)`` (``load_files``), then train + test shuffled with ``RandomState(42)``. With
all 20 groups present this is the authors' order, so their splits are reproduced exactly.

Then: headers, footers and quoted lines stripped (scikit-learn's functions), the authors'
``cleaner_20`` tokenisation, empty posts dropped, a stratified 80/20 train/test split and an 80/20
train/dev split of the train part (``random_state=13478``), and the length filter ``6 < n < 500``.
"""
from __future__ import annotations

import numpy as np

from ..plumbing.errors import DataError
from .base import TextDataset
from .locate import DataDir, FileRef, FileSpec
from .text import clean_20news
from .vocab import MIN_DF, classification_dataset

__all__ = ["FILES", "GROUPS", "read_posts", "build"]

#: The two groups used, in label order.
GROUPS = ("rec.sport.baseball", "rec.sport.hockey")
_PREFER = ("20news*", "20_newsgroups*")
FILES = (
    FileSpec("train", ("20news-bydate-train/*/*",), many=True, prefer=_PREFER),
    FileSpec("test", ("20news-bydate-test/*/*",), many=True, prefer=_PREFER),
)


def _sklearn_order(refs: list[FileRef], seed: int) -> list[tuple[str, FileRef]]:
    """``(group, ref)`` in the order ``sklearn.datasets.load_files(shuffle=True, random_state=seed)`` gives."""
    by_group: dict[str, list[tuple[str, FileRef]]] = {}
    for r in refs:
        parts = r.name.split("/")
        by_group.setdefault(parts[-2], []).append((parts[-1], r))
    ordered = []
    for group in sorted(by_group):
        for _, r in sorted(by_group[group], key=lambda x: x[0]):
            ordered.append((group, r))
    idx = np.arange(len(ordered))
    np.random.RandomState(seed).shuffle(idx)
    return [ordered[i] for i in idx]


def _strippers():
    try:
        from sklearn.datasets._twenty_newsgroups import (strip_newsgroup_footer, strip_newsgroup_header,
                                                         strip_newsgroup_quoting)
    except ImportError as exc:  # pragma: no cover - depends on the scikit-learn version
        raise DataError(
            f"scikit-learn's newsgroup strippers are not importable ({exc}); install scikit-learn>=1.4"
        ) from None
    return strip_newsgroup_header, strip_newsgroup_footer, strip_newsgroup_quoting


def read_posts(files: dict, data: DataDir) -> tuple[list[str], list[int], dict]:
    """The baseball and hockey posts, stripped, in the authors' order, with their 0/1 labels.

    Returns
    -------
    texts : list of str
    labels : list of int
    info : dict
        ``n_latin1`` (posts that are not valid UTF-8 and were decoded as latin-1), ``n_utf8_non_ascii``
        (valid UTF-8 posts with non-ASCII characters) and ``all_groups`` (the number of groups found).
    """
    combined = _sklearn_order(files["train"], 0) + _sklearn_order(files["test"], 0)
    idx = np.arange(len(combined))
    np.random.RandomState(42).shuffle(idx)
    combined = [combined[i] for i in idx]
    groups = {g for g, _ in combined}
    chosen = [(GROUPS.index(g), r) for g, r in combined if g in GROUPS]
    chosen = [c for c in chosen if c[0] == 0] + [c for c in chosen if c[0] == 1]
    raw = dict(data.iter_bytes([r for _, r in chosen]))

    header, footer, quoting = _strippers()
    texts, labels = [], []
    n_latin1 = n_utf8 = 0
    for label, ref in chosen:
        b = raw[ref]
        try:
            text = b.decode("utf-8")
            n_utf8 += any(ord(c) > 127 for c in text)
        except UnicodeDecodeError:
            text = b.decode("latin-1")
            n_latin1 += 1
        texts.append(quoting(footer(header(text))))
        labels.append(label)
    return texts, labels, {"n_latin1": n_latin1, "n_utf8_non_ascii": n_utf8, "all_groups": len(groups)}


def build(files: dict, data: DataDir, *, progress: bool = True) -> TextDataset:
    """Prepare 20News baseball/hockey from the located ``20news-bydate`` files (see :data:`FILES`)."""
    from sklearn.model_selection import train_test_split

    texts, labels, info = read_posts(files, data)
    if not texts or len(set(labels)) < 2:
        raise DataError(
            f"the 20news-bydate files in {data.root} lack {' or '.join(GROUPS)} posts; "
            "use the complete 20news-bydate archive"
        )
    docs = clean_20news(texts, progress=progress)
    kept = [(d, y) for d, y in zip(docs, labels) if d]
    n_empty = len(docs) - len(kept)
    docs, target = [d for d, _ in kept], [y for _, y in kept]
    train_idx, test_idx = train_test_split(
        list(range(len(docs))), stratify=target, test_size=0.2, random_state=13478
    )
    train_idx, dev_idx = train_test_split(
        train_idx, stratify=[target[i] for i in train_idx], test_size=0.2, random_state=13478
    )
    parts = {"train": train_idx, "dev": dev_idx, "test": test_idx}
    tokens = {s: [docs[i] for i in ix] for s, ix in parts.items()}
    ys = {s: [target[i] for i in ix] for s, ix in parts.items()}
    n_base = labels.count(0)
    notes = [
        f"{len(texts):,} posts ({n_base:,} baseball, {len(texts) - n_base:,} hockey) from both bydate halves; "
        f"{n_empty} empty after cleaning were dropped; stratified 80/20 train/test then 80/20 train/dev "
        "(random_state 13478), then the length filter 6 < n < 500.",
    ]
    if info["all_groups"] != 20:
        notes.append(
            f"Only {info['all_groups']} of the 20 newsgroups were found, so the post order (and hence the split) "
            "differs from scikit-learn's and the authors'."
        )
    if info["n_utf8_non_ascii"]:
        notes.append(
            f"{info['n_utf8_non_ascii']} posts are UTF-8 with non-ASCII characters and were decoded as UTF-8 "
            "(scikit-learn decodes the official archive as latin-1; this copy appears re-encoded, same text)."
        )
    if info["n_latin1"]:
        notes.append(f"{info['n_latin1']} posts are not valid UTF-8 and were decoded as latin-1, as scikit-learn does.")
    return classification_dataset(
        "20news", tokens, ys, class_names=["baseball", "hockey"], min_df=MIN_DF["20news"],
        min_length=6, max_length=500, notes=notes,
    )
