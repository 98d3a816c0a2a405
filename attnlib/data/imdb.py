"""IMDB Large Movie Review Dataset (aclImdb), binary (book/protocol.md §2.1-2.2; the authors' ``IMDB.ipynb``).

The authors used Keras's pre-tokenised ``imdb_full.pkl``, which is not available. This loader reads
the raw reviews (``aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt``, plain or inside
``aclImdb_v1.tar.gz`` or a repacked archive), tokenises them the Keras way
(:func:`~attnlib.data.text.keras_tokenize`) and orders them as Keras's file does as far as it is
known (positive reviews first, then negative, each by review id; its first training review,
``train/pos/0_9.txt``, matches). Then, as the authors did:

* train: reviews with fewer than 400 tokens, split 80/20 into train/dev (``random_state=1378``);
* test: reviews with fewer than 400 tokens, of which a random 20 % is kept
  (``train_test_split(train_size=0.2, random_state=1378)``);
* the length filter ``6 < n`` on every split; ``min_df`` 10.
"""
from __future__ import annotations

import re

from ..plumbing.errors import DataError
from .base import TextDataset
from .locate import DataDir, FileSpec, decode
from .text import keras_tokenize
from .vocab import MIN_DF, classification_dataset

__all__ = ["FILES", "MAX_TOKENS", "build"]

#: Reviews with this many tokens or more are dropped before splitting.
MAX_TOKENS = 400
_PREFER = ("aclImdb*", "imdb*")
FILES = tuple(
    FileSpec(f"{half}_{pol}", (f"aclImdb/{half}/{pol}/*.txt",), many=True, prefer=_PREFER)
    for half in ("train", "test")
    for pol in ("pos", "neg")
)
_ID = re.compile(r"^(\d+)_(\d+)\.txt$")


def _review_key(ref) -> tuple[int, str]:
    base = ref.name.rsplit("/", 1)[-1]
    m = _ID.match(base)
    return (int(m.group(1)) if m else 1 << 62, base)


def build(files: dict, data: DataDir, *, progress: bool = True, keep_br: bool = True) -> TextDataset:
    """Prepare IMDB from the located review files (see :data:`FILES`).

    ``keep_br`` is passed to :func:`~attnlib.data.text.keras_tokenize`.
    """
    from sklearn.model_selection import train_test_split
    from tqdm.auto import tqdm

    ordered = {role: sorted(files[role], key=_review_key) for role in files}
    all_refs = [r for role in ordered for r in ordered[role]]
    raw = {}
    with tqdm(total=len(all_refs), desc="reading IMDB reviews", unit="file", disable=not progress, leave=False) as bar:
        for ref, content in data.iter_bytes(all_refs, progress=bar):
            raw[ref] = content
    if len(raw) != len(all_refs):  # pragma: no cover - iter_bytes raises first
        raise DataError("some IMDB reviews could not be read; check the archive")

    halves = {}
    for half in ("train", "test"):
        docs, labels = [], []
        for pol, label in (("pos", 1), ("neg", 0)):
            for ref in ordered[f"{half}_{pol}"]:
                docs.append(keras_tokenize(decode(raw[ref]), keep_br=keep_br))
                labels.append(label)
        halves[half] = (docs, labels)

    train_docs, train_labels = halves["train"]
    keep = [i for i, d in enumerate(train_docs) if len(d) < MAX_TOKENS]
    train_idx, dev_idx = train_test_split(keep, test_size=0.2, random_state=1378)
    test_docs, test_labels = halves["test"]
    keep_test = [i for i, d in enumerate(test_docs) if len(d) < MAX_TOKENS]
    test_idx, _rest = train_test_split(keep_test, train_size=0.2, random_state=1378)

    tokens = {
        "train": [train_docs[i] for i in train_idx],
        "dev": [train_docs[i] for i in dev_idx],
        "test": [test_docs[i] for i in test_idx],
    }
    labels = {
        "train": [train_labels[i] for i in train_idx],
        "dev": [train_labels[i] for i in dev_idx],
        "test": [test_labels[i] for i in test_idx],
    }
    notes = [
        "Built from the raw aclImdb reviews: the authors used Keras's pre-tokenised imdb_full.pkl (not available), "
        "so tokens are Keras text_to_word_sequence tokens of the raw text"
        + (" with the <br /> line breaks kept as 'br' tokens, as in Keras's data" if keep_br else ", <br /> removed")
        + ", and the document order (pos then neg, by review id) only approximates Keras's; the random "
        "train/dev split and the 20 % test sample (random_state 1378) therefore differ from the paper's.",
        f"{len(train_docs):,} train / {len(test_docs):,} test reviews; {len(keep):,} / {len(keep_test):,} have "
        f"fewer than {MAX_TOKENS} tokens; train/dev 80/20 and a 20 % test sample, then the length filter 6 < n.",
    ]
    return classification_dataset(
        "imdb", tokens, labels, class_names=["negative", "positive"], min_df=MIN_DF["imdb"],
        min_length=6, max_length=None, notes=notes,
    )
