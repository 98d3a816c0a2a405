"""Every dataset loader on small files written in the official formats, plain and archived."""
from __future__ import annotations

import gzip
import io
import json
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from attnlib.data import DATASET_NAMES, SPECIAL_TOKENS, load_dataset
from attnlib.plumbing.errors import DataError

pytestmark = pytest.mark.usefixtures("attnlib_env")

WORDS = "good bad film plot actor scene story music great awful dull fine".split()


def _sentence(i: int, n: int) -> list[str]:
    return [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(n)]


def tree(label: int, words: list[str]) -> str:
    """A flat PTB-style sentiment tree."""
    return f"({label} " + " ".join(f"(2 {w})" for w in words) + ")"


def sst_lines(split: str) -> str:
    rows = []
    for i in range(12):
        label = [0, 1, 2, 3, 4][i % 5]
        rows.append(tree(label, _sentence(i, 4 + i)))
    rows.append(tree(4, ["-LRB-", "great", "-RRB-", "film", "'s", "plot", "is", "fine", "."]))
    return "\n".join(rows) + "\n"


def write_sst(root: Path, folder: str = "sst") -> None:
    (root / folder).mkdir(parents=True, exist_ok=True)
    for split in ("train", "dev", "test"):
        (root / folder / f"{split}.txt").write_text(sst_lines(split))


