"""AG News, World vs Business (book/protocol.md §2.1-2.2; the authors' ``AGNews.ipynb``).

Input: the headerless CSVs ``class(1-4),title,description``. Classes 1 (World) → 0 and
3 (Business) → 1; only the description is used, tokenised with the authors' ``cleaner``.

* With ``train.csv``: the official test set, and dev = 15 % of train (``random_state=16377``), as the
  authors did.
* With only ``test.csv`` (the case in ``shared/data``): its 3,800 World/Business rows are split,
  stratified, 70/10/20 into train/dev/test (``random_state=16377``), and ``notes`` says so.

No length bounds are set, so only each split's shortest and longest descriptions are dropped (Q6).
"""
from __future__ import annotations

import io

import numpy as np

from ..plumbing.errors import DataError
from .base import SPLITS, TextDataset
from .locate import DataDir, FileSpec
from .text import clean
from .vocab import MIN_DF, classification_dataset

__all__ = ["FILES", "read_csv", "build"]

_PREFER = ("ag_news*", "agnews*")
FILES = (
    FileSpec("train", ("ag_news/train.csv", "ag_news_csv/train.csv", "agnews/train.csv"), optional=True, prefer=_PREFER),
    FileSpec("test", ("ag_news/test.csv", "ag_news_csv/test.csv", "agnews/test.csv"), prefer=_PREFER),
)


def read_csv(raw: bytes, source: str) -> tuple[list[str], list[int]]:
    """World/Business descriptions and 0/1 labels from one AG News CSV."""
    import pandas as pd

    try:
        df = pd.read_csv(io.BytesIO(raw), header=None, dtype={1: str, 2: str}, keep_default_na=False)
    except Exception as exc:  # noqa: BLE001 - pandas raises many types
        raise DataError(f"{source} is not a readable CSV ({type(exc).__name__}); use the official AG News CSV") from None
    if df.shape[1] < 3 or not np.issubdtype(df[0].dtype, np.integer):
        raise DataError(f"{source} does not have the columns class(1-4),title,description; use the official AG News CSV")
    df = df[df[0].isin([1, 3])]
    return list(df[2].astype(str)), [1 if c == 3 else 0 for c in df[0]]


def build(files: dict, data: DataDir, *, progress: bool = True) -> TextDataset:
    """Prepare AG News World/Business from the located CSVs (see :data:`FILES`)."""
    from sklearn.model_selection import train_test_split

    test_texts, test_labels = read_csv(data.read_bytes(files["test"]), data.describe(files["test"]))
    notes = []
    if files.get("train") is not None:
        train_texts, train_labels = read_csv(data.read_bytes(files["train"]), data.describe(files["train"]))
        train_idx, dev_idx = train_test_split(list(range(len(train_texts))), test_size=0.15, random_state=16377)
        texts = {
            "train": [train_texts[i] for i in train_idx],
            "dev": [train_texts[i] for i in dev_idx],
            "test": test_texts,
        }
        labels = {
            "train": [train_labels[i] for i in train_idx],
            "dev": [train_labels[i] for i in dev_idx],
            "test": test_labels,
        }
        notes.append("Official train/test; dev = 15 % of train (random_state 16377).")
    else:
        idx = list(range(len(test_texts)))
        rest, test_idx = train_test_split(idx, stratify=test_labels, test_size=0.2, random_state=16377)
        train_idx, dev_idx = train_test_split(
            rest, stratify=[test_labels[i] for i in rest], test_size=0.125, random_state=16377
        )
        parts = {"train": train_idx, "dev": dev_idx, "test": test_idx}
        texts = {s: [test_texts[i] for i in ix] for s, ix in parts.items()}
        labels = {s: [test_labels[i] for i in ix] for s, ix in parts.items()}
        notes.append(
            f"train.csv is missing: train/dev/test ({len(train_idx):,}/{len(dev_idx):,}/{len(test_idx):,}) are a "
            f"stratified 70/10/20 split (random_state 16377) of the {len(test_texts):,} World/Business rows of the "
            "official test.csv; the paper trained on the official train set (60,000 rows) and tested on all 3,800."
        )
    flat = [t for s in SPLITS for t in texts[s]]
    flat_tokens = clean(flat, progress=progress, desc="tokenising (AG News)")
    tokens, start = {}, 0
    for s in SPLITS:
        tokens[s] = flat_tokens[start : start + len(texts[s])]
        start += len(texts[s])
    notes.append("Descriptions only (not titles), as the authors did; no length bounds (Q6 still drops the extremes).")
    return classification_dataset(
        "agnews", tokens, labels, class_names=["world", "business"], min_df=MIN_DF["agnews"],
        min_length=None, max_length=None, notes=notes,
    )
