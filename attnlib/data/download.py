"""Official sources of every dataset, and a verified, opt-in downloader.

Nothing is downloaded unless the caller asks (``download=True``; the command line turns that on with
``--download`` or ``ATTNLIB_DOWNLOAD=1``), so an offline user gets the one-line "missing file"
message at once. A download goes to a temporary file next to its destination, with a progress bar;
its size and SHA-256 are checked against the published values, and only then is it renamed into
the data directory. A mismatch or a broken connection leaves nothing behind.

Checksums come from published sources: aclImdb from its Git-LFS pointer (MANIFEST.md), 20news
from scikit-learn's ``_twenty_newsgroups.py``, bAbI, SNLI and AG News from the Hugging Face
``datasets`` ``dataset_infos.json`` files, and the SST trees archive from a public pin list; the AG
News ``test.csv`` value also equals the copy in ``shared/data``. CNN has no published checksum (only
its size is checked). ADR and MIMIC-III are not publicly downloadable.

Test hook: ``ATTNLIB_SOURCES=<file.json>`` replaces the official addresses of the families it names (in this
process and in every ``attnlib`` command it starts), so the tests can serve copies of the files from a local
HTTP server. The file maps a family to a list of resources::

    {"sst": [{"url": "http://127.0.0.1:8000/train.txt", "filename": "train.txt", "subdir": "sst",
              "sha256": "e2f3...", "size": 2160058}, ...]}

:func:`sources` is what the rest of the library reads; :data:`SOURCES` keeps the official values.
"""
from __future__ import annotations

import hashlib
import http.client
import json
import os
import socket
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..plumbing import paths
from ..plumbing.errors import DataError, OneLineWarning

__all__ = ["Resource", "SOURCES", "HOW_TO_GET", "DownloadWarning", "sources", "fetch",
           "fetch_url"]


@dataclass(frozen=True)
class Resource:
    """One downloadable file.

    Attributes
    ----------
    url : str
        Official address.
    filename : str
        Name to save it under.
    subdir : str
        Folder inside the data directory (``<data_dir>/<subdir>/<filename>``).
    sha256 : str, optional
        Published SHA-256; None if none is published (then only ``size`` is checked).
    size : int, optional
        Published size in bytes.
    """

    url: str
    filename: str
    subdir: str
    sha256: str | None = None
    size: int | None = None


#: Official downloads per dataset family (``babi1``-``babi3`` share ``babi``).
SOURCES: dict[str, tuple[Resource, ...]] = {
    "sst": (
        Resource(
            "https://nlp.stanford.edu/sentiment/trainDevTestTrees_PTB.zip",
            "trainDevTestTrees_PTB.zip",
            "sst",
            "5c613a4f673fc74097d523a2c83f38e0cc462984d847b82c7aaf36b01cbbbfcc",
            789539,
        ),
    ),
    "imdb": (
        Resource(
            "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
            "aclImdb_v1.tar.gz",
            "imdb",
            "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe",
            84125825,
        ),
    ),
    "20news": (
        Resource(
            "https://ndownloader.figshare.com/files/5975967",
            "20news-bydate.tar.gz",
            "20news",
            "8f1b2514ca22a5ade8fbb9cfa5727df95fa587f4c87b786e15c759fa66d95610",
        ),
    ),
    "agnews": (
        Resource(
            "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/train.csv",
            "train.csv",
            "ag_news",
            "76a0a2d2f92b286371fe4d4044640910a04a803fdd2538e0f3f29a5c6f6b672e",
            29470338,
        ),
        Resource(
            "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/test.csv",
            "test.csv",
            "ag_news",
            "521465c2428ed7f02f8d6db6ffdd4b5447c1c701962353eb2c40d548c3c85699",
            1857427,
        ),
    ),
    "snli": (
        Resource(
            "https://nlp.stanford.edu/projects/snli/snli_1.0.zip",
            "snli_1.0.zip",
            "snli",
            "afb3d70a5af5d8de0d9d81e2637e0fb8c22d1235c2749d83125ca43dab0dbd3e",
            94550081,
        ),
    ),
    "babi": (
        Resource(
            "http://www.thespermwhale.com/jaseweston/babi/tasks_1-20_v1-2.tar.gz",
            "tasks_1-20_v1-2.tar.gz",
            "babi",
            "0364ebde659f14d11bc21744516c5ec49d3d06cb692733f66680771244998898",
            15719851,
        ),
    ),
    "cnn": (
        Resource("https://cs.stanford.edu/~danqi/data/cnn.tar.gz", "cnn.tar.gz", "cnn", None, 571560380),
    ),
}

#: How to obtain the datasets that cannot be downloaded.
HOW_TO_GET: dict[str, str] = {
    "adr": "the Twitter ADR CSV is not public: ask the authors of Jain & Wallace (2019) for adr_dataset.csv "
    "(successar/AttentionExplanation issue #10)",
    "diabetes": "MIMIC-III needs PhysioNet credentialed access (https://physionet.org/content/mimiciii/); build "
    "diab_dataset.csv with the authors' preprocess/MIMIC notebooks",
    "anemia": "MIMIC-III needs PhysioNet credentialed access (https://physionet.org/content/mimiciii/); build "
    "anemia_dataset.csv with the authors' preprocess/MIMIC notebooks",
}


