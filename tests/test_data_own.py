"""A user's own labelled file (``file:PATH``) and the planted-token tasks: what they load, and one line per bad file."""
from __future__ import annotations

import json

import numpy as np
import pytest

from attnlib.data import (PLANTED_NAMES, dataset_slug, dataset_status, is_classification, known_dataset,
                          load_dataset)
from attnlib.data.planted import PLANTED_TASKS, SIZES
from attnlib.plumbing.errors import ConfigError, DataError
from attnlib.results.runs import RunConfig, paper_settings, run_directory


def _write_csv(path, rows, header=("text", "label"), delimiter=","):
    import csv

    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _balanced(n=20):
    return [(f"a fine and lovely film number {i}", "pos") if i % 2 else (f"a dull and awful film number {i}", "neg")
            for i in range(n)]


def test_csv_without_split_column_gets_a_seeded_80_10_10_split(tmp_path, attnlib_env):
    path = _write_csv(tmp_path / "reviews.csv", _balanced(50))
    ds = load_dataset(f"file:{path}")
    assert {s: len(ds.splits[s]) for s in ds.splits} == {"train": 40, "dev": 5, "test": 5}
    assert ds.class_names == ["neg", "pos"] and ds.task == "classification"
    assert ds.splits["train"].rationales is None
    again = load_dataset(f"file:{path}", use_cache=False)
    assert ds.splits["test"].sequences == again.splits["test"].sequences
    train_texts = {" ".join(ds.vocab.decode(s)[1:-1]) for s in ds.splits["train"].sequences}
    assert len(train_texts) == 40  # every train row once (dev and test numbers are unknown words)


def test_split_column_and_rationales_map_words_onto_tokens(tmp_path, attnlib_env):
    rows = [("Great, truly GREAT film!", "pos", "train", "0 2"), ("awful plot", "neg", "train", "[1]"),
            ("fine film", "pos", "dev", ""), ("dull film", "neg", "test", "0,1")]
    path = _write_csv(tmp_path / "r.tsv", rows, header=("text", "label", "split", "rationale"), delimiter="\t")
    ds = load_dataset(f"file:{path}")
    train = ds.splits["train"]
    assert ds.vocab.decode(train.sequences[0]) == ["<SOS>", "great", "truly", "great", "film", "<EOS>"]
    assert train.rationales == [[1, 3], [2]]
    assert ds.splits["dev"].rationales == [[]] and ds.splits["test"].rationales == [[1, 2]]
    assert train.subset([1]).rationales == [[2]]


def test_jsonl_with_numeric_labels_and_list_rationales(tmp_path, attnlib_env):
    path = tmp_path / "r.jsonl"
    records = [{"text": f"word{i} good" if i % 2 else f"word{i} bad", "label": i % 2, "rationale": [1]}
               for i in range(30)]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    ds = load_dataset(f"file:{path}")
    assert ds.class_names == ["0", "1"]
    assert all(r == [2] for r in ds.splits["train"].rationales)
    labels = {ds.vocab.decode(s)[2]: y for s, y in zip(ds.splits["train"].sequences, ds.splits["train"].labels)}
    assert labels.get("good", 1) == 1 and labels.get("bad", 0) == 0


def test_a_changed_file_is_a_new_dataset_and_a_new_run(tmp_path, attnlib_env):
    path = _write_csv(tmp_path / "r.csv", _balanced(20))
    first = load_dataset(f"file:{path}")
    _write_csv(path, _balanced(30))
    second = load_dataset(f"file:{path}")
    assert first.fingerprint != second.fingerprint and len(second.splits["train"]) == 24
    config = RunConfig(dataset=f"file:{path}", encoder="average", attention="tanh")
    directory, _ = run_directory(config, second, tmp_path / "runs")
    assert directory.name.startswith(f"{dataset_slug(config.dataset)}-average-tanh-seed0-")
    assert "/" not in directory.name and ":" not in directory.name
    assert directory != run_directory(config, first, tmp_path / "runs")[0]


