"""bAbI tasks 1-3 (book/protocol.md §2.1-2.2; the authors' ``Babi.ipynb``).

Files: ``tasks_1-20_v1-2/en-10k/qa{1,2,3}_*_{train,test}.txt`` (plain or inside the official
``tasks_1-20_v1-2.tar.gz`` or a repacked archive). For each question the passage is every story
sentence before it (trailing ``.`` removed) joined with `` . ``; the question loses its trailing
``?``; tokens are split on spaces, case kept. Dev = 15 % of train (``random_state=16377``), train and
dev keeping the file order. The classes are the authors' entity list: every word of the train
passages and questions of tasks 1-3 together, sorted; every class is allowed (``candidates`` is
None). The paper trains bAbI models from random 50-d vectors.

When an ``en-10k`` train file is missing (task 3 in ``shared/data``), the 1k ``en/`` file is used and
``notes`` says so.
"""
from __future__ import annotations

from ..plumbing.errors import DataError
from .base import TextDataset
from .locate import DataDir, FileSpec
from .text import split_tokens
from .vocab import MIN_DF, pair_dataset

__all__ = ["TASKS", "files_for", "parse_babi", "build"]

#: Task number → file-name stem used by bAbI v1.2.
TASKS = {1: "qa1_single-supporting-fact", 2: "qa2_two-supporting-facts", 3: "qa3_three-supporting-facts"}
_PREFER = ("tasks_1-20*", "babi*")


def _train_spec(role: str, task: int, optional: bool) -> FileSpec:
    stem = TASKS[task]
    return FileSpec(role, (f"en-10k/{stem}_train.txt", f"en/{stem}_train.txt"), optional=optional, prefer=_PREFER)


def files_for(task: int) -> tuple[FileSpec, ...]:
    """The files task ``task`` needs: its train and test files, and the other tasks' train files.

    The other tasks' train files are optional; they only complete the shared class list.
    """
    if task not in TASKS:
        raise ValueError(f"bAbI task must be one of {sorted(TASKS)}; got {task}")
    stem = TASKS[task]
    specs = [
        _train_spec("train", task, optional=False),
        FileSpec("test", (f"en-10k/{stem}_test.txt", f"en/{stem}_test.txt"), prefer=_PREFER),
    ]
    specs += [_train_spec(f"train_qa{k}", k, optional=True) for k in TASKS if k != task]
    return tuple(specs)


def parse_babi(text: str, source: str = "bAbI file") -> list[tuple[str, str, str]]:
    """``(passage, question, answer)`` for every question of one bAbI file, as the authors parse it.

    Examples
    --------
    >>> parse_babi("1 Mary went to the kitchen.\\n2 John moved to the hall.\\n3 Where is Mary? \\tkitchen\\t1\\n")
    [('Mary went to the kitchen . John moved to the hall', 'Where is Mary', 'kitchen')]
    """
    data, story = [], []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        tid, _, body = line.partition(" ")
        if not tid.isdigit() or not body:
            raise DataError(f"{source} line {line_no} does not start with a sentence number; use the bAbI v1.2 files")
        if tid == "1":
            story = []
        if body.endswith("."):
            story.append(body[:-1])
        else:
            fields = [x.strip() for x in body.split("\t")]
            if len(fields) < 2:
                raise DataError(
                    f"{source} line {line_no} is neither a sentence ending in '.' nor 'question<TAB>answer<TAB>ids'; "
                    "use the bAbI v1.2 files"
                )
            query, answer = fields[0], fields[1]
            data.append((" . ".join(x for x in story if x), query[:-1], answer))
            story.append("")
    return data


def build(files: dict, data: DataDir, *, task: int, progress: bool = True) -> TextDataset:
    """Prepare bAbI task ``task`` (1, 2 or 3) from the located files (see :func:`files_for`)."""
    from sklearn.model_selection import train_test_split

    name = f"babi{task}"
    notes = []
    parsed = {}
    train_refs = {task: files["train"]}
    for k in TASKS:
        if k != task and files.get(f"train_qa{k}") is not None:
            train_refs[k] = files[f"train_qa{k}"]
    for k, ref in train_refs.items():
        parsed[k] = parse_babi(data.read_text(ref), data.describe(ref))
        if not ref.name.startswith("en-10k/") and "/en-10k/" not in ref.name:
            which = "this task's training data" if k == task else "the shared class list"
            notes.append(
                f"en-10k train file of task {k} is missing: its 1k file {ref.name.rsplit('/', 1)[-1]} "
                f"({len(parsed[k]):,} questions) is used for {which}."
            )
    missing = [k for k in TASKS if k not in train_refs]
    if missing:
        notes.append(f"Train files of task(s) {missing} are missing, so the class list covers only the other tasks.")
    test = parse_babi(data.read_text(files["test"]), data.describe(files["test"]))

    entities: set[str] = set()
    for rows in parsed.values():
        for p, q, _ in rows:
            entities.update(split_tokens(p))
            entities.update(split_tokens(q))
    classes = sorted(entities)
    index = {w: i for i, w in enumerate(classes)}

    rows = parsed[task]
    train_idx, dev_idx = train_test_split(list(range(len(rows))), test_size=0.15, random_state=16377)
    parts = {"train": [rows[i] for i in sorted(train_idx)], "dev": [rows[i] for i in sorted(dev_idx)], "test": test}
    passages, questions, labels = {}, {}, {}
    for split, rs in parts.items():
        bad = sorted({a for _, _, a in rs if a not in index})
        if bad:
            raise DataError(
                f"bAbI task {task} {split} answers {bad[:3]} are not words of the training stories; "
                "use the official bAbI v1.2 files"
            )
        passages[split] = [split_tokens(p) for p, _, _ in rs]
        questions[split] = [split_tokens(q) for _, q, _ in rs]
        labels[split] = [index[a] for _, _, a in rs]
    notes.append(
        f"{len(rows):,} train questions split 85/15 into train/dev (random_state 16377); "
        f"{len(classes)} classes = every word of the tasks 1-3 training stories and questions (the authors' entity list)."
    )
    return pair_dataset(
        name, passages, questions, labels, class_names=classes, min_df=MIN_DF[name], notes=notes,
        embedding="random",
    )