def add_to_tar(tf: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tf.addfile(info, io.BytesIO(data))


# --------------------------------------------------------------------------- SST
def test_sst_plain_and_zip_give_the_same_dataset(tmp_path):
    plain, zipped = tmp_path / "plain", tmp_path / "zipped"
    write_sst(plain)
    zipped.mkdir()
    with zipfile.ZipFile(zipped / "trainDevTestTrees_PTB.zip", "w") as zf:
        for split in ("train", "dev", "test"):
            zf.writestr(f"trees/{split}.txt", sst_lines(split))
    a = load_dataset("sst", plain, progress=False)
    b = load_dataset("sst", zipped, progress=False)
    assert a.vocab.itos == b.vocab.itos
    for split in ("train", "dev", "test"):
        assert a.splits[split].sequences == b.splits[split].sequences
        assert a.splits[split].labels.tolist() == b.splits[split].labels.tolist()
    assert a.fingerprint != b.fingerprint  # different source files


def test_sst_labels_filter_and_tokens(tmp_path):
    write_sst(tmp_path)
    ds = load_dataset("sst", tmp_path, progress=False)
    assert ds.task == "classification" and ds.class_names == ["negative", "positive"]
    train = ds.splits["train"]
    lengths = train.lengths()
    # 13 trees, 2 of each 5 labels (+1), neutral dropped; then 5 < n < observed max
    assert lengths.min() > 5 and lengths.max() < max(4 + i for i in range(12))
    assert all(s[0] == 2 and s[-1] == 3 for s in train.sequences)
    assert "-lrb-" not in ds.vocab.stoi and "lrb" not in ds.vocab.stoi
    assert "great" in ds.vocab.stoi and "s" in ds.vocab.stoi  # "'s" → "s" after \W → space
    assert ds.vocab.itos[:4] == list(SPECIAL_TOKENS)
    assert ds.vocab.itos[4:] == sorted(ds.vocab.itos[4:])


def test_sst_malformed_tree_names_file_and_line(tmp_path):
    write_sst(tmp_path)
    (tmp_path / "sst" / "dev.txt").write_text("(3 (2 ok) (3 fine))\nnot a tree\n")
    with pytest.raises(DataError, match=r"sst/dev.txt line 2 is not a sentiment tree"):
        load_dataset("sst", tmp_path, progress=False)


# --------------------------------------------------------------------------- IMDB
def imdb_members() -> dict[str, bytes]:
    out = {}
    for half in ("train", "test"):
        for pol, rating in (("pos", 9), ("neg", 2)):
            for i in range(10):
                words = _sentence(i + (pol == "neg") * 3, 8 + i)
                text = " ".join(words).capitalize() + ".<br /><br />" + ("Fine! " * (i % 3))
                out[f"aclImdb/{half}/{pol}/{i}_{rating}.txt"] = text.encode()
    out["aclImdb/README"] = b"readme"
    return out


def test_imdb_folder_tar_gz_and_tar_xz_agree(tmp_path):
    members = imdb_members()
    plain = tmp_path / "plain"
    for name, data in members.items():
        (plain / "imdb" / name).parent.mkdir(parents=True, exist_ok=True)
        (plain / "imdb" / name).write_bytes(data)
    results = [load_dataset("imdb", plain, progress=False)]
    for mode, fname in (("w:gz", "aclImdb_v1.tar.gz"), ("w:xz", "aclImdb_v1_labeled.tar.xz")):
        root = tmp_path / fname.split(".")[0]
        root.mkdir()
        with tarfile.open(root / fname, mode) as tf:
            for name, data in members.items():
                add_to_tar(tf, name, data)
        results.append(load_dataset("imdb", root, progress=False))
    first = results[0]
    # 20 train reviews → 16/4 train/dev, 20 test → 4 sampled; then 6 < n < observed max drops the longest
    assert {k: len(v) for k, v in first.splits.items()} == {"train": 15, "dev": 3, "test": 3}
    for other in results[1:]:
        assert other.vocab.itos == first.vocab.itos
        for split in ("train", "dev", "test"):
            assert other.splits[split].sequences == first.splits[split].sequences
    assert any("imdb_full.pkl" in n for n in first.notes)


# --------------------------------------------------------------------------- 20News
def newsgroups_tar(path: Path, groups=("rec.sport.baseball", "rec.sport.hockey", "sci.space"), n=15) -> None:
    with tarfile.open(path, "w:gz") as tf:
        for half in ("train", "test"):
            for g in groups:
                for i in range(n if half == "train" else n // 3):
                    body = " ".join(_sentence(i, 10 + i % 5)) + f" {g.split('.')[-1]} 1993!"
                    quote = "> someone wrote this\n" if i % 2 else ""
                    sig = "\n\n--\nJohn Doe" if i % 3 == 0 else ""
                    post = f"From: x@y.com\nSubject: about {g}\n\n{quote}{body}{sig}\n"
                    if i == 0 and half == "train" and g.endswith("hockey"):
                        post = "From: x@y.com\nSubject: empty\n\n> only a quote\n"
                    add_to_tar(tf, f"20news-bydate-{half}/{g}/{1000 + i}", post.encode("latin-1"))


def test_20news_reads_stripped_posts_and_splits(tmp_path):
    newsgroups_tar(tmp_path / "20news-bydate.tar.gz")
    ds = load_dataset("20news", tmp_path, progress=False)
    assert ds.class_names == ["baseball", "hockey"]
    n = sum(len(s) for s in ds.splits.values())
    assert 0 < n <= 40 - 1  # 2 groups x (15 + 5), one post empty after stripping
    assert "x@y.com" not in ds.vocab.stoi and "subject" not in ds.vocab.stoi  # headers gone
    assert "wrote" not in ds.vocab.stoi  # quoted lines gone
    assert any("1 empty after cleaning" in note for note in ds.notes)
    assert any("Only 3 of the 20 newsgroups" in note for note in ds.notes)
    for split in ds.splits.values():
        assert set(split.labels.tolist()) <= {0, 1}


# --------------------------------------------------------------------------- AG News
def agnews_csv(n_per_class: int) -> str:
    rows = []
    for c in (1, 2, 3, 4):
        for i in range(n_per_class):
            desc = " ".join(_sentence(i + c, 5 + 2 * i + (c == 3))) + f" in {2000 + i}"  # distinct lengths
            rows.append(f'"{c}","Title {i}","{desc}"')
    return "\n".join(rows) + "\n"


def test_agnews_test_only_makes_its_own_split(tmp_path):
    (tmp_path / "ag_news").mkdir()
    (tmp_path / "ag_news" / "test.csv").write_text(agnews_csv(20))
    ds = load_dataset("agnews", tmp_path, progress=False)
    assert ds.class_names == ["world", "business"]
    assert any("train.csv is missing" in note for note in ds.notes)
    assert "qqq" in ds.vocab.stoi  # digits → qqq (the authors' cleaner)
    # classes 1 and 3 only: 40 rows → stratified 70/10/20, then Q6 drops each split's extremes
    assert any("(28/4/8)" in note for note in ds.notes)
    assert sum(len(s) for s in ds.splits.values()) == 40 - 3 * 2


def test_agnews_with_train_csv_uses_official_split(tmp_path):
    (tmp_path / "ag_news").mkdir()
    (tmp_path / "ag_news" / "test.csv").write_text(agnews_csv(8))
    (tmp_path / "ag_news" / "train.csv").write_text(agnews_csv(30))
    ds = load_dataset("agnews", tmp_path, progress=False)
    assert any("Official train/test" in note for note in ds.notes)
    assert len(ds.splits["test"]) == 16 - 2  # Q6 drops the shortest and longest


def test_agnews_bad_csv_is_a_data_error(tmp_path):
    (tmp_path / "ag_news").mkdir()
    (tmp_path / "ag_news" / "test.csv").write_text("just,two\n")
    with pytest.raises(DataError, match="class\\(1-4\\),title,description"):
        load_dataset("agnews", tmp_path, progress=False)


# --------------------------------------------------------------------------- SNLI
def snli_lines(n: int, with_dash: bool = True) -> str:
    labels = ["entailment", "neutral", "contradiction"] + (["-"] if with_dash else [])
    rows = []
    for i in range(n):
        rows.append(json.dumps({
            "gold_label": labels[i % len(labels)],
            "sentence1": "A man plays " + " ".join(_sentence(i, 3)) + ".",
            "sentence2": f"The man has {i} " + _sentence(i, 1)[0] + ".",
            "pairID": str(i),
        }))
    return "\n".join(rows) + "\n"


def test_snli_gz_files_and_zip_agree(tmp_path):
    gz = tmp_path / "gz" / "snli"
    gz.mkdir(parents=True)
    for name, n in (("snli_1.0_train_0.01.jsonl.gz", 40), ("snli_1.0_dev.jsonl.gz", 12), ("snli_1.0_test.jsonl.gz", 12)):
        (gz / name).write_bytes(gzip.compress(snli_lines(n).encode()))
    a = load_dataset("snli", gz.parent, progress=False)
    assert a.task == "pair" and a.class_names == ["contradiction", "entailment", "neutral"]
    assert {k: len(v) for k, v in a.splits.items()} == {"train": 30, "dev": 9, "test": 9}
    assert any("snli_1.0_train_0.01" in note for note in a.notes)
    split = a.splits["dev"]
    assert len(split.questions) == len(split.sequences) and split.candidates is None

    zipped = tmp_path / "zip"
    zipped.mkdir()
    with zipfile.ZipFile(zipped / "snli_1.0.zip", "w") as zf:
        for name, n in (("train", 40), ("dev", 12), ("test", 12)):
            zf.writestr(f"snli_1.0/snli_1.0_{name}.jsonl", snli_lines(n))
            zf.writestr(f"__MACOSX/snli_1.0/._snli_1.0_{name}.jsonl", b"junk")
    b = load_dataset("snli", zipped, progress=False)
    assert b.vocab.itos == a.vocab.itos
    assert b.splits["test"].sequences == a.splits["test"].sequences
    assert not any("snli_1.0_train_0.01" in note for note in b.notes)


# --------------------------------------------------------------------------- bAbI
def babi_story(task: int, n_questions: int) -> str:
    people, places = ["Mary", "John", "Sandra"], ["kitchen", "garden", "hallway", "office"]
    lines = []
    for q in range(n_questions):
        n = 1
        for s in range(task + 1):
            p, l = people[(q + s) % 3], places[(q * 2 + s) % 4]
            lines.append(f"{n} {p} went to the {l}.")
            n += 1
        lines.append(f"{n} Where is {people[(q + task) % 3]}? \t{places[(q * 2 + task) % 4]}\t1")
    return "\n".join(lines) + "\n"


def write_babi(root: Path) -> None:
    base = root / "tasks_1-20_v1-2"
    for folder, task, split, n in (
        ("en-10k", 1, "train", 40), ("en-10k", 1, "test", 10), ("en-10k", 2, "train", 40),
        ("en-10k", 2, "test", 10), ("en", 3, "train", 20), ("en-10k", 3, "test", 10),
    ):
        from attnlib.data.babi import TASKS

        (base / folder).mkdir(parents=True, exist_ok=True)
        text = babi_story(task, n).replace("went to the hallway", "went to the hallway" if task != 2 else "moved to the hallway")
        (base / folder / f"{TASKS[task]}_{split}.txt").write_text(text)


def test_babi_tasks_and_qa3_fallback(tmp_path):
    write_babi(tmp_path)
    ds1 = load_dataset("babi1", tmp_path, progress=False)
    ds3 = load_dataset("babi3", tmp_path, progress=False)
    assert ds1.embedding == "random" and ds1.task == "pair"
    assert {k: len(v) for k, v in ds1.splits.items()} == {"train": 34, "dev": 6, "test": 10}
    assert ds1.class_names == ds3.class_names == sorted(ds1.class_names)
    assert "moved" in ds1.class_names  # class list spans the three tasks' words
    assert "Mary" in ds1.vocab.stoi and "mary" not in ds1.vocab.stoi  # no lowercasing
    assert any("en-10k train file of task 3 is missing" in n and "this task's" in n for n in ds3.notes)
    answers = [ds1.class_names[i] for i in ds1.splits["test"].labels]
    assert set(answers) <= {"kitchen", "garden", "hallway", "office"}
    q = ds1.vocab.decode(ds1.splits["train"].questions[0])
    assert q[1:-1] == ["Where", "is", q[3]] and "?" not in q[-2]


# --------------------------------------------------------------------------- CNN
def cnn_blocks(n: int) -> str:
    blocks = []
    for i in range(n):
        a, b = f"@entity{i % 4}", f"@entity{(i + 1) % 4}"
        passage = f"{a} met {b} in the city . {b} said the city is nice . the talks were long"
        blocks.append(f"@placeholder met {b} in the city\n{a}\n{passage}")
    return "\n\n".join(blocks) + "\n"


def test_cnn_candidates_and_entities(tmp_path):
    (tmp_path / "cnn").mkdir()
    for split, n in (("train", 20), ("dev", 5), ("test", 5)):
        (tmp_path / "cnn" / f"{split}.txt").write_text(cnn_blocks(n))
    ds = load_dataset("cnn", tmp_path, progress=False)
    assert ds.class_names == [f"@entity{i}" for i in range(4)]
    test = ds.splits["test"]
    assert test.candidates.shape == (5, 4) and test.candidates.dtype == bool
    assert all(test.candidates[i, test.labels[i]] for i in range(5))
    assert test.candidates.sum(axis=1).tolist() == [2] * 5
    assert all(e in ds.vocab.stoi for e in ds.class_names)  # entities added to the vocabulary
    assert "@placeholder" in ds.vocab.stoi


# --------------------------------------------------------------------------- ADR / MIMIC
def split_csv(n: int, splits=("train", "test"), header="text,label,exp_split") -> str:
    rows = [header]
    for i in range(n):
        text = " ".join(_sentence(i, 6 + i % 7))
        cols = {"text": text, "label": str(i % 2), "exp_split": splits[i % len(splits)]}
        rows.append(",".join(cols[c] for c in header.split(",")))
    return "\n".join(rows) + "\n"


def test_adr_makes_dev_from_train(tmp_path):
    (tmp_path / "adr_dataset.csv").write_text(split_csv(60))
    ds = load_dataset("adr", tmp_path, progress=False)
    assert any("dev = 15 % of train" in n for n in ds.notes)
    assert all(len(s) > 0 for s in ds.splits.values())


def test_mimic_csvs(tmp_path):
    (tmp_path / "diab_dataset.csv").write_text(split_csv(60, ("train", "dev", "test")))
    (tmp_path / "anemia_dataset.csv").write_text(split_csv(60, header="text,label"))
    diab = load_dataset("diabetes", tmp_path, progress=False)
    anemia = load_dataset("anemia", tmp_path, progress=False)
    assert all(len(s) > 0 for s in diab.splits.values())
    assert any("authors' split was made" in n for n in anemia.notes)
    assert anemia.class_names == ["chronic (285.2)", "acute (285.1)"]


def test_csv_without_needed_column_is_one_line_error(tmp_path):
    (tmp_path / "adr_dataset.csv").write_text("text,label\na b c d e f g,1\n")
    with pytest.raises(DataError) as err:
        load_dataset("adr", tmp_path, progress=False)
    assert "exp_split" in str(err.value) and "\n" not in str(err.value)


# --------------------------------------------------------------------------- every dataset
@pytest.mark.parametrize("name", DATASET_NAMES)
def test_missing_files_are_one_line_errors(name, data_dir):
    with pytest.raises(DataError) as err:
        load_dataset(name, data_dir, progress=False)
    msg = str(err.value)
    assert "\n" not in msg and str(data_dir) in msg and name in msg
    assert ("http" in msg) or ("not public" in msg) or ("PhysioNet" in msg)


def test_datasets_have_consistent_splits(tmp_path):
    write_sst(tmp_path)
    ds = load_dataset("sst", tmp_path, progress=False)
    for split in ds.splits.values():
        assert split.labels.dtype == np.int64 and len(split.labels) == len(split.sequences)
        assert max(max(s) for s in split.sequences) < len(ds.vocab)


def test_unknown_dataset_is_one_line_config_error(data_dir):
    from attnlib.plumbing.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        load_dataset("imbd", data_dir)
    msg = str(err.value)
    assert "'imbd'" in msg and all(n in msg for n in DATASET_NAMES) and "\n" not in msg


def test_dataset_status_reports_files_and_sizes(tmp_path):
    from attnlib.data import dataset_status

    write_sst(tmp_path)
    status = dataset_status("sst", tmp_path)
    assert status["available"] and not status["missing"] and status["sizes"] is None and not status["cached"]
    assert status["found"]["train"] == "sst/train.txt"
    loaded = dataset_status("sst", tmp_path, load=True)
    assert loaded["cached"] is False and loaded["sizes"]["train"] > 0 and loaded["vocab_size"] > 4
    assert dataset_status("sst", tmp_path)["cached"] is True
    missing = dataset_status("snli", tmp_path)
    assert not missing["available"] and "snli_1.0_dev.jsonl" in missing["missing"]
    assert missing["error"] and "\n" not in missing["error"]
    nowhere = dataset_status("sst", tmp_path / "nope")
    assert not nowhere["available"] and "does not exist" in nowhere["error"]