@pytest.mark.parametrize("name, content, expected", [
    ("r.csv", "text,label\n", "has no rows"),
    ("r.csv", "words,label\nhello,pos\n", "no 'text' column"),
    ("r.csv", "text,label,split\na b,pos,train\nc d,neg,validation\n", "split 'validation' is not one of"),
    ("r.csv", "text,label,rationale\na b,pos,5\nc d,neg,0\n", "rationale position 5 is outside the text's 2 words"),
    ("r.csv", "text,label,rationale\na b,pos,x\nc d,neg,0\n", "rationale 'x' is not a word position"),
    ("r.csv", "text,label\n,pos\nc d,neg\n", "line 2: the text is empty"),
    ("r.csv", "text,label,split\na b,pos,train\nc d,neg,train\ne f,pos,test\n", "the dev split is empty"),
    ("r.csv", "text,label,split\na b,pos,train\nc d,neg,train\ne f,neu,train\ng h,pos,dev\ni j,neg,test\n",
     "has 3 classes"),
    ("r.csv", "text,label,split\na b,pos,train\nc d,pos,train\ng h,pos,dev\ni j,pos,test\n", "has 1 class"),
    ("r.csv", "text,label,split\na b,pos,train\nc d,neg,train\ng h,neu,dev\ni j,pos,test\n", "label 'neu' is not in"),
    ("r.jsonl", '{"text": "a b", "label": 1}\nnot json\n', "line 2 is not JSON"),
    ("r.txt", "text,label\n", "must end in .csv, .tsv, .jsonl"),
])
def test_a_bad_file_stops_with_one_line_that_says_what_to_fix(tmp_path, attnlib_env, name, content, expected):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(DataError, match=expected) as info:
        load_dataset(f"file:{path}")
    assert "\n" not in str(info.value)
    assert not (attnlib_env / "datasets").exists() or not any((attnlib_env / "datasets").iterdir())


def test_a_missing_file_and_an_unknown_name(tmp_path, attnlib_env):
    with pytest.raises(DataError, match="is not a file"):
        load_dataset(f"file:{tmp_path / 'absent.csv'}")
    assert dataset_status(f"file:{tmp_path / 'absent.csv'}")["available"] is False
    with pytest.raises(ConfigError, match="file:PATH"):
        load_dataset("no-such-dataset")
    assert not known_dataset("no-such-dataset") and known_dataset("file:x.csv") and known_dataset("planted")


@pytest.mark.parametrize("name", PLANTED_NAMES)
def test_planted_tasks_plant_the_words_that_decide_the_label(name, attnlib_env):
    ds = load_dataset(name)
    task = PLANTED_TASKS[name]
    assert is_classification(name) and paper_settings(name)["epochs"] == 8
    assert {s: len(ds.splits[s]) for s in ds.splits} == SIZES
    for split in ds.splits.values():
        assert 0.4 < split.labels.mean() < 0.6
        for sequence, label, rationale in zip(split.sequences[:300], split.labels, split.rationales):
            words = ds.vocab.decode(sequence)
            assert len(rationale) == len(task.slots) and all(1 <= p <= len(sequence) - 2 for p in rationale)
            values = [next(v for v, group in enumerate(slot) if words[p] in group)
                      for slot, p in zip(task.slots, sorted(rationale, key=lambda p: _slot_of(task, words[p])))]
            assert int(np.bitwise_xor.reduce(values)) == label
            planted_words = {w for slot in task.slots for group in slot for w in group}
            outside = [w for i, w in enumerate(words) if i not in rationale and w in planted_words]
            assert not outside
            assert task.lengths[0] <= len(sequence) - 2 - len(rationale) - _distractors(task, words) <= task.lengths[1]
    assert load_dataset(name, use_cache=False).splits["test"].sequences == ds.splits["test"].sequences
    assert dataset_status(name)["available"]


def _slot_of(task, word):
    return next(i for i, slot in enumerate(task.slots) if any(word in group for group in slot))


def _distractors(task, words):
    return sum(w in task.distractors for w in words)
