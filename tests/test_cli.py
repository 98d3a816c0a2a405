"""The command line: one-line errors with a non-zero exit, and train/analyse on a tiny dataset."""
import json
import subprocess
import sys

import pandas as pd
import pytest

from attnlib.cli import main
from test_data_loaders import write_sst

pytestmark = pytest.mark.usefixtures("attnlib_env")
TRAIN = ["train", "--dataset", "sst", "--encoder", "average", "--attention", "tanh", "--epochs", "2",
         "--embedding", "random"]


def error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize("option,value,expected", [
    ("--dataset", "imbd", "unknown dataset 'imbd'; choose one of: sst, imdb"),
    ("--encoder", "gru", "unknown encoder 'gru'; choose one of lstm, cnn, average"),
    ("--attention", "mlp", "unknown attention 'mlp'; choose one of tanh, dot"),
])
def test_unknown_names(option, value, expected, capsys, tmp_path):
    args = ["train", "--dataset", "sst", "--encoder", "lstm", "--attention", "tanh", "--runs-dir", str(tmp_path)]
    args[args.index(option) + 1] = value
    assert main(args) == 2
    assert expected in error_line(capsys)
    assert not any(tmp_path.iterdir())


def test_non_existent_data_directory(capsys, tmp_path):
    assert main(["datasets", "--data-dir", str(tmp_path / "nowhere")]) == 2
    line = error_line(capsys)
    assert str(tmp_path / "nowhere") in line and "ATTNLIB_DATA" in line


def test_missing_data_file_leaves_nothing_behind(capsys, tmp_path, data_dir):
    runs = tmp_path / "runs"
    assert main([*TRAIN, "--data-dir", str(data_dir), "--runs-dir", str(runs)]) == 2
    line = error_line(capsys)
    assert "sst" in line and str(data_dir) in line
    assert not runs.exists()


def test_corrupt_archive_names_the_file(capsys, tmp_path, data_dir):
    (data_dir / "trainDevTestTrees_PTB.zip").write_bytes(b"PK\x03\x04 this is not a zip file")
    assert main([*TRAIN, "--data-dir", str(data_dir), "--runs-dir", str(tmp_path / "runs")]) == 2
    line = error_line(capsys)
    assert "trainDevTestTrees_PTB.zip" in line and "sha256" in line


def test_train_writes_metrics_and_reuses_the_finished_run(capsys, tmp_path, data_dir):
    write_sst(data_dir)
    runs = tmp_path / "runs"
    args = [*TRAIN, "--data-dir", str(data_dir), "--runs-dir", str(runs)]
    assert main(args) == 0
    first = capsys.readouterr().out
    (run_dir,) = runs.iterdir()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert {"accuracy", "macro_f1", "roc_auc"} <= set(metrics)
    assert f"run: {run_dir}" in first
    assert not (run_dir / "checkpoint.pt").exists()
    stamp = (run_dir / "model.pt").stat().st_mtime_ns
    assert main(args) == 0
    assert capsys.readouterr().out == first
    assert (run_dir / "model.pt").stat().st_mtime_ns == stamp


def test_analyse_writes_the_summary(capsys, tmp_path, data_dir):
    write_sst(data_dir)
    runs = tmp_path / "runs"
    args = ["analyse", *TRAIN[1:], "--data-dir", str(data_dir), "--runs-dir", str(runs), "--epsilon", "0.2"]
    assert main(args) == 0
    (run_dir,) = runs.iterdir()
    summary = pd.read_csv(run_dir / "summary.csv")
    assert list(summary.columns) == ["measure", "group", "mean", "std", "sig_frac", "n"]
    assert {"tau_attention_gradient", "tau_attention_loo", "tau_gradient_loo", "perm_median_tvd",
            "adv_max_jsd@0.01", "adv_max_jsd@0.05", "adv_max_jsd@0.2"} == set(summary.measure)
    assert "overall" in set(summary.group)


def test_console_script_prints_one_line_without_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "attnlib.cli", "datasets", "--data-dir", str(tmp_path / "x")],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")


def test_a_book_on_an_empty_data_folder_says_how_to_fetch_the_data(capsys, tmp_path, data_dir):
    """The first command a reader types: without --download, the one line names `attnlib datasets`, --download and
    the official sources of the preset's datasets."""
    assert main(["book", "--preset", "quick", "--root", str(tmp_path), "--data-dir", str(data_dir)]) == 2
    line = error_line(capsys)
    assert f"no dataset of the 'quick' preset is available in {data_dir}" in line
    assert "run `attnlib datasets`" in line and "`attnlib book --preset quick --download` (what `make book` runs)" in line
    assert "nlp.stanford.edu" in line and "www.thespermwhale.com" in line
