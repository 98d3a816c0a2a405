"""MIMIC-III Diabetes and Anemia, binary (book/protocol.md §2.1-2.2; the authors' ``MIMIC_*.ipynb``).

MIMIC-III needs PhysioNet credentialed access, so this loader reads the authors' preprocessed CSVs
(``diab_dataset.csv``, ``anemia_dataset.csv``): columns ``text`` (discharge summaries already cleaned
by ``cleaner_mimic``, space-separated), ``label`` and ``exp_split``.

* Diabetes: label 1 if an ICD-9 code starts with 250.00; the splits come from the CSV (the
  authors' hadm_id lists). Length filter ``6 < n < 4000``.
* Anemia: label 1 = acute posthemorrhagic (285.1), 0 = chronic (285.2). If the CSV has no
  ``exp_split``, the authors' split is made: stratified 80/20 train/test (``random_state=12939``) then
  85/15 train/dev (``random_state=13448``). Length filter ``n < 4000`` (the minimum is the observed
  one, quirk Q6).

``min_df`` 5 for both. The paper used word2vec vectors trained on MIMIC discharge summaries.
"""
from __future__ import annotations

from ..plumbing.errors import DataError
from .adr import read_split_csv, split_texts
from .base import SPLITS, TextDataset
from .locate import DataDir, FileSpec
from .text import split_tokens
from .vocab import MIN_DF, classification_dataset

__all__ = ["DIABETES_FILES", "ANEMIA_FILES", "build_diabetes", "build_anemia"]

_PREFER = ("mimic*", "diab*", "anemia*")
DIABETES_FILES = (FileSpec("csv", ("diab_dataset.csv", "diabetes_dataset.csv", "diabetes/diabetes.csv"), prefer=_PREFER),)
ANEMIA_FILES = (FileSpec("csv", ("anemia_dataset.csv", "anemia/anemia.csv"), prefer=_PREFER),)


def build_diabetes(files: dict, data: DataDir, *, progress: bool = True) -> TextDataset:
    """Prepare Diabetes from the authors' ``diab_dataset.csv``."""
    ref = files["csv"]
    df = read_split_csv(data.read_bytes(ref), data.describe(ref))
    if not (df.exp_split == "dev").any():
        raise DataError(
            f"{data.describe(ref)} has no 'dev' rows; Diabetes needs the authors' train/dev/test split "
            "(from their {train,dev,test}_50_hadm_ids.csv lists) in exp_split"
        )
    texts, labels, _ = split_texts(df, dev_fraction=0.15, random_state=13448)
    tokens = {s: [split_tokens(t) for t in texts[s]] for s in SPLITS}
    notes = ["Text as in the authors' preprocessed CSV (cleaner_mimic); their hadm_id splits; length filter 6 < n < 4000."]
    return classification_dataset(
        "diabetes", tokens, labels, class_names=["negative", "positive"], min_df=MIN_DF["diabetes"],
        min_length=6, max_length=4000, notes=notes,
    )


def build_anemia(files: dict, data: DataDir, *, progress: bool = True) -> TextDataset:
    """Prepare Anemia from the authors' ``anemia_dataset.csv`` (making their split if it has none)."""
    from sklearn.model_selection import train_test_split

    ref = files["csv"]
    df = read_split_csv(data.read_bytes(ref), data.describe(ref), need_split=False)
    notes = ["Text as in the authors' preprocessed CSV (cleaner_mimic); length filter n < 4000."]
    if "exp_split" not in df.columns:
        idx = list(range(len(df)))
        y = [int(v) for v in df["label"]]
        train_idx, test_idx = train_test_split(idx, stratify=y, test_size=0.2, random_state=12939)
        train_idx, dev_idx = train_test_split(
            train_idx, stratify=[y[i] for i in train_idx], test_size=0.15, random_state=13448
        )
        split = [""] * len(df)
        for name, ix in (("train", train_idx), ("dev", dev_idx), ("test", test_idx)):
            for i in ix:
                split[i] = name
        df["exp_split"] = split
        notes.append("No exp_split column: the authors' split was made (stratified 80/20, rs 12939; 85/15, rs 13448).")
    texts, labels, made_dev = split_texts(df, dev_fraction=0.15, random_state=13448, stratify=True)
    if made_dev:
        notes.append("No dev rows: dev = stratified 15 % of train (random_state 13448), as the authors did.")
    tokens = {s: [split_tokens(t) for t in texts[s]] for s in SPLITS}
    return classification_dataset(
        "anemia", tokens, labels, class_names=["chronic (285.2)", "acute (285.1)"], min_df=MIN_DF["anemia"],
        min_length=None, max_length=4000, notes=notes,
    )
