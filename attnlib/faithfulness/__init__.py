"""Which explanation is faithful? Explainers from Captum beside the paper's, erasure metrics that trust no
explainer, and agreement with known rationales.

* :mod:`~attnlib.faithfulness.explainers`: integrated gradients, input × gradient, occlusion, GradientSHAP,
  Kernel SHAP and a random order, behind the paper's scorer contract.
* :mod:`~attnlib.faithfulness.erasure`: comprehensiveness, sufficiency, their AOPC, decision flips;
  :mod:`~attnlib.faithfulness.naive` holds the per-instance loops they are tested against.
* :mod:`~attnlib.faithfulness.rationales`: precision at k and AUPRC against rationales.
* :mod:`~attnlib.faithfulness.measure`: every measure of every explainer on a split, and their table;
  :mod:`~attnlib.faithfulness.runs`: the same for a run, on disk (``faithfulness.csv``).
"""
from .erasure import ERASURE_FRACTIONS, aopc, decision_flips, erasure_curves
from .explainers import CAPTUM_EXPLAINERS, EXPLAINERS, deeplift_support, integrated_gradients_delta, magnitude
from .measure import METRICS, faithfulness_over_split, faithfulness_table
from .rationales import rationale_scores
from .runs import Faithfulness, FaithfulnessConfig, faithfulness_of_run, parse_explainers

__all__ = ["CAPTUM_EXPLAINERS", "ERASURE_FRACTIONS", "EXPLAINERS", "METRICS", "Faithfulness", "FaithfulnessConfig",
           "aopc", "decision_flips", "deeplift_support", "erasure_curves", "faithfulness_of_run",
           "faithfulness_over_split", "faithfulness_table", "integrated_gradients_delta", "magnitude",
           "parse_explainers", "rationale_scores"]
