"""The analyses of Jain & Wallace (2019) on a trained model (book/protocol.md §4-§7).

* :mod:`~attnlib.explain.importance`: per-token importance — attention, gradient, leave-one-out — with one
  contract, ``scorer(model, batch) -> (batch, seq_len)``, 0 outside the real tokens.
* :mod:`~attnlib.explain.kendall`: Kendall τ between importances, per example, and its summaries.
* :mod:`~attnlib.explain.permutation`: output change under shuffled attention.
* :mod:`~attnlib.explain.adversarial`: adversarial attention with (almost) the same output.
* :mod:`~attnlib.explain.divergence`: TVD and the authors' JSD.
* :mod:`~attnlib.explain.naive`: the naive implementations every fast path is tested against;
  :mod:`~attnlib.explain.bench` times both.

:mod:`~attnlib.explain.pipeline`: :func:`analyse_split` runs everything on a split; :func:`summarise` turns its
output into the paper's table. :mod:`~attnlib.explain.loo` holds the fast leave-one-out, and
:mod:`~attnlib.explain._batching` the private helpers the analyses share.
"""
from ._batching import instance_seed
from .adversarial import (MAX_JSD_PREFIX, PAPER_EPSILONS, AdversarialResult, adversarial_objective,
                          adversarial_over_split, adversarial_search, initial_log_scores, max_jsd_column,
                          max_jsd_within, with_paper_epsilons)
from .baselines import outputs_with_attention, uniform_attention_outputs
from .bench import run_benchmark
from .divergence import jsd, tvd
from .importance import SCORERS, attention_importance, gradient_importance, importance_over_split
from .kendall import KENDALL_PAIRS, class_groups, kendall_rows, kendall_tau, summarise_values
from .loo import loo_importance
from .permutation import draw_permutations, permutation_over_split, permutation_tvds
from .pipeline import ANALYSIS_STAGES, DEFAULT_BATCH_SIZES, analyse_split, predict_over_split, summarise

__all__ = [
    "ANALYSIS_STAGES", "MAX_JSD_PREFIX", "PAPER_EPSILONS", "AdversarialResult", "DEFAULT_BATCH_SIZES", "KENDALL_PAIRS", "SCORERS", "adversarial_objective",
    "adversarial_over_split", "adversarial_search", "analyse_split", "attention_importance", "class_groups",
    "draw_permutations", "gradient_importance", "importance_over_split", "initial_log_scores", "instance_seed", "jsd",
    "kendall_rows", "kendall_tau", "loo_importance", "max_jsd_column", "max_jsd_within", "outputs_with_attention",
    "permutation_over_split", "permutation_tvds", "predict_over_split", "run_benchmark", "summarise",
    "summarise_values", "tvd", "uniform_attention_outputs", "with_paper_epsilons",
]
