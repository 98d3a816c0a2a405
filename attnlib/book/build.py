"""The book build: the preset's experiments, chapter execution with papermill, and the Jupyter Book build.

``attnlib book --preset NAME`` (i) with ``--download`` (or ``ATTNLIB_DOWNLOAD=1``) downloads the preset's missing
dataset files, checks its prerequisites and fetches the offline JavaScript assets (npm, cached), (ii) runs the
build's tasks (:mod:`attnlib.book.tasks`): trains and analyses every experiment of the preset and the ablations'
experiments the scorecard shows, sweeps the adversary's strength, trains the critique's runs and measures the
faithfulness lab's explainers (re-using finished runs and analyses), here or on a Dask cluster, (iii) executes every chapter in ``book/`` with papermill into ``book/executed/`` (which the table of contents
points to; a chapter is executed again only when its source, its parameters, the library's code or the runs it
reads changed) and (iv) builds the HTML book with execution off, in strict mode, writing the build's timeline
to ``_build/timeline.csv``. Interrupted, it resumes where it stopped.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tqdm.auto import tqdm

from ..plumbing import paths
from ..plumbing.errors import AttnlibError
from .presets import available_datasets, get_preset
from .timeline import Timeline, timeline_path

#: Chapters in reading order (``book/<name>.ipynb``).
CHAPTERS = ("intro", "data_models", "correlation", "permutation", "adversarial", "scorecard", "explorer", "critique",
            "faithfulness", "discussion", "guide", "reproducibility")


def _source_hash(path: Path, parameters: dict, inputs: str = "") -> str:
    """Key of one chapter execution: its source, its parameters and ``inputs`` (what it reads, see
    :func:`_inputs_key`)."""
    digest = hashlib.sha256(path.read_bytes())
    digest.update(json.dumps(parameters, sort_keys=True).encode())
    digest.update(inputs.encode())
    return digest.hexdigest()


def _inputs_key(finished: list, critique_runs: list = ()) -> str:
    """What the chapters read besides their source: the library's code (every module, docstrings left out), the
    run and analysis directories of the preset's experiments (``finished``: pairs of paths) and the critique's and
    the faithfulness lab's directories (whose names carry their own keys)."""
    from ..results.fingerprint import LIBRARY_CODE, code_fingerprint

    digest = hashlib.sha256(code_fingerprint(LIBRARY_CODE).encode())
    for run, analysis in finished:
        digest.update(f"{Path(run).name}/{Path(analysis).name}".encode())
    for directory in critique_runs:
        digest.update(directory.name.encode())
    return digest.hexdigest()


def run_critique_stage(preset: str, timeline: Timeline, known: set, *, data_dir, runs_dir, device, progress,
                       datasets=None) -> list:
    """Train (or load) the critique's runs of ``preset`` (:func:`attnlib.book.critique.run_critique`; ``datasets``:
    only those); one timeline row per dataset with the training seconds of its runs that are not experiments of the
    preset (``known``: their directories). Returns the critique's run directories ([] when the preset has no
    critique settings)."""
    from .critique import run_critique

    if get_preset(preset).critique is None:
        return []
    per_dataset: dict[str, dict] = {}

    def record(planned, run, seconds, reused):
        if run.directory in known:
            return
        row = per_dataset.setdefault(planned.dataset, {"seconds": 0.0, "train": 0.0, "runs": 0, "reused": True})
        row["seconds"] += seconds
        row["train"] += run.metrics.get("train_seconds") or 0.0
        row["runs"] += 1
        row["reused"] &= reused

    results = run_critique(preset, datasets=datasets, data_dir=data_dir, runs_dir=runs_dir, device=device,
                           progress=progress, on_run=record)
    for dataset, row in per_dataset.items():
        timeline.add("experiment", f"critique: {dataset} ({row['runs']} runs)", row["seconds"], reused=row["reused"],
                     train_seconds=row["train"])
    return [run.directory for run in results.runs]


def run_faithfulness_stage(preset: str, timeline: Timeline, *, data_dir, runs_dir, device, progress,
                           datasets=None) -> list:
    """Train what the faithfulness chapter of ``preset`` lacks and measure every explainer
    (:func:`attnlib.book.faithfulness.run_faithfulness`; ``datasets``: only those); one timeline row per dataset.
    Returns the directories holding the measures ([] when the preset has no faithfulness settings)."""
    from .faithfulness import run_faithfulness

    if get_preset(preset).faithfulness is None:
        return []
    per_dataset: dict[str, dict] = {}

    def record(planned, seconds, reused):
        row = per_dataset.setdefault(planned.run.dataset, {"seconds": 0.0, "models": 0, "reused": True})
        row["seconds"] += seconds
        row["models"] += 1
        row["reused"] &= reused

    results = run_faithfulness(preset, datasets=datasets, data_dir=data_dir, runs_dir=runs_dir, device=device,
                               progress=progress, on_model=record)
    for dataset, row in per_dataset.items():
        timeline.add("experiment", f"faithfulness: {dataset} ({row['models']} models)", row["seconds"],
                     reused=row["reused"])
    return [Path(run.directory) / measured.directory.name for run, measured in zip(results.runs, results.measured)]


