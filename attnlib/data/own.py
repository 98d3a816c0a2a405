"""A user's own labelled texts as a dataset: ``file:PATH`` for a ``.csv``, ``.tsv`` or ``.jsonl`` file.

Columns (CSV/TSV: a header row; JSON lines: one object per line):

* ``text`` (required): the text;
* ``label`` (required): its class, any string or number; exactly two classes (the paper's binary classifiers);
* ``split`` (optional): ``train``, ``dev`` or ``test``; without it the rows are shuffled with :data:`SPLIT_SEED` and
  split 80/10/10;
* ``rationale`` (optional): the words that explain the label, as 0-based positions among the text's
  whitespace-separated words (``"3 5"``, ``"3,5"``, ``"[3, 5]"`` or a JSON list; empty for none).

Each whitespace word becomes its tokens by :func:`~attnlib.data.text.keras_tokenize` (lowercase, punctuation
dropped), so a rationale word maps onto every token it becomes. There is no length filter: every row is kept. A bad
file stops with one :class:`~attnlib.plumbing.errors.DataError` line naming the file, the row and what to fix.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path

import numpy as np

from ..plumbing.errors import DataError
from .base import SPLITS, Split, TextDataset
from .text import keras_tokenize
from .vocab import build_vocab

__all__ = ["PREFIX", "EXTENSIONS", "LOADER_VERSION", "SPLIT_SEED", "SPLIT_SHARES", "is_own", "own_path", "slug",
           "sources", "build"]

#: Dataset names of this form load a user's file.
PREFIX = "file:"
EXTENSIONS = (".csv", ".tsv", ".jsonl")
#: Part of the fingerprint of every user dataset: bump it whenever this loader changes what it returns.
LOADER_VERSION = 1
#: Seed and shares of the train/dev/test split of a file without a ``split`` column.
SPLIT_SEED = 0
SPLIT_SHARES = (0.8, 0.1, 0.1)
_LIST = re.compile(r"[\s,\[\]]+")


def is_own(name: str) -> bool:
    """Whether dataset ``name`` is a user's file (``file:PATH``)."""
    return isinstance(name, str) and name.startswith(PREFIX)


def own_path(name: str) -> Path:
    """The file of dataset ``name``, checked: it exists and has a known extension."""
    path = Path(name[len(PREFIX):]).expanduser()
    if path.suffix.lower() not in EXTENSIONS:
        raise DataError(f"dataset {name!r}: the file must end in {', '.join(EXTENSIONS)}; got {path.name!r}")
    if not path.is_file():
        raise DataError(f"dataset {name!r}: {path.absolute()} is not a file; give file:PATH of a labelled "
                        f"{'/'.join(e[1:] for e in EXTENSIONS)} file")
    return path


def slug(name: str) -> str:
    """A file-system-safe name for dataset ``name``: ``file-<stem>-<8 hex of the absolute path>``."""
    path = Path(name[len(PREFIX):]).expanduser().absolute()
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", path.stem)[:40] or "data"
    return f"file-{stem}-{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"


def sources(name: str) -> list[tuple[str, str]]:
    """``(file name, sha256)`` of the file, for the dataset's fingerprint."""
    path = own_path(name)
    return [(path.name, hashlib.sha256(path.read_bytes()).hexdigest())]