class DownloadWarning(OneLineWarning):
    """A download failed but the data already there can still be used (the command line prints it on one line)."""


def sources(family: str) -> tuple[Resource, ...]:
    """The downloads of dataset ``family``: :data:`SOURCES`, or the ``ATTNLIB_SOURCES`` file's entry (test hook).

    Returns an empty tuple for a family that cannot be downloaded.
    """
    override = _override()
    if family in override:
        return override[family]
    return SOURCES.get(family, ())


def _override() -> dict[str, tuple[Resource, ...]]:
    path = paths.sources_override()
    if path is None:
        return {}
    fields = ("url", "filename", "subdir", "sha256", "size")
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
        return {
            family: tuple(Resource(**{k: item.get(k) for k in fields if k in item}) for item in items)
            for family, items in entries.items()
        }
    except OSError as exc:
        raise DataError(f"cannot read ATTNLIB_SOURCES={path} ({exc.strerror}); unset it or fix the path") from None
    except (ValueError, TypeError, AttributeError):
        raise DataError(
            f"ATTNLIB_SOURCES={path} is not a JSON object mapping each dataset family to a list of "
            '{"url", "filename", "subdir", "sha256", "size"} objects; unset it or fix the file'
        ) from None


def fetch(resource: Resource, data_dir: str | os.PathLike, *, progress: bool = True, timeout: float = 60.0) -> Path:
    """Download ``resource`` into ``<data_dir>/<subdir>/<filename>`` and verify it.

    Returns the path of the verified file; if it is already there with the right checksum it is not
    downloaded again.

    Raises
    ------
    DataError
        The connection failed (one line with the URL and where to put the file by hand), or the
        download's size or SHA-256 differs from the published value (the download is deleted).
    """
    dest = Path(data_dir) / resource.subdir / resource.filename
    if dest.exists():
        if resource.sha256 is not None and _sha256(dest) == resource.sha256:
            return dest
        if resource.sha256 is None and resource.size is not None and dest.stat().st_size == resource.size:
            return dest
    return fetch_url(
        resource.url, dest, sha256=resource.sha256, size=resource.size, progress=progress, timeout=timeout
    )


def fetch_url(
    url: str,
    dest: str | os.PathLike,
    *,
    sha256: str | None = None,
    size: int | None = None,
    progress: bool = True,
    timeout: float = 60.0,
) -> Path:
    """Download ``url`` to ``dest`` through a temporary file, checking ``size`` and ``sha256``.

    See :func:`fetch`; this is the same without a :class:`Resource`.
    """
    from tqdm.auto import tqdm

    dest = Path(dest)
    new_folder = not dest.parent.exists()
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    except OSError as exc:
        raise DataError(f"cannot download {url} into {dest.parent} ({exc.strerror}); choose a writable --data-dir, "
                        f"or download it by hand and save it as {dest}") from None
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    n_bytes = 0
    try:
        with os.fdopen(fd, "wb") as out:
            request = urllib.request.Request(url, headers={"User-Agent": "attnlib (dataset download)"})
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    announced = response.headers.get("Content-Length")
                    announced = int(announced) if announced and announced.isdigit() else None
                    total = announced if announced is not None else size
                    with tqdm(
                        total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=dest.name,
                        disable=not progress, leave=False,
                    ) as bar:
                        while True:
                            chunk = response.read(1 << 20)
                            if not chunk:
                                break
                            out.write(chunk)
                            digest.update(chunk)
                            n_bytes += len(chunk)
                            bar.update(len(chunk))
                # http.client ends a body early without an error when the server closes the connection
                if announced is not None and n_bytes < announced:
                    raise http.client.IncompleteRead(b"", announced - n_bytes)
            except (urllib.error.URLError, http.client.HTTPException, socket.timeout, ConnectionError, OSError) as exc:
                raise DataError(
                    f"could not download {url} ({_reason(exc, n_bytes)}); try again later, or download it by hand "
                    f"and save it as {dest}"
                ) from None
        if size is not None and n_bytes != size:
            raise DataError(
                f"download of {url} has {n_bytes} bytes, expected {size}; it was deleted — try again later, or "
                f"download it by hand and save it as {dest}"
            )
        if sha256 is not None and digest.hexdigest() != sha256.lower():
            raise DataError(
                f"download of {url} has sha256 {digest.hexdigest()}, expected {sha256}; it was deleted — "
                f"try again later, or download it by hand and save it as {dest}"
            )
        os.replace(tmp, dest)
        return dest
    finally:
        if tmp.exists():
            try:
                tmp.unlink()
            except OSError:
                pass
        if new_folder and not dest.exists():
            try:
                dest.parent.rmdir()          # the folder made for a download that failed, if it is still empty
            except OSError:
                pass


def _reason(exc: BaseException, n_bytes: int) -> str:
    """One line on why a connection failed."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, http.client.IncompleteRead):
        return (f"the connection closed after {n_bytes + len(exc.partial)} bytes, {exc.expected} bytes short; "
                "the part received was deleted")
    reason = getattr(exc, "reason", None) or exc
    return " ".join(str(reason).split()) or type(exc).__name__


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
