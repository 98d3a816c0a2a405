"""The numbers Jain & Wallace (2019) published, for side-by-side tables.

Read from the CSV files the authors released with their code (``successar/AttentionExplanation``,
``graph_outputs/``), as collected in the CSV files beside this module: Table 2 (Kendall τ of attention with gradient
and with leave-one-out, tanh attention, BiLSTM and Average encoders), the test performance of the six
encoder/attention configurations per dataset, and, for BiLSTM and Average with tanh attention, the quartiles of
the permutation and adversarial results per max-attention bin and predicted class (read from the authors'
violin plots, rounding error about 1e-4), a summary of their max-JSD histograms (approximate), and sizes their
preprocessing printed (:func:`paper_dataset_counts`). The max-attention bins of their violins and the ε of their
adversarial figures are defined here once (:data:`MAX_ATTENTION_BINS`, :data:`FIGURE_EPSILON`).
"""
from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd

__all__ = ["CITATION", "FIGURE_EPSILON", "MAX_ATTENTION_BINS", "MAX_ATTENTION_EDGES", "PAPER_DATASET",
           "max_attention_bin", "max_attention_bin_label", "paper_adversarial_quartiles", "paper_count",
           "paper_dataset_counts", "paper_adversarial_summary",
           "paper_permutation_quartiles", "paper_table2", "paper_test_performance"]

#: The ε of the authors' released adversarial figures and histograms: their code keeps adversaries whose output
#: moved by at most 0.05, for every task (book/protocol.md §7, quirk Q4).
FIGURE_EPSILON = 0.05

#: Our dataset names and the authors'.
PAPER_DATASET = {"sst": "sst", "imdb": "imdb", "20news": "20News_sports", "agnews": "agnews", "snli": "snli",
                 "babi1": "babi_1", "babi2": "babi_2", "babi3": "babi_3", "cnn": "cnn", "adr": "tweet",
                 "diabetes": "diab", "anemia": "anemia"}
_OURS = {paper: ours for ours, paper in PAPER_DATASET.items()}
_ENCODER = {"lstm": "lstm", "cnn(1,3,5,7)": "cnn", "average": "average"}
CITATION = ("Jain, S. & Wallace, B. C. (2019). Attention is not Explanation. NAACL-HLT 2019, "
            "arXiv:1902.10186; numbers from the authors' released outputs (successar/AttentionExplanation).")


def _read(name: str) -> pd.DataFrame:
    with resources.files(__package__).joinpath(name).open() as handle:
        return pd.read_csv(handle, dtype={"group": str})


def paper_table2() -> pd.DataFrame:
    """The paper's Table 2 in tidy form.

    Returns
    -------
    DataFrame with columns ``dataset`` (our names), ``encoder`` (``lstm`` or ``average``), ``measure``
    (``tau_attention_gradient`` or ``tau_attention_loo``), ``group`` (a class index as a string, or
    ``overall``), ``mean``, ``std``, ``sig_frac``.
    """
    wide = _read("paper_table2.csv")
    rows = []
    for _, row in wide.iterrows():
        group = "overall" if row["group"] == "Overall" else str(row["group"])
        for prefix, measure in (("grad", "tau_attention_gradient"), ("loo", "tau_attention_loo")):
            for encoder, column in (("lstm", "bilstm"), ("average", "average")):
                rows.append({"dataset": _OURS[row["dataset"]], "encoder": encoder, "measure": measure,
                             "group": group, **{stat: row[f"{prefix}_{column}_{stat}"]
                                                for stat in ("mean", "std", "sig_frac")}})
    return pd.DataFrame(rows)


def paper_dataset_counts() -> pd.DataFrame:
    """Sizes the authors' preprocessing printed, which ours can be compared with.

    Returns
    -------
    DataFrame with columns ``dataset`` (our names), ``quantity`` (``vocabulary``, or a split such as ``test``),
    ``value`` (int) and ``source`` (where in their code it comes from).
    """
    return _read("paper_dataset_counts.csv")


def paper_count(dataset: str, quantity: str) -> int:
    """One of :func:`paper_dataset_counts`, e.g. ``paper_count("sst", "vocabulary")``."""
    counts = paper_dataset_counts().set_index(["dataset", "quantity"])["value"]
    if (dataset, quantity) not in counts.index:
        raise KeyError(f"the paper publishes no {quantity!r} count for {dataset!r}; it has {list(counts.index)}")
    return int(counts[(dataset, quantity)])