def _rows(path: Path) -> list[tuple[int, dict]]:
    """``(row number, record)`` of every row; the row number is the line a reader finds it on."""
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    if path.suffix.lower() == ".jsonl":
        rows = []
        for line_no, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataError(f"{path.name} line {line_no} is not JSON ({error.msg}); write one object per line, "
                                'such as {"text": "...", "label": "pos"}') from None
            if not isinstance(record, dict):
                raise DataError(f"{path.name} line {line_no} is not a JSON object; write one object per line")
            rows.append((line_no, record))
        return rows
    reader = csv.DictReader(io.StringIO(text), delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
    rows = []
    for record in reader:
        if None in record:
            raise DataError(f"{path.name} line {reader.line_num} has more fields than the header; quote texts "
                            "that hold the separator")
        rows.append((reader.line_num, record))
    return rows


def _rationale(value, n_words: int, where: str) -> list[int]:
    """The word positions of one ``rationale`` cell, checked against the text's ``n_words`` words."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return []
    items = value if isinstance(value, list) else [v for v in _LIST.split(str(value)) if v]
    positions = []
    for item in items:
        try:
            position = int(item) if not isinstance(item, bool) and float(item) == int(float(item)) else None
        except (TypeError, ValueError):
            position = None
        if position is None:
            raise DataError(f"{where}: rationale {item!r} is not a word position; give 0-based whole numbers such "
                            "as '3 5'")
        if not 0 <= position < n_words:
            raise DataError(f"{where}: rationale position {position} is outside the text's {n_words} words "
                            f"(0 ... {n_words - 1}); positions are 0-based")
        positions.append(position)
    return sorted(set(positions))


def _tokens(words: list[str], rationale: list[int]) -> tuple[list[str], list[int]]:
    """The tokens of ``words`` and the framed positions (``<SOS>`` at 0) of the rationale words' tokens."""
    tokens, framed, chosen = [], [], set(rationale)
    for i, word in enumerate(words):
        pieces = keras_tokenize(word)
        if i in chosen:
            framed.extend(range(len(tokens) + 1, len(tokens) + 1 + len(pieces)))
        tokens.extend(pieces)
    return tokens, framed


def _assign_splits(path: Path, records: list[dict], rows: list[int]) -> list[str]:
    if any("split" in r for r in records):
        names = []
        for record, row in zip(records, rows):
            value = str(record.get("split", "")).strip().lower()
            if value not in SPLITS:
                raise DataError(f"{path.name} line {row}: split {record.get('split')!r} is not one of "
                                f"{', '.join(SPLITS)}; fix it, or drop the split column for a seeded 80/10/10 split")
            names.append(value)
        return names
    order = np.random.default_rng(SPLIT_SEED).permutation(len(records))
    n_train, n_dev = int(round(SPLIT_SHARES[0] * len(records))), int(round(SPLIT_SHARES[1] * len(records)))
    names = [""] * len(records)
    for rank, i in enumerate(order):
        names[i] = SPLITS[0] if rank < n_train else SPLITS[1] if rank < n_train + n_dev else SPLITS[2]
    return names


def build(files: dict, data, *, name: str, progress: bool = True) -> TextDataset:
    """Read the user's file of dataset ``name`` (``file:PATH``; ``files`` and ``data`` are unused)."""
    path = own_path(name)
    rows = _rows(path)
    if not rows:
        raise DataError(f"{path.name} has no rows; it needs a header and one row per text with text and label")
    records = [r for _, r in rows]
    line_numbers = [n for n, _ in rows]
    missing = [c for c in ("text", "label") if c not in records[0]]
    if missing:
        raise DataError(f"{path.name} has no {' or '.join(repr(c) for c in missing)} column; its columns are "
                        f"{sorted(records[0])}; name the text column 'text' and the class column 'label'")
    has_rationales = any("rationale" in r for r in records)
    split_of = _assign_splits(path, records, line_numbers)
    tokens = {s: [] for s in SPLITS}
    labels = {s: [] for s in SPLITS}
    rationales = {s: [] for s in SPLITS}
    for record, row, split in zip(records, line_numbers, split_of):
        where = f"{path.name} line {row}"
        text, label = record.get("text"), record.get("label")
        if not isinstance(text, str) or not text.strip():
            raise DataError(f"{where}: the text is empty (or not a string); remove the row or fill in its text")
        if label is None or not str(label).strip():
            raise DataError(f"{where}: the label is empty; give every row its class")
        words = text.split()
        token_list, framed = _tokens(words, _rationale(record.get("rationale"), len(words), where))
        if not token_list:
            raise DataError(f"{where}: the text has no word once punctuation is dropped; remove the row")
        tokens[split].append(token_list)
        labels[split].append(str(label).strip())
        rationales[split].append(framed)
    empty = [s for s in SPLITS if not tokens[s]]
    if empty:
        raise DataError(f"{path.name}: the {' and '.join(empty)} split{'s are' if len(empty) > 1 else ' is'} empty; "
                        "give rows of every split, or drop the split column for a seeded 80/10/10 split")
    class_names = sorted(set(labels["train"]))
    if len(class_names) != 2:
        raise DataError(f"{path.name}: the train split has {len(class_names)} class{'es' if len(class_names) != 1 else ''} "
                        f"({', '.join(class_names[:5])}{' ...' if len(class_names) > 5 else ''}); the paper's models are "
                        "binary classifiers, so give exactly two labels")
    unseen = sorted({y for s in SPLITS for y in labels[s]} - set(class_names))
    if unseen:
        raise DataError(f"{path.name}: label {unseen[0]!r} is not in the train split's classes {class_names}; "
                        "every dev and test label must occur in train")
    vocab = build_vocab(tokens["train"])
    splits = {s: Split(sequences=[vocab.encode(t) for t in tokens[s]],
                       labels=np.array([class_names.index(y) for y in labels[s]], dtype=np.int64),
                       rationales=rationales[s] if has_rationales else None)
              for s in SPLITS}
    how = "its split column" if any("split" in r for r in records) else \
        f"a seeded (seed {SPLIT_SEED}) {'/'.join(str(round(100 * x)) for x in SPLIT_SHARES)} split"
    notes = [f"Your file {path.name}: {'/'.join(f'{len(splits[s]):,}' for s in SPLITS)} train/dev/test texts by "
             f"{how}; lowercased words without punctuation; no length filter"
             f"{'; with rationales' if has_rationales else ''}."]
    return TextDataset(name=name, task="classification", vocab=vocab, class_names=class_names, splits=splits,
                       notes=notes)
