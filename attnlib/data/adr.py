"""Twitter adverse drug reactions (ADR), binary (book/protocol.md §2.1-2.2; the authors' ``Tweet_ADR.ipynb``).

The data is not public; the authors send their preprocessed ``adr_dataset.csv`` on request. That CSV
has the columns ``text`` (already cleaned, space-separated tokens), ``label`` (1 = mentions an ADR)
and ``exp_split`` (``train``/``test``, possibly ``dev``). Without a ``dev`` split, dev = 15 % of
train (``random_state=16377``). ``min_df`` 2; length filter ``5 < n < 100``.
"""
from __future__ import annotations

import io

from ..plumbing.errors import DataError
from .base import SPLITS, TextDataset
from .locate import DataDir, FileSpec
from .text import split_tokens
from .vocab import MIN_DF, classification_dataset

__all__ = ["FILES", "read_split_csv", "build"]

FILES = (FileSpec("csv", ("adr_dataset.csv", "adr/adr.csv", "tweets/adr.csv"), prefer=("adr*", "tweet*")),)


def read_split_csv(raw: bytes, source: str, *, need_split: bool = True):
    """``text``/``label``/``exp_split`` rows of one of the authors' preprocessed CSVs, as a DataFrame.

    Raises
    ------
    DataError
        The CSV cannot be read, or a required column is missing.
    """
    import pandas as pd

    try:
        df = pd.read_csv(io.BytesIO(raw), keep_default_na=False, dtype={"text": str})
    except Exception as exc:  # noqa: BLE001 - pandas raises many types
        raise DataError(f"{source} is not a readable CSV ({type(exc).__name__}); it needs columns text,label,exp_split") from None
    needed = ["text", "label"] + (["exp_split"] if need_split else [])
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise DataError(
            f"{source} lacks the column(s) {', '.join(missing)}; it needs columns text,label,exp_split "
            "(the authors' preprocessed CSV)"
        )
    try:
        df["label"] = df["label"].astype(int)
    except (ValueError, TypeError):
        raise DataError(f"{source} has labels that are not integers; labels must be 0 or 1") from None
    if "exp_split" in df.columns:
        df["exp_split"] = df["exp_split"].astype(str).str.strip()
        unknown = sorted(set(df["exp_split"]) - set(SPLITS))
        if unknown:
            raise DataError(f"{source} has exp_split values {unknown}; allowed are train, dev and test")
    return df


def split_texts(df, *, dev_fraction: float, random_state: int, stratify: bool = False):
    """Texts and labels per split; when there is no ``dev`` row, dev is carved out of train.

    Returns ``(texts, labels, made_dev)``.
    """
    from sklearn.model_selection import train_test_split

    texts = {s: list(df.loc[df.exp_split == s, "text"]) for s in SPLITS}
    labels = {s: [int(v) for v in df.loc[df.exp_split == s, "label"]] for s in SPLITS}
    made_dev = False
    if not texts["dev"]:
        idx = list(range(len(texts["train"])))
        tr, dv = train_test_split(
            idx, test_size=dev_fraction, random_state=random_state,
            stratify=labels["train"] if stratify else None,
        )
        tr, dv = sorted(tr), sorted(dv)
        texts["dev"], labels["dev"] = [texts["train"][i] for i in dv], [labels["train"][i] for i in dv]
        texts["train"], labels["train"] = [texts["train"][i] for i in tr], [labels["train"][i] for i in tr]
        made_dev = True
    for s in ("train", "test"):
        if not texts[s]:
            raise DataError(f"the CSV has no '{s}' rows in exp_split; it needs train and test rows")
    return texts, labels, made_dev


def build(files: dict, data: DataDir, *, progress: bool = True) -> TextDataset:
    """Prepare ADR tweets from the authors' ``adr_dataset.csv`` (see :data:`FILES`)."""
    ref = files["csv"]
    df = read_split_csv(data.read_bytes(ref), data.describe(ref))
    texts, labels, made_dev = split_texts(df, dev_fraction=0.15, random_state=16377)
    tokens = {s: [split_tokens(t) for t in texts[s]] for s in SPLITS}
    notes = ["Text as in the authors' preprocessed CSV (already cleaned); length filter 5 < n < 100."]
    if made_dev:
        notes.append("dev = 15 % of train (random_state 16377), as the authors' loader does.")
    return classification_dataset(
        "adr", tokens, labels, class_names=["no ADR", "ADR"], min_df=MIN_DF["adr"],
        min_length=5, max_length=100, notes=notes,
    )
