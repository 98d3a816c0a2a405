"""Planted-token tasks: synthetic texts whose label is set by a few planted words, so the true explanation is known.

Every text is filler words drawn uniformly from common GloVe words; a few *planted* words decide the label, and their
positions are the split's :attr:`~attnlib.data.base.Split.rationales`. A faithful explainer must point at them. Four
variants (:data:`PLANTED_TASKS`), each generated from the fixed seed :data:`SEED`, with
:data:`SIZES` train/dev/test texts:

=======================  ===================================================================================
``planted``              10-40 filler words and one planted word: a bird (label ``bird``) or a nut (``nut``)
``planted-distractor``   as ``planted``, plus 1-2 colour words in every text, whatever its label (salient but
                         uninformative; not in the rationale)
``planted-joint``        two planted words, one from each of two slots; the label is their XOR: ``same`` when
                         both come from the first half of their slot, or both from the second, else ``different``.
                         Neither word alone says anything about the label; the rationale holds both
``planted-long``         as ``planted`` with 150-300 filler words (a needle in a long text)
=======================  ===================================================================================

No file is read: the filler vocabulary comes from the GloVe package the default vectors use, so the data is the same
on every machine. Changing anything here must bump :data:`GENERATOR_VERSION` (it is part of the fingerprint).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import SPLITS, Split, TextDataset
from .vocab import build_vocab

__all__ = ["PLANTED_TASKS", "SEED", "SIZES", "GENERATOR_VERSION", "PlantedTask", "build", "filler_words",
           "generate"]

#: Seed of every planted task's texts.
SEED = 0
#: Texts per split.
SIZES = {"train": 4000, "dev": 500, "test": 1000}
#: Part of the planted tasks' fingerprint: bump it whenever the generator changes what it produces.
GENERATOR_VERSION = 1
#: Filler words are the alphabetic words among GloVe's most frequent, ranks ``FILLER_RANKS``.
FILLER_RANKS = (100, 3100)

BIRDS = ("heron", "falcon", "osprey")
NUTS = ("walnut", "almond", "chestnut")
COLOURS = ("indigo", "crimson", "scarlet")
STONES = ("granite", "marble", "basalt")


@dataclass(frozen=True)
class PlantedTask:
    """One planted task.

    Attributes
    ----------
    slots : tuple of (tuple of str, tuple of str)
        Each slot plants one word: from its first word set (value 0) or its second (value 1); the label is the XOR of
        the slots' values (with one slot, the slot's value).
    class_names : tuple of str
    lengths : (int, int)
        Inclusive range of the number of filler words.
    distractors : tuple of str
        1-2 of these are added to every text whatever its label (not part of the rationale).
    """

    slots: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]
    class_names: tuple[str, str]
    lengths: tuple[int, int]
    distractors: tuple[str, ...] = ()
    description: str = ""


PLANTED_TASKS: dict[str, PlantedTask] = {
    "planted": PlantedTask(((NUTS, BIRDS),), ("nut", "bird"), (10, 40),
                           description="one planted word, a bird or a nut, decides the label"),
    "planted-distractor": PlantedTask(((NUTS, BIRDS),), ("nut", "bird"), (10, 40), distractors=COLOURS,
                                      description="as planted, with 1-2 label-independent colour words in every text"),
    "planted-joint": PlantedTask(((NUTS, BIRDS), (COLOURS, STONES)), ("same", "different"), (10, 40),
                                 description="two planted words whose XOR is the label; neither alone tells it"),
    "planted-long": PlantedTask(((NUTS, BIRDS),), ("nut", "bird"), (150, 300),
                                description="as planted, in 150-300 filler words"),
}


def filler_words() -> list[str]:
    """The filler vocabulary: alphabetic GloVe words of ranks :data:`FILLER_RANKS`, without the planted words."""
    from .embeddings import _glove_6b_50d

    index, _ = _glove_6b_50d()
    planted = {*BIRDS, *NUTS, *COLOURS, *STONES}
    by_rank = sorted(index, key=index.get)[slice(*FILLER_RANKS)]
    return [w for w in by_rank if w.isalpha() and w.isascii() and w not in planted]


def generate(task: PlantedTask, n: int, rng: np.random.Generator, filler: list[str]):
    """``n`` texts of ``task``: their words, labels (n,) and rationales (positions among the words, 0-based)."""
    texts, labels, rationales = [], np.zeros(n, dtype=np.int64), []
    for i in range(n):
        values = rng.integers(0, 2, size=len(task.slots))
        planted = [str(rng.choice(slot[v])) for slot, v in zip(task.slots, values)]
        extra = [str(w) for w in rng.choice(task.distractors, size=int(rng.integers(1, 3)))] if task.distractors else []
        n_words = int(rng.integers(task.lengths[0], task.lengths[1] + 1)) + len(planted) + len(extra)
        words = [str(w) for w in rng.choice(filler, size=n_words)]
        positions = rng.choice(n_words, size=len(planted) + len(extra), replace=False)
        for position, word in zip(positions, planted + extra):
            words[position] = word
        texts.append(words)
        labels[i] = int(np.bitwise_xor.reduce(values))
        rationales.append(sorted(int(p) for p in positions[:len(planted)]))
    return texts, labels, rationales


def build(files: dict, data, *, task: str, progress: bool = True) -> TextDataset:
    """Generate planted task ``task`` (``files`` and ``data`` are unused: nothing is read)."""
    spec = PLANTED_TASKS[task]
    filler = filler_words()
    streams = np.random.SeedSequence([SEED, sorted(PLANTED_TASKS).index(task)]).spawn(len(SPLITS))
    generated = {split: generate(spec, SIZES[split], np.random.default_rng(stream), filler)
                 for split, stream in zip(SPLITS, streams)}
    vocab = build_vocab(generated["train"][0])
    splits = {split: Split(sequences=[vocab.encode(t) for t in texts], labels=labels,
                           rationales=[[p + 1 for p in r] for r in rationale])
              for split, (texts, labels, rationale) in generated.items()}
    notes = [f"Synthetic ({spec.description}); not in the paper. {len(filler):,} filler words; seed {SEED}; "
             f"{'/'.join(f'{SIZES[s]:,}' for s in SPLITS)} texts."]
    return TextDataset(name=task, task="classification", vocab=vocab, class_names=list(spec.class_names),
                       splits=splits, notes=notes)
