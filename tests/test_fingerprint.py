"""Cache keys follow the code: what a part of ``attnlib.layout`` can change decides which keys an edit changes."""
import shutil
import time
from pathlib import Path

import pytest

from attnlib.data.base import TextDataset
from attnlib.data.vocab import build_vocab
from attnlib.results import fingerprint
from attnlib.results.analyses import AnalysisConfig
from attnlib.results.fingerprint import ANALYSIS_CODE, LIBRARY_CODE, RUN_CODE, code_fingerprint
from attnlib.results.runs import RunConfig, run_directory

PACKAGE = Path(fingerprint.__file__).resolve().parents[1]


def _digest(path, text):
    path.write_text(text)
    return fingerprint._file_digest(path, time.time_ns())


def test_file_digest_ignores_docstrings_and_comments_but_not_code(tmp_path):
    path = tmp_path / "module.py"
    base = _digest(path, 'def f(x):\n    """Double."""\n    return 2 * x\n')
    assert _digest(path, 'def f(x):\n    """Twice x, reworded."""\n    # a comment\n    return 2 * x\n') == base
    assert _digest(path, 'def f(x):\n    return 2 * x\n') == base
    assert _digest(path, 'def f(x):\n    """Double."""\n    return 3 * x\n') != base


@pytest.fixture(scope="module")
def copy_of_attnlib(tmp_path_factory):
    """A copy of the package to edit (the fingerprints are computed over a folder)."""
    target = tmp_path_factory.mktemp("edited") / "attnlib"
    shutil.copytree(PACKAGE, target, ignore=shutil.ignore_patterns("__pycache__", "*.csv", "static", "*.toml"))
    return target


def _keys(package):
    return {kinds: code_fingerprint(kinds, package) for kinds in (RUN_CODE, ANALYSIS_CODE, LIBRARY_CODE)}


#: An edit of each file, and which keys it must change: (run, analysis, library).
EDITS = [
    ("explain/kendall.py", True, (False, True, True)),
    ("results/analyses.py", True, (False, True, True)),
    ("models/attention.py", True, (True, True, True)),
    ("training/recipe.py", True, (True, True, True)),
    ("data/vocab.py", True, (True, True, True)),
    ("plots/tau.py", True, (False, False, True)),
    ("book/tables.py", True, (False, False, True)),
    ("data/download.py", True, (False, False, True)),
    ("training/bench.py", True, (False, False, True)),
    ("explain/bench.py", True, (False, False, True)),
    ("models/encoders.py", False, (False, False, False)),   # a comment only
]


@pytest.mark.parametrize("relative, code, changed", EDITS, ids=[e[0] for e in EDITS])
def test_an_edit_changes_the_keys_of_what_its_part_can_change(copy_of_attnlib, relative, code, changed):
    before = _keys(copy_of_attnlib)
    path = copy_of_attnlib / relative
    original = path.read_text()
    try:
        path.write_text(original + ("\nEDITED_FOR_THE_TEST = 1\n" if code else "\n# a comment\n"))
        after = _keys(copy_of_attnlib)
    finally:
        path.write_text(original)
    assert tuple(after[k] != before[k] for k in (RUN_CODE, ANALYSIS_CODE, LIBRARY_CODE)) == changed


def test_a_renamed_module_changes_the_keys(copy_of_attnlib):
    """Modules are hashed by name: the same code under another name is other code."""
    before = code_fingerprint(RUN_CODE, copy_of_attnlib)
    (copy_of_attnlib / "models" / "attention.py").rename(copy_of_attnlib / "models" / "attention_renamed.py")
    try:
        assert code_fingerprint(RUN_CODE, copy_of_attnlib) != before
    finally:
        (copy_of_attnlib / "models" / "attention_renamed.py").rename(copy_of_attnlib / "models" / "attention.py")


def test_the_library_fingerprint_is_this_package_by_default():
    assert code_fingerprint(RUN_CODE) == code_fingerprint(RUN_CODE, PACKAGE) and len(code_fingerprint()) == 16
    assert code_fingerprint(RUN_CODE) != code_fingerprint(ANALYSIS_CODE) != code_fingerprint(LIBRARY_CODE)


def test_a_code_change_gives_a_new_run_directory_and_analysis_key(monkeypatch, tmp_path):
    dataset = TextDataset("tiny", "classification", build_vocab([["a", "b"]]), ["n", "p"], {}, fingerprint="data")
    config = RunConfig("sst", "lstm", "tanh")
    before, _ = run_directory(config, dataset, tmp_path)
    key_before = AnalysisConfig().key()
    monkeypatch.setattr("attnlib.results.runs.code_fingerprint", lambda parts: "changed-model-code")
    monkeypatch.setattr("attnlib.results.analyses.code_fingerprint", lambda parts: "changed-scorer-code")
    after, _ = run_directory(config, dataset, tmp_path)
    assert after != before and after.name.startswith("sst-lstm-tanh-seed0-")
    assert AnalysisConfig().key() != key_before


def test_the_thread_count_is_part_of_a_run_directory(tmp_path):
    import torch

    dataset = TextDataset("tiny", "classification", build_vocab([["a", "b"]]), ["n", "p"], {}, fingerprint="data")
    config, threads = RunConfig("sst", "lstm", "tanh"), torch.get_num_threads()
    try:
        directories = set()
        for n in (1, 2, 1):
            torch.set_num_threads(n)
            directories.add(run_directory(config, dataset, tmp_path)[0])
    finally:
        torch.set_num_threads(threads)
    assert len(directories) == 2
