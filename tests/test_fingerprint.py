"""Cache keys follow the code: a changed model gives a new run directory; docstrings and comments do not."""
import time

from attnlib import fingerprint
from attnlib.analysis import AnalysisConfig
from attnlib.data.base import TextDataset
from attnlib.data.vocab import build_vocab
from attnlib.runs import RunConfig, run_directory


def _digest(path, text):
    path.write_text(text)
    return fingerprint._file_digest(path, time.time_ns())


def test_file_digest_ignores_docstrings_and_comments_but_not_code(tmp_path):
    path = tmp_path / "module.py"
    base = _digest(path, 'def f(x):\n    """Double."""\n    return 2 * x\n')
    assert _digest(path, 'def f(x):\n    """Twice x, reworded."""\n    # a comment\n    return 2 * x\n') == base
    assert _digest(path, 'def f(x):\n    return 2 * x\n') == base
    assert _digest(path, 'def f(x):\n    """Double."""\n    return 3 * x\n') != base


def test_code_fingerprints_cover_the_science_that_computes_results():
    assert fingerprint.code_fingerprint(fingerprint.RUN_CODE) != fingerprint.code_fingerprint(fingerprint.ANALYSIS_CODE)
    assert len(fingerprint.code_fingerprint()) == 16


def test_downloading_code_is_left_out_of_the_run_fingerprint(monkeypatch):
    """Fetching files cannot change a result (the dataset fingerprint covers their bytes); preparing them can."""
    digests = {}
    real = fingerprint._file_digest

    def fake(path, mtime_ns):
        return "changed" if path.name in digests else real(path, mtime_ns)

    base = fingerprint.code_fingerprint()
    monkeypatch.setattr(fingerprint, "_file_digest", fake)
    digests["download.py"] = True
    assert fingerprint.code_fingerprint() == base
    digests["vocab.py"] = True
    assert fingerprint.code_fingerprint() != base


def test_a_code_change_gives_a_new_run_directory_and_analysis_key(monkeypatch, tmp_path):
    dataset = TextDataset("tiny", "classification", build_vocab([["a", "b"]]), ["n", "p"], {}, fingerprint="data")
    config = RunConfig("sst", "lstm", "tanh")
    before, _ = run_directory(config, dataset, tmp_path)
    key_before = AnalysisConfig().key()
    monkeypatch.setattr("attnlib.runs.code_fingerprint", lambda parts: "changed-model-code")
    monkeypatch.setattr("attnlib.analysis.code_fingerprint", lambda parts: "changed-scorer-code")
    after, _ = run_directory(config, dataset, tmp_path)
    assert after != before and after.name.startswith("sst-lstm-tanh-seed0-")
    assert AnalysisConfig().key() != key_before
