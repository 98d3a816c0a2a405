"""SNLI 1.0 natural language inference (book/protocol.md §2.1-2.2; the authors' ``SNLI.ipynb``).

The premise is the passage (what attention weighs), the hypothesis the question. Pairs whose
``gold_label`` is ``-`` are dropped; classes in alphabetical order: contradiction = 0,
entailment = 1, neutral = 2. Tokenised with the authors' ``cleaner``; ``min_df`` 3 on train premises
and hypotheses; no length filter. Files: ``snli_1.0_{train,dev,test}.jsonl`` (optionally ``.gz``,
plain or inside ``snli_1.0.zip``). Without the full train file, a fraction such as
``snli_1.0_train_0.01.jsonl.gz`` is used and ``notes`` says so.
"""
from __future__ import annotations

import json

from ..plumbing.errors import DataError
from .base import SPLITS, TextDataset
from .locate import DataDir, FileSpec
from .text import clean
from .vocab import MIN_DF, pair_dataset

__all__ = ["FILES", "CLASSES", "read_jsonl", "build"]

CLASSES = ("contradiction", "entailment", "neutral")
_PREFER = ("snli*",)
FILES = (
    FileSpec(
        "train",
        ("snli_1.0_train.jsonl", "snli_1.0_train.jsonl.gz", "snli_1.0_train.jsonl.xz", "snli_1.0_train_*.jsonl*"),
        prefer=_PREFER,
    ),
    FileSpec("dev", ("snli_1.0_dev.jsonl", "snli_1.0_dev.jsonl.gz", "snli_1.0_dev.jsonl.xz"), prefer=_PREFER),
    FileSpec("test", ("snli_1.0_test.jsonl", "snli_1.0_test.jsonl.gz", "snli_1.0_test.jsonl.xz"), prefer=_PREFER),
)


def read_jsonl(text: str, source: str) -> tuple[list[str], list[str], list[int], int]:
    """Premises, hypotheses, class ids and the number of ``-`` pairs dropped, from one jsonl file."""
    premises, hypotheses, labels = [], [], []
    n_dropped = 0
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            gold, s1, s2 = row["gold_label"], row["sentence1"], row["sentence2"]
        except (ValueError, KeyError, TypeError):
            raise DataError(
                f"{source} line {line_no} is not an SNLI record with gold_label, sentence1 and sentence2; "
                "use the snli_1.0 jsonl files"
            ) from None
        if gold not in CLASSES:
            n_dropped += 1
            continue
        premises.append(s1)
        hypotheses.append(s2)
        labels.append(CLASSES.index(gold))
    return premises, hypotheses, labels, n_dropped


def build(files: dict, data: DataDir, *, progress: bool = True) -> TextDataset:
    """Prepare SNLI from the located jsonl files (see :data:`FILES`)."""
    prem, hyp, labels, dropped = {}, {}, {}, {}
    for s in SPLITS:
        ref = files[s]
        prem[s], hyp[s], labels[s], dropped[s] = read_jsonl(data.read_text(ref), data.describe(ref))
    flat = [t for s in SPLITS for t in prem[s]] + [t for s in SPLITS for t in hyp[s]]
    flat_tokens = clean(flat, progress=progress, desc="tokenising (SNLI)")
    passages, questions, start = {}, {}, 0
    for s in SPLITS:
        passages[s] = flat_tokens[start : start + len(prem[s])]
        start += len(prem[s])
    for s in SPLITS:
        questions[s] = flat_tokens[start : start + len(hyp[s])]
        start += len(hyp[s])
    notes = [
        "Gold label '-' dropped ("
        + ", ".join(f"{s} {dropped[s]:,}" for s in SPLITS)
        + "); official dev and test."
    ]
    train_name = files["train"].name.rsplit("/", 1)[-1]
    if not train_name.startswith("snli_1.0_train.jsonl"):
        notes.append(
            f"The full train file is missing: train is {train_name} ({len(labels['train']):,} labelled pairs) "
            "instead of the 549,367 the paper used, so the vocabulary (min_df 3) is much smaller."
        )
    return pair_dataset(
        "snli", passages, questions, labels, class_names=list(CLASSES), min_df=MIN_DF["snli"], notes=notes,
    )