def _is_current(executed: Path, key: str) -> bool:
    if not executed.exists():
        return False
    try:
        return json.loads(executed.read_text())["metadata"].get("attnlib", {}).get("key") == key
    except (ValueError, KeyError):
        return False


def _tag_cells(notebook_path: Path, key: str) -> None:
    """Leave the parameters plumbing out of the rendered page (the injected cell holds the building machine's
    folders; the executed notebook keeps it) and record what was executed."""
    import nbformat

    notebook = nbformat.read(notebook_path, as_version=4)
    for cell in notebook.cells:
        tags = cell.metadata.setdefault("tags", [])
        if {"parameters", "injected-parameters"} & set(tags) and "remove-cell" not in tags:
            tags.append("remove-cell")
    notebook.metadata["attnlib"] = {"key": key}
    tmp = notebook_path.with_suffix(".tmp.ipynb")
    nbformat.write(notebook, tmp)
    os.replace(tmp, notebook_path)


def execute_chapter(source: Path, executed: Path, parameters: dict, *, cwd: Path, inputs: str = "") -> float:
    """Execute ``source`` with papermill into ``executed`` (written only if it succeeds); returns seconds.

    Nothing is executed (0.0 is returned) when ``executed`` was made from the same source, ``parameters`` and
    ``inputs`` (a key of what the chapter reads: the library's code and the runs, :func:`_inputs_key`).
    """
    import papermill

    key = _source_hash(source, parameters, inputs)
    if _is_current(executed, key):
        return 0.0
    executed.parent.mkdir(parents=True, exist_ok=True)
    partial = executed.with_suffix(".partial.ipynb")
    started = time.perf_counter()
    try:
        papermill.execute_notebook(str(source), str(partial), parameters=parameters, cwd=str(cwd),
                                   kernel_name="python3", progress_bar=False)
    except papermill.PapermillExecutionError as error:
        raise AttnlibError(f"chapter {source.name} failed in cell {error.exec_count}: {error.ename}: "
                           f"{error.evalue}; the partial notebook is {partial}") from None
    _tag_cells(partial, key)
    os.replace(partial, executed)
    return time.perf_counter() - started


MAX_CHAPTERS_AT_ONCE = 4
"""The most chapters a build executes at the same time (:func:`chapters_at_once`)."""


def chapters_at_once() -> int:
    """How many chapters a build executes at the same time: one per core this process may use, at most
    :data:`MAX_CHAPTERS_AT_ONCE`. A chapter mostly loads finished runs and draws (one core each), and whatever torch
    computes there keeps the chapter's thread count, so its numbers do not depend on what runs beside it; on the
    2-core machine the quick book's chapters took 60 % of their serial wall time two at a time."""
    from ..plumbing.device import available_cores

    return max(1, min(available_cores(), MAX_CHAPTERS_AT_ONCE))