def paper_test_performance() -> pd.DataFrame:
    """Test metrics of the authors' analysed models (``evaluate/*.json``), NAACL datasets only.

    Returns
    -------
    DataFrame with columns ``dataset`` (our names), ``encoder`` (our names), ``attention``, ``accuracy``,
    ``macro_f1``, ``roc_auc`` (NaN for QA tasks).
    """
    table = _read("paper_test_performance.csv")
    table = table[table["in_paper"]].copy()
    table["dataset"] = table["dataset"].map(_OURS)
    table["encoder"] = table["encoder"].map(_ENCODER)
    return table[["dataset", "encoder", "attention", "accuracy", "macro_f1", "roc_auc"]].reset_index(drop=True)


#: Edges of the 4 equal bins of the largest attention weight in the authors' violin plots; the last bin is closed.
MAX_ATTENTION_EDGES = (0.0, 0.25, 0.5, 0.75, 1.0)

#: The labels of those bins, lowest first: ``[0.00, 0.25)`` ... ``[0.75, 1.00]`` (the last holds 1.0).
MAX_ATTENTION_BINS = tuple(f"[{low:.2f}, {high:.2f}" + ("]" if high == MAX_ATTENTION_EDGES[-1] else ")")
                           for low, high in zip(MAX_ATTENTION_EDGES[:-1], MAX_ATTENTION_EDGES[1:]))

#: How the released CSV files spell the bins (every one half-open), in the order of :data:`MAX_ATTENTION_BINS`.
_FILE_BINS = ("[0.00, 0.25)", "[0.25, 0.50)", "[0.50, 0.75)", "[0.75, 1.00)")


def max_attention_bin(max_attention) -> np.ndarray:
    """The bin (0 to 3, an index of :data:`MAX_ATTENTION_BINS`) of each largest attention weight (1.0 in the last).

    Examples
    --------
    >>> max_attention_bin([0.1, 0.25, 0.74, 0.75, 1.0]).tolist()
    [0, 1, 2, 3, 3]
    """
    return np.searchsorted(np.asarray(MAX_ATTENTION_EDGES[1:-1]), np.asarray(max_attention, dtype=float),
                           side="right")


def max_attention_bin_label(max_attention) -> np.ndarray:
    """The label of :data:`MAX_ATTENTION_BINS` of each largest attention weight, as an object array."""
    return np.array(MAX_ATTENTION_BINS, dtype=object)[max_attention_bin(max_attention)]


def _per_bin(name: str) -> pd.DataFrame:
    table = _read(name)
    table = table[table["in_paper"] & table["dataset"].isin(_OURS)].copy()
    table["dataset"] = table["dataset"].map(_OURS)
    table["maxattn_bin"] = table["maxattn_bin"].map(dict(zip(_FILE_BINS, MAX_ATTENTION_BINS)))
    table = table.rename(columns={"maxattn_bin": "bin", "pred_class": "group"})
    return table[["dataset", "encoder", "attention", "bin", "group", "q25", "median", "q75"]].reset_index(drop=True)


def paper_permutation_quartiles() -> pd.DataFrame:
    """Quartiles over test instances of each instance's median output TVD under 100 permutations.

    Returns
    -------
    DataFrame with columns ``dataset`` (our names), ``encoder``, ``attention`` (``lstm``/``average``, ``tanh``),
    ``bin`` (one of :data:`MAX_ATTENTION_BINS`), ``group`` (a predicted class index as a string, or ``all``),
    ``q25``, ``median``, ``q75``.
    """
    return _per_bin("paper_permutation_quartiles.csv")


def paper_adversarial_quartiles() -> pd.DataFrame:
    """Quartiles of each instance's max JSD within ε = 0.05; the layout of :func:`paper_permutation_quartiles`."""
    return _per_bin("paper_adversarial_quartiles.csv")


def paper_adversarial_summary() -> pd.DataFrame:
    """Approximate mean of the max JSD within ε = 0.05 per predicted class (``overall``: weighted by predicted-class
    counts), from the authors' histograms (bin mid-points).

    Returns
    -------
    DataFrame with columns ``dataset``, ``encoder``, ``attention``, ``group``, ``mean``.
    """
    table = _read("paper_adversarial_maxjsd_summary.csv")
    table = table[table["in_paper"] & table["dataset"].isin(_OURS)].copy()
    table["dataset"] = table["dataset"].map(_OURS)
    table["group"] = table["pred_class"].where(~table["pred_class"].str.startswith("Overall"), "overall")
    table = table.rename(columns={"mean_approx": "mean"})
    return table[["dataset", "encoder", "attention", "group", "mean"]].reset_index(drop=True)
