"""Chapter parameters are checked before anything is trained: one line naming the value and the allowed ones."""
import subprocess
import sys
import time
from pathlib import Path

import pytest

from attnlib.book import check_parameters, get_preset
from attnlib.plumbing.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]

BAD = [
    ({"preset": "fast"}, "parameter preset='fast' is not allowed; choose one of quick, default, paper"),
    ({"dataset": "nosuch"}, "parameter dataset='nosuch' is not allowed; choose one of sst, imdb"),
    ({"encoder": "gru"}, "parameter encoder='gru' is not allowed; choose one of lstm, cnn, average"),
    ({"attention": "cosine"}, "parameter attention='cosine' is not allowed; choose one of tanh, dot"),
    ({"seed": -1}, "parameter seed=-1 must be a whole number >= 0"),
    ({"limit": 2.5}, "parameter limit=2.5 must be a whole number >= 0"),
    ({"device": "tpu"}, "parameter device='tpu' is not allowed; choose one of auto, cpu, cuda"),
    ({"data_dir": "/nonexistent/data"}, "parameter data_dir='/nonexistent/data' is not a folder"),
    ({"epsilon": 2.0}, "parameter epsilon=2.0 must be a number between 0 and 1"),
]


@pytest.mark.parametrize("bad,message", BAD, ids=[next(iter(b)) for b, _ in BAD])
def test_check_parameters_names_the_bad_value_and_the_allowed_ones(bad, message):
    arguments = {"preset": "quick", "dataset": "sst", "encoder": "lstm", "attention": "tanh", **bad}
    with pytest.raises(ConfigError) as error:
        check_parameters(arguments.pop("preset"), arguments.pop("dataset"), arguments.pop("encoder"),
                         arguments.pop("attention"), **arguments)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_good_parameters_pass():
    check_parameters("quick", "sst", "lstm", "tanh", seed=0, limit=0, device="auto", epsilon=0.01)
    check_parameters("default")


@pytest.mark.parametrize("chapter,parameter,value", [("correlation", "dataset", "nosuch"),
                                                     ("adversarial", "epsilon", "-0.5"),
                                                     ("guide", "preset", "fast")])
def test_a_chapter_with_a_bad_parameter_fails_at_once_and_trains_nothing(tmp_path, chapter, parameter, value):
    runs = tmp_path / "runs"
    started = time.perf_counter()
    command = [sys.executable, "-m", "papermill", str(ROOT / "book" / f"{chapter}.ipynb"), str(tmp_path / "out.ipynb"),
               "-p", parameter, value, "-p", "runs_dir", str(runs), "--cwd", str(ROOT / "book")]
    if parameter != "preset":
        command += ["-p", "preset", "quick"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    seconds = time.perf_counter() - started
    assert result.returncode != 0
    assert f"parameter {parameter}=" in result.stdout + result.stderr
    assert not runs.exists() or not any(runs.iterdir()), "a run was started before the parameters were checked"
    assert seconds < 120, f"the chapter took {seconds:.0f} s to reject its parameter"


def test_rerunning_one_chapter_trains_only_its_configuration(quick_setup, tmp_path):
    import nbformat

    data_dir, _ = quick_setup
    runs, out = tmp_path / "runs", tmp_path / "out.ipynb"
    command = [sys.executable, "-m", "papermill", str(ROOT / "book" / "correlation.ipynb"), str(out),
               "-p", "preset", "quick", "-p", "dataset", "sst", "-p", "encoder", "cnn", "-p", "attention", "dot",
               "-p", "data_dir", str(data_dir), "-p", "runs_dir", str(runs), "--cwd", str(ROOT / "book")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert [p.name.rsplit("-", 1)[0] for p in runs.iterdir()] == ["sst-cnn-dot-seed0"]
    page = "\n".join(str(output.get("data", {}).get("text/markdown", ""))
                     for cell in nbformat.read(out, as_version=4).cells for output in cell.get("outputs", []))
    n_quick = len(get_preset("quick").experiments())
    assert f"{n_quick} experiment(s) of the `quick` preset were not in the runs folder yet" in page
    assert "sst lstm+tanh" in page and "-p whole_preset True" in page
