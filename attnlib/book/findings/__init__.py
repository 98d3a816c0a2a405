"""Findings: every sentence the book, the slides and the guide state about the results, with the numbers it rests
on, computed by a function with tests where it must hold and where it must not.

One module per chapter; each has a function ``<chapter>_findings(results, ...)`` returning every value the chapter
glues (a dict of glue name to value: numbers, sentences, Markdown), built from smaller functions that take the
chapter's tables, one per finding. :mod:`.rules` owns the thresholds and the comparison of the two encoders they
share. A chapter's hidden cell is then ``glue_all(correlation_findings(results, focus))``
(:func:`attnlib.book.chapter.glue_all`).
"""
from .adversarial import adversarial_findings
from .correlation import correlation_findings
from .critique import critique_findings, critique_verdicts
from .data_models import data_models_findings
from .discussion import discussion_findings, uniform_attention_drop
from .faithfulness import faithfulness_facts, faithfulness_findings
from .permutation import permutation_findings
from .reproducibility import computing_minutes, reproducibility_findings, thread_sentence
from .scorecard import (ablation_findings, closest_seed_sentence, out_of_tolerance, out_of_tolerance_sentence,
                        seed_attention_findings, seed_spread_findings, strength_sentence, top_bin_findings,
                        totals_findings)

__all__ = ["ablation_findings", "adversarial_findings", "closest_seed_sentence", "computing_minutes",
           "correlation_findings", "critique_findings", "critique_verdicts", "data_models_findings", "discussion_findings",
           "faithfulness_facts", "faithfulness_findings", "out_of_tolerance",
           "out_of_tolerance_sentence", "permutation_findings",
           "reproducibility_findings", "seed_attention_findings", "seed_spread_findings", "strength_sentence",
           "thread_sentence", "top_bin_findings", "totals_findings", "uniform_attention_drop"]
