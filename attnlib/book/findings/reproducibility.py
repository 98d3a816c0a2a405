"""What the reproducibility chapter states: seeds per dataset, the data this build lacks, how our data compare with
the sizes the authors printed, and how long the experiments took."""
from __future__ import annotations

import pandas as pd

from ...paper.jain_wallace import paper_count
from .. import tables
from .discussion import absent_datasets, seeds_per_dataset

__all__ = ["reproducibility_findings", "missing_files", "imdb_test_size", "sst_vocabulary", "computing_minutes",
           "thread_sentence"]


def missing_files(results) -> str:
    """The loaders' notes on missing files, per dataset, or a sentence saying there are none."""
    shown = {r.dataset: r for r in results}
    missing = [f"{name}: " + " ".join(note.rstrip(".") + "." for note in r.run.dataset.notes if "missing" in note)
               for name, r in shown.items() if any("missing" in note for note in r.run.dataset.notes)]
    return " ".join(missing) if missing else "no loader reported a missing file."


def imdb_test_size(sizes: pd.DataFrame) -> str:
    """Our IMDB test sample against the authors' (:func:`~attnlib.paper.jain_wallace.paper_count`).

    Parameters
    ----------
    sizes : DataFrame
        :func:`attnlib.book.tables.dataset_table`, indexed by dataset.
    """
    if "imdb" not in sizes.index:
        return "IMDB is not in this build to compare"
    return f"our test sample has {sizes.loc['imdb', 'test']:,} reviews against their {paper_count('imdb', 'test'):,}"


def sst_vocabulary(sizes: pd.DataFrame) -> str:
    """Our SST vocabulary against the authors' (identical when our preprocessing matches theirs)."""
    if "sst" not in sizes.index:
        return "SST is not in this build to compare vocabularies"
    words, theirs = int(sizes.loc["sst", "vocabulary"]), paper_count("sst", "vocabulary")
    return (f"the SST vocabulary comes out identical to theirs ({theirs:,} words)" if words == theirs
            else f"the SST vocabulary has {words:,} words against their {theirs:,}")


def computing_minutes(timeline: pd.DataFrame) -> dict:
    """Minutes of training and analysis of the experiments of a build's timeline (``timeline_compute_minutes``) and
    how many experiments it holds (``timeline_experiments``)."""
    experiments = timeline[timeline["kind"] == "experiment"]
    seconds = experiments["train_seconds"].fillna(0) + experiments["analysis_seconds"].fillna(0)
    return {"timeline_compute_minutes": float(seconds.sum() / 60), "timeline_experiments": int(len(experiments))}


def thread_sentence(differences: dict[str, float], threads=(1, 2)) -> str:
    """Whether one training step's gradients changed with torch's thread count
    (:func:`~attnlib.training.threads.gradient_thread_differences`: parameter name to the largest difference)."""
    first, second = threads
    differing = [value for value in differences.values() if value > 0]
    if not differing:
        return (f"one training step gives bit-identical gradients with {first} and with {second} threads "
                f"(all {len(differences)} parameter tensors)")
    return (f"one training step's gradients differ between {first} and {second} threads in {len(differing)} of "
            f"{len(differences)} parameter tensors, by up to {max(differing):.1e}")


def reproducibility_findings(results, seed: int) -> dict:
    """Every value the reproducibility chapter glues before its timeline, for ``results`` (a
    :class:`~attnlib.book.chapter.ChapterResults`) and the ``seed`` shown."""
    sizes = tables.dataset_table(results).set_index("dataset")
    return {"seed_used": seed, "seed_counts": seeds_per_dataset(results.all_seeds),
            "missing_files": missing_files(results), "absent_datasets": absent_datasets(results),
            "imdb_test": imdb_test_size(sizes), "sst_vocabulary": sst_vocabulary(sizes)}
