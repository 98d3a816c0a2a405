"""The instance explorer: colour levels, the choice of instances, the record format and the live widgets."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from attnlib.teach import explorer
from attnlib.explain import outputs_with_attention


def test_levels_scale_each_row_on_its_own():
    assert explorer.levels([0.0, 0.5, 1.0]) == "059"
    assert explorer.levels([0.0, 5.0, 10.0]) == "059"  # the same ratios give the same colours
    assert explorer.levels([-1.0, 0.0, 1.0]) == "059"  # negative values: min–max
    assert explorer.levels([0.2, np.nan]) == "9-"
    assert explorer.levels([0.0, 0.0]) == "00"


def _instances(n=60, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"index": np.arange(n), "length": rng.integers(1, 200, n),
                         "tau_attention_gradient": rng.uniform(-1, 1, n), "adv_max_jsd@0.01": rng.uniform(0, 0.69, n)})


def test_pick_rows_takes_both_ends_of_tau_and_jsd_without_repeats():
    frame = _instances()
    picks = explorer.pick_rows(frame, n=12, max_length=120)
    rows = [row for row, _ in picks]
    assert len(rows) == 12 == len(set(rows))
    pool = frame[(frame.length >= 5) & (frame.length <= 120)]
    assert pool["tau_attention_gradient"].idxmax() in rows and pool["tau_attention_gradient"].idxmin() in rows
    assert pool["adv_max_jsd@0.01"].idxmax() in rows and pool["adv_max_jsd@0.01"].idxmin() in rows
    assert {reason.split()[0] for _, reason in picks} == {"high", "low", "large", "small"}
    assert len(explorer.pick_rows(frame.head(7), n=24)) == 7  # fewer analysed than asked for


def test_instance_html_escapes_tokens():
    record = {"experiment": "x", "index": 3, "why": "", "tokens": ["<b>", "ok"], "question": None, "gold": "a",
              "prediction": "a", "output": "a 0.9", "tau": {"gradient": 0.1, "loo": 0.2},
              "rows": {"attention": "90", "gradient": "09", "loo": "55"},
              "adversaries": {"0.01": {"levels": "09", "jsd": 0.3, "tvd": 0.004, "output": "a 0.89"}}}
    html = explorer.instance_html(record, "0.01")
    assert "<b>" not in html and '<span class="l9">&lt;b&gt;</span>' in html
    assert "ε = 0.01" in html and "JSD 0.300" in html


def test_records_hold_the_adversary_and_its_real_output(quick_results):
    result = quick_results[0]
    row, why = explorer.pick_rows(result.analysis.instances, n=4)[2]
    record = explorer.instance_record(result, row, (0.01, 0.05), why)
    json.dumps(record)  # JSON-ready
    tokens = result.analysis.tokens[row]
    assert record["tokens"] == tokens and all(len(levels) == len(tokens) for levels in record["rows"].values())
    adversary, distance, change = result.analysis.adversary(row, 0.05)
    assert record["adversaries"]["0.05"]["jsd"] == pytest.approx(distance, abs=1e-4)
    # decoding the stored adversary reproduces the output change the search recorded
    test = result.run.dataset.split("test").subset(result.analysis.indices[[row]])
    weights = np.zeros((1, result.analysis.results["attention"].shape[1]))
    weights[0, 1:1 + len(adversary)] = adversary
    decoded = outputs_with_attention(result.run.model, test, weights)[0]
    assert 0.5 * np.abs(decoded - result.analysis.results["probs"][row]).sum() == pytest.approx(change, abs=1e-4)


def test_static_records_give_every_experiment_its_instances(quick_results):
    records = explorer.static_records(quick_results, n=20)
    assert set(records) == {r.label for r in quick_results}
    assert all(len(chosen) == 20 for chosen in records.values())
    html = explorer.static_explorer_html(records)
    assert html.count("<script") == 2 and "attnlibExplorer(document.getElementById(" in html
    assert "</script" not in html.split('class="attnlib-x-data">', 1)[1].split("</script>", 1)[0]


def test_live_explorer_updates_when_its_controls_change(quick_results):
    live = explorer.Explorer(quick_results)
    c, first = live.controls, live.view.value
    assert "attention" in first and len(c["instance"].options) == len(quick_results[0].analysis.instances)
    c["instance"].value = c["instance"].options[3][1]
    assert live.view.value != first
    c["order"].value = "adversarial JSD, largest first"
    jsd = [live.result.analysis.adversary(row, c["epsilon"].value)[1] for _, row in c["instance"].options]
    assert jsd == sorted(jsd, reverse=True)
    before = live.view.value
    c["epsilon"].value = 0.05
    assert "ε = 0.05" in live.view.value and live.view.value != before
    word = live.result.analysis.tokens[0][0].lower()
    c["search"].value = word
    containing = sum(word in (t.lower() for t in tokens) for tokens in live.result.analysis.tokens)
    assert len(c["instance"].options) == containing and live.status.value.startswith(f"{containing} of")
    c["search"].value = "zzzz-not-a-word"
    assert c["instance"].options == () and "No analysed instance" in live.view.value
    c["search"].value = ""
    c["experiment"].value = quick_results[-1].label
    assert quick_results[-1].label in live.view.value


def test_live_explorer_in_a_kernel(quick_setup, tmp_path):
    """Drive the widgets inside a Jupyter kernel (papermill), as a reader of the notebook would."""
    import nbformat

    data_dir, runs = quick_setup
    source = f'''
from attnlib.book import experiments
from attnlib.teach import explorer
results = experiments.train_and_analyse("quick", data_dir={str(data_dir)!r}, runs_dir={str(runs)!r}, progress=False)
live = explorer.Explorer(results)
display(live)
before = live.view.value
live.controls["epsilon"].value = 0.05
live.controls["instance"].value = live.controls["instance"].options[1][1]
assert live.view.value != before and "ε = 0.05" in live.view.value
print("updated")
'''
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    path = tmp_path / "drive.ipynb"
    nbformat.write(notebook, path)
    result = subprocess.run([sys.executable, "-m", "papermill", str(path), str(tmp_path / "out.ipynb"), "-k", "python3"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    outputs = out.cells[0].outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    assert any(o.get("text", "").strip() == "updated" for o in outputs)