def execute_chapters(root: Path, parameters: dict, inputs: str, timeline: Timeline, steps, preset: str, *,
                     at_once: int = 1) -> dict[str, float]:
    """Execute every chapter (:func:`execute_chapter`), ``at_once`` of them at a time (each in its own kernel), the
    reproducibility chapter, which shows the timeline of the others, last. Adds a timeline row per chapter as it ends
    and advances ``steps``; returns each chapter's seconds."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    def execute(chapter):
        started = time.perf_counter()
        seconds = execute_chapter(root / "book" / f"{chapter}.ipynb", root / "book" / "executed" / f"{chapter}.ipynb",
                                  parameters, cwd=root / "book", inputs=inputs)
        return chapter, seconds, time.perf_counter() - started

    timings = {}
    *others, last = CHAPTERS
    with ThreadPoolExecutor(max_workers=max(1, at_once)) as pool:
        steps.set_description(f"book ({preset}): {len(others)} chapters, {max(1, at_once)} at a time")
        for done in as_completed([pool.submit(execute, chapter) for chapter in others]):
            chapter, timings[chapter], wall = done.result()
            timeline.add("chapter", chapter, wall, reused=timings[chapter] == 0.0)
            steps.update()
    steps.set_description(f"book ({preset}): chapter {last}")
    _, timings[last], wall = execute(last)
    timeline.add("chapter", last, wall, reused=timings[last] == 0.0)
    steps.update()
    return timings


def _jupyter_book() -> str | None:
    """The ``jupyter-book`` executable of this environment (or on the PATH), else None."""
    beside = Path(sys.executable).parent / "jupyter-book"
    return str(beside) if beside.exists() else shutil.which("jupyter-book")


def fetch_preset_data(preset: str, data_dir=None, *, download: bool | None = None, progress: bool = True) -> list:
    """When downloading is on (``download``, else ``$ATTNLIB_DOWNLOAD``), download every official dataset file that
    the datasets of ``preset`` lack in ``data_dir`` (:func:`~attnlib.data.fetch_missing`); returns the files fetched.

    Raises :class:`~attnlib.plumbing.errors.DataError` (one line) when a dataset that lacks required files cannot be
    downloaded; a dataset already usable in a reduced form only warns.
    """
    if not paths.download_enabled(download):
        return []
    from ..data import fetch_missing

    return fetch_missing(get_preset(preset).datasets, data_dir, progress=progress)


def check_prerequisites() -> None:
    """Fetch or check, before the first experiment, everything the build needs besides Python.

    The offline JavaScript of the pages (MathJax, the widget manager, RequireJS) comes from the npm registry
    once and is then cached, verified by its pinned hash; without npm and without the cache the build would
    otherwise fail only after the experiments. Raises :class:`AttnlibError` with one line per missing thing.
    """
    from .assets import BOOK_ASSETS, fetch_tarball

    if _jupyter_book() is None:
        raise AttnlibError("jupyter-book is not installed in this environment; install the book extra: "
                           "pip install -e '.[book]' (make book does this)")
    for asset in BOOK_ASSETS:
        fetch_tarball(asset)


def build_html(root: Path) -> Path:
    """Build the book in strict mode (warnings are errors); returns ``_build/html``.

    Every page is rewritten (``--all``): an incremental Sphinx build keeps the old navigation and static files
    on pages whose source did not change, e.g. after a chapter is added.
    """
    from .assets import BOOK_ASSETS, install_assets

    install_assets(BOOK_ASSETS, root / "book" / "_static" / "vendor")
    command = [_jupyter_book() or "jupyter-book", "build", str(root), "--all", "-W", "-n", "--keep-going", "-q"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=root)
    if result.returncode != 0:
        output = (result.stderr + result.stdout).splitlines()
        problems = [line.strip() for line in output if any(w in line for w in ("WARNING", "ERROR", "Error"))]
        detail = " | ".join(problems[:3] or [line for line in output if line.strip()][-3:] or ["no output"])
        raise AttnlibError(f"jupyter-book build failed: {detail}")
    return root / "_build" / "html"


def no_data_message(preset: str, data_dir) -> str:
    """What to do when no dataset of ``preset`` is in ``data_dir``: list them, or download them, and from where."""
    from urllib.parse import urlparse

    from ..data import dataset_family, sources

    hosts = sorted({urlparse(r.url).netloc for d in get_preset(preset).datasets for r in sources(dataset_family(d))})
    where = f" ({', '.join(hosts)})" if hosts else ""
    return (f"no dataset of the {preset!r} preset is available in {data_dir}; run `attnlib datasets` to see what is "
            f"missing, or `attnlib book --preset {preset} --download` (what `make book` runs) to fetch them from their "
            f"official sources{where}")


def run_experiments_here(experiments: list, *, data_dir: str, runs_dir: str, device: str = "auto",
                         progress: bool = True) -> list[dict]:
    """Every experiment trained (or loaded) and analysed (or loaded) in this process, one after the other
    (:func:`~attnlib.book.tasks.experiment_task`). Returns their results in order."""
    from .tasks import experiment_task

    return [experiment_task(experiment, data_dir, runs_dir, device, progress=progress) for experiment in experiments]


def build_book(preset: str = "default", *, root: str | Path = ".", data_dir=None, runs_dir=None,
               device: str = "auto", progress: bool = True, download: bool | None = None,
               workers: int | None = None, scheduler: str | None = None) -> dict:
    """Run the preset's experiments, execute every chapter and build the HTML book.

    With ``download`` (default: ``$ATTNLIB_DOWNLOAD``), the preset's missing dataset files are downloaded first
    (:func:`fetch_preset_data`), before anything is trained. With ``workers`` (a local Dask cluster of that many
    processes) or ``scheduler`` (the address of a running one), the tasks run on the cluster, the longest first
    (:mod:`attnlib.book.cluster`), and this process and the chapters use the cluster's thread count (left set
    afterwards: :func:`~attnlib.book.cluster.use_cluster_threads`).

    Returns
    -------
    dict with the seconds spent per step (``timings``: ``tasks``, the work before the chapters
    (:func:`~attnlib.book.tasks.build_tasks`), each chapter, ``html``), the output folder
    (``html``) and the data and runs folders used (``data_dir``, ``runs_dir``). The command line adds the slide decks
    (:func:`attnlib.teach.slides.build_book_decks`), which the guide links to.
    The timeline of the build (:data:`TIMELINE_COLUMNS`) is written to ``_build/timeline.csv`` step by step.
    """
    root = Path(root).resolve()
    chosen = get_preset(preset)
    data_dir = str(paths.data_dir(data_dir, root).resolve())
    runs_dir = str(paths.runs_dir(runs_dir, root).resolve())
    fetch_preset_data(preset, data_dir, download=download, progress=progress)
    experiments = chosen.experiments(available_datasets(data_dir))
    if not experiments:
        raise AttnlibError(no_data_message(preset, data_dir))
    if workers is None and scheduler is None:
        check_prerequisites()
        return _build(preset, experiments, root, data_dir, runs_dir, device, progress)
    from .cluster import start_cluster, use_cluster_threads

    cluster = start_cluster(workers, scheduler)   # an address that does not answer fails here, within seconds
    try:
        check_prerequisites()
        if progress:
            tqdm.write(f"Dask: {len(cluster.workers)} workers, {cluster.threads} torch thread(s) per experiment; "
                       f"dashboard {cluster.dashboard}")
        use_cluster_threads(cluster.threads)
        return _build(preset, experiments, root, data_dir, runs_dir, device, progress, cluster)
    finally:
        cluster.close()


def _build(preset, experiments, root, data_dir, runs_dir, device, progress, cluster=None) -> dict:
    from .tasks import build_tasks, experiments_of, run_here

    timings: dict[str, float] = {}
    timeline = Timeline(timeline_path(root))
    tasks = build_tasks(preset, experiments, data_dir=data_dir, runs_dir=runs_dir, device=device)
    steps = tqdm(total=len(tasks) + len(CHAPTERS) + 1, desc=f"book ({preset})", disable=not progress)
    started = time.perf_counter()
    if cluster is None:
        def on_task(number, task):
            steps.set_description(f"book ({preset}): {number}/{len(tasks)}, {task.name}")
            if number > 1:
                steps.update()

        results = run_here(tasks, progress=progress, on_task=on_task)
        steps.update()
    else:
        from .cluster import run_on_cluster
        from .estimate import experiment_costs, stage_costs

        def sampled_costs() -> dict:   # on this client, while the workers start on the first tasks
            estimates: dict = {}
            costs = experiment_costs(experiments_of(tasks), data_dir=data_dir, runs_dir=runs_dir, device=device,
                                     progress=False, estimates=estimates)
            return costs | stage_costs(preset, experiments, data_dir=data_dir, device=device, progress=False,
                                       estimates=estimates)

        steps.set_description(f"book ({preset}): {len(tasks)} tasks on the Dask cluster")
        results = run_on_cluster(cluster, tasks, data_dir=data_dir, runs_dir=runs_dir, progress=progress,
                                 costs=sampled_costs)
        steps.update(len(tasks))
    for task in tasks:
        for row in results[task.name]["rows"]:
            timeline.add(**row, worker=results[task.name]["worker"])
    timings["tasks"] = time.perf_counter() - started
    finished = [(Path(r["run"]), Path(r["analysis"])) for r in results.values() if "analysis" in r]
    stage_dirs = [Path(d) for r in results.values() for d in r.get("directories", ())]
    parameters = {"preset": preset, "data_dir": data_dir, "runs_dir": runs_dir, "device": device,
                  "whole_preset": True}
    inputs = _inputs_key(finished, stage_dirs)
    timings.update(execute_chapters(root, parameters, inputs, timeline, steps, preset, at_once=chapters_at_once()))
    steps.set_description(f"book ({preset}): HTML")
    started = time.perf_counter()
    html = build_html(root)
    timings["html"] = time.perf_counter() - started
    timeline.add("html", "jupyter-book build", timings["html"], reused=False)
    steps.update()
    steps.close()
    return {"timings": timings, "html": html, "data_dir": data_dir, "runs_dir": runs_dir}
