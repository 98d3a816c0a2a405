"""Results on disk: trained runs (:mod:`.runs`), their persisted analyses (:mod:`.analyses`), and the fingerprints
of the code that computed them (:mod:`.fingerprint`), so a cache never serves what the current code would not
compute. Every file is written atomically and keyed by content.
"""
from .analyses import Analysis, AnalysisConfig, analyse_run
from .runs import Run, RunConfig, open_run

__all__ = ["Analysis", "AnalysisConfig", "Run", "RunConfig", "analyse_run", "open_run"]
