"""Find dataset files in a data directory, as plain files or inside archives.

A loader asks for a file by a relative path such as ``sst/train.txt`` or a pattern such as
``aclImdb/train/pos/*.txt``. The pattern is matched against the *end* of every path in the data
directory, and against the end of every member name of every archive found there (``.zip``,
``.tar``, ``.tar.gz``/``.tgz``, ``.tar.xz``/``.txz``, ``.tar.bz2``/``.tbz2``). So the same loader
reads an official download (``trainDevTestTrees_PTB.zip``), a repacked archive
(``aclImdb_v1_labeled.tar.xz``) or an extracted folder, and plain files win over archives.

Single compressed files (``snli_1.0_dev.jsonl.gz``) are plain files here; :meth:`DataDir.read_bytes`
decompresses them transparently.

Archive member lists are kept in memory and, when a cache directory is given, on disk keyed by the
archive's path, size and modification time, so a second load does not decompress the archive just
to list it.
"""
from __future__ import annotations

import bz2
import contextlib
import functools
import gzip
import hashlib
import json
import lzma
import os
import re
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from ..plumbing import paths
from ..plumbing.errors import DataError

__all__ = ["DataDir", "FileRef", "FileSpec", "resolve_data_dir", "file_sha256", "decode"]

_ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tbz")
_ARCHIVE_ERRORS = (
    tarfile.TarError,
    zipfile.BadZipFile,
    EOFError,
    lzma.LZMAError,
    zlib.error,
    OSError,
    ValueError,
)
_GLOB_CHARS = set("*?[")


def resolve_data_dir(data_dir: str | os.PathLike | None = None, *, create: bool = False) -> Path:
    """Return the data directory as an absolute path, checking that it exists.

    Parameters
    ----------
    data_dir : str or path-like, optional
        The directory. ``None`` means ``$ATTNLIB_DATA`` if set, else ``./data``.
    create : bool, default False
        Create the directory if it is missing (used when downloading is enabled).

    Raises
    ------
    DataError
        If the directory does not exist (and ``create`` is False) or is not a directory.
    """
    path = (Path(data_dir).expanduser() if data_dir is not None else paths.data_dir()).absolute()
    if not path.exists():
        if create:
            path.mkdir(parents=True, exist_ok=True)
        else:
            raise DataError(
                f"data directory {path} does not exist; pass --data-dir DIR (data_dir=... in Python) "
                "or set ATTNLIB_DATA to the folder that holds the datasets"
            )
    if not path.is_dir():
        raise DataError(f"data directory {path} is not a directory; pass --data-dir DIR or set ATTNLIB_DATA")
    return path


_DIGESTS: dict[tuple[str, int, int], str] = {}
_LISTINGS: dict[tuple[str, int, int], "_Listing"] = {}


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes, remembered for the process by (path, size, mtime)."""
    path = Path(path)
    st = path.stat()
    key = (str(path.absolute()), st.st_size, st.st_mtime_ns)
    if key not in _DIGESTS:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        _DIGESTS[key] = h.hexdigest()
    return _DIGESTS[key]


@contextlib.contextmanager
def _open_tar_stream(path: Path):
    """A tar archive opened for one sequential pass.

    The compression layer is opened with :mod:`gzip`/:mod:`lzma`/:mod:`bz2` (chosen by magic bytes)
    rather than by tarfile's own stream mode, because those raise :class:`EOFError` on a truncated
    file where tarfile's stream mode silently stops.
    """
    with open(path, "rb") as fh:
        magic = fh.read(6)
    with contextlib.ExitStack() as stack:
        if magic.startswith(b"\x1f\x8b"):
            raw = stack.enter_context(gzip.open(path, "rb"))
        elif magic.startswith(b"\xfd7zXZ\x00"):
            raw = stack.enter_context(lzma.open(path, "rb"))
        elif magic.startswith(b"BZh"):
            raw = stack.enter_context(bz2.open(path, "rb"))
        else:
            raw = stack.enter_context(open(path, "rb"))
        yield stack.enter_context(tarfile.open(fileobj=raw, mode="r|"))


def _is_archive(name: str) -> bool:
    return name.lower().endswith(_ARCHIVE_SUFFIXES)


def _decompress_by_name(name: str, data: bytes) -> bytes:
    """Undo single-file compression (``.gz``, ``.xz``, ``.bz2``) judged from the file name."""
    low = name.lower()
    if low.endswith(".gz"):
        return gzip.decompress(data)
    if low.endswith(".xz"):
        return lzma.decompress(data)
    if low.endswith(".bz2"):
        return bz2.decompress(data)
    return data


@dataclass(frozen=True)
class FileRef:
    """Where one dataset file lives.

    Attributes
    ----------
    path : Path
        The file on disk: the file itself, or the archive holding it.
    member : str, optional
        The member name inside the archive ``path``; None for a plain file.
    name : str
        The file's own path, ``/``-separated: relative to the data directory for a plain file,
        the member name for an archive member. Loaders look at it (e.g. ``en-10k/`` or ``en/``).
    """

    path: Path
    member: str | None
    name: str

    def __str__(self) -> str:
        return f"{self.path}:{self.member}" if self.member is not None else str(self.path)

    @property
    def in_archive(self) -> bool:
        return self.member is not None


@dataclass(frozen=True)
class FileSpec:
    """What a loader needs: one file (or, with ``many``, a folder of files) by path pattern.

    Attributes
    ----------
    role : str
        Key under which the loader receives the :class:`FileRef` (or list of them).
    patterns : tuple of str
        Path-suffix patterns tried in order; the first that matches anything is used.
    many : bool
        All files matching the pattern (a list), rather than one file.
    optional : bool
        The loader can do without it (it then receives None, or an empty list).
    prefer : tuple of str
        Globs of archive file names to search first (saves listing unrelated archives).
    """

    role: str
    patterns: tuple[str, ...]
    many: bool = False
    optional: bool = False
    prefer: tuple[str, ...] = ()

    def resolve(self, data: "DataDir"):
        """The :class:`FileRef` (or list) this spec finds in ``data``; None or [] if nothing matches."""
        for p in self.patterns:
            if self.many:
                refs = data.find_all(p, prefer=self.prefer)
                if refs:
                    return refs
            else:
                ref = data.find(p, prefer=self.prefer)
                if ref is not None:
                    return ref
        return [] if self.many else None


def _split(name: str) -> tuple[str, ...]:
    return tuple(p for p in name.replace("\\", "/").split("/") if p not in ("", "."))


def _matches(pattern: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    k = len(pattern)
    if len(parts) < k:
        return False
    return all(fnmatchcase(n, p) for n, p in zip(parts[-k:], pattern))


class _Listing:
    """Names of the regular files in one container, indexed by base name for fast exact lookups."""

    def __init__(self, names: Iterable[str]):
        self.names = [n for n in names if not _ignored(n)]
        self.parts = [_split(n) for n in self.names]
        self.by_base: dict[str, list[int]] = {}
        for i, p in enumerate(self.parts):
            if p:
                self.by_base.setdefault(p[-1], []).append(i)

    def match(self, pattern: tuple[str, ...]) -> list[str]:
        if not (_GLOB_CHARS & set(pattern[-1])):
            idx = self.by_base.get(pattern[-1], [])
            return [self.names[i] for i in idx if _matches(pattern, self.parts[i])]
        regex = _suffix_regex(pattern)
        if regex is None:
            return [n for n, p in zip(self.names, self.parts) if _matches(pattern, p)]
        return [n for n, j in zip(self.names, self.joined) if regex.search(j)]

    @functools.cached_property
    def joined(self) -> list[str]:
        return ["/".join(p) for p in self.parts]


@functools.lru_cache(maxsize=256)
def _suffix_regex(pattern: tuple[str, ...]):
    """A regex matching names that end with ``pattern``'s segments; None if it uses ``[...]``."""
    if any("[" in seg for seg in pattern):
        return None
    segs = [re.escape(seg).replace(r"\*", "[^/]*").replace(r"\?", "[^/]") for seg in pattern]
    return re.compile(r"(?:^|/)" + "/".join(segs) + r"\Z")


def _ignored(name: str) -> bool:
    parts = _split(name)
    return not parts or parts[0] == "__MACOSX" or parts[-1].startswith("._") or parts[-1] == ".DS_Store"


class DataDir:
    """A data directory and the archives in it, searched by path suffix.

    Parameters
    ----------
    root : path-like
        An existing directory (see :func:`resolve_data_dir`).
    cache_dir : path-like, optional
        Where archive member lists are remembered between processes. None keeps them in memory only.

    Examples
    --------
    >>> data = DataDir("/work/shared/data")                      # doctest: +SKIP
    >>> data.find("trees/train.txt") or data.find("sst/train.txt")  # doctest: +SKIP
    >>> refs = data.find_all("aclImdb/train/pos/*.txt", prefer=("aclImdb*",))  # doctest: +SKIP
    >>> for ref, raw in data.iter_bytes(refs): ...                # doctest: +SKIP
    """

    def __init__(self, root: str | os.PathLike, *, cache_dir: str | os.PathLike | None = None):
        self.root = Path(root).absolute()
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self._plain: _Listing | None = None
        self._archives: list[Path] | None = None
        self._members: dict[Path, _Listing] = {}

    # ------------------------------------------------------------------ listing
    def _scan(self) -> None:
        plain, archives = [], []
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=True):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for fn in sorted(filenames):
                if fn.startswith(".") or fn.endswith((".part", ".tmp")):
                    continue
                full = Path(dirpath) / fn
                if _is_archive(fn):
                    archives.append(full)
                else:
                    plain.append(full.relative_to(self.root).as_posix())
        self._plain = _Listing(plain)
        self._archives = archives

    def rescan(self) -> None:
        """Forget what was listed (after a download added files)."""
        self._plain = None
        self._archives = None

    @property
    def archives(self) -> list[Path]:
        """Every archive under the root, in sorted path order."""
        if self._archives is None:
            self._scan()
        return list(self._archives)

    def _plain_listing(self) -> _Listing:
        if self._plain is None:
            self._scan()
        return self._plain

    def _listing_cache_file(self, archive: Path) -> Path | None:
        if self.cache_dir is None:
            return None
        st = archive.stat()
        key = hashlib.sha1(f"{archive.absolute()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()
        return self.cache_dir / "archive-listings" / f"{key}.json"

    def members(self, archive: Path) -> _Listing:
        """The regular-file members of ``archive`` (listed once, then remembered)."""
        if archive in self._members:
            return self._members[archive]
        st = archive.stat()
        memo_key = (str(archive.absolute()), st.st_size, st.st_mtime_ns)
        if memo_key in _LISTINGS:
            self._members[archive] = _LISTINGS[memo_key]
            return _LISTINGS[memo_key]
        cache_file = self._listing_cache_file(archive)
        names = None
        if cache_file is not None and cache_file.exists():
            try:
                names = json.loads(cache_file.read_text())
            except (OSError, ValueError):
                names = None
        if names is None:
            names = self._list_archive(archive)
            if cache_file is not None:
                from .cache import atomic_write_bytes

                try:
                    atomic_write_bytes(cache_file, json.dumps(names).encode())
                except OSError:
                    pass
        listing = _Listing(names)
        self._members[archive] = listing
        _LISTINGS[memo_key] = listing
        return listing

    def _list_archive(self, archive: Path) -> list[str]:
        try:
            if archive.name.lower().endswith(".zip"):
                with zipfile.ZipFile(archive) as zf:
                    return [i.filename for i in zf.infolist() if not i.is_dir()]
            names = []
            with _open_tar_stream(archive) as tf:
                for m in tf:
                    if m.isfile():
                        names.append(m.name)
            return names
        except _ARCHIVE_ERRORS as exc:
            raise self._corrupt(archive, exc) from None

    def _corrupt(self, archive: Path, exc: BaseException) -> DataError:
        try:
            digest = file_sha256(archive)
        except OSError:
            digest = "unreadable"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return DataError(
            f"archive {archive} is corrupt or truncated ({reason}; sha256 {digest}); "
            "delete it and download or copy it again"
        )

    # ------------------------------------------------------------------ finding
    def _ordered_archives(self, prefer: Sequence[str]) -> list[Path]:
        archives = self.archives
        first = [a for a in archives if any(fnmatchcase(a.name, p) for p in prefer)]
        return first + [a for a in archives if a not in first]

    def find_all(self, pattern: str, *, prefer: Sequence[str] = ()) -> list[FileRef]:
        """Every file whose path ends with ``pattern`` (``*``/``?``/``[]`` allowed per segment).

        All results come from one container: the plain files if any match, else the first archive
        (those whose file name matches a glob in ``prefer`` are searched first) that has matches.
        Results are sorted by name.
        """
        pat = _split(pattern)
        if not pat:
            raise ValueError("pattern must not be empty")
        hits = self._plain_listing().match(pat)
        if hits:
            return [FileRef(self.root / h, None, h) for h in sorted(hits)]
        for archive in self._ordered_archives(prefer):
            hits = self.members(archive).match(pat)
            if hits:
                return [FileRef(archive, h, "/".join(_split(h))) for h in sorted(hits)]
        return []

    def find(self, pattern: str, *, prefer: Sequence[str] = ()) -> FileRef | None:
        """The one file whose path ends with ``pattern``, or None.

        Among several matches the shortest path wins, then the first in sorted order.
        """
        hits = self.find_all(pattern, prefer=prefer)
        if not hits:
            return None
        return min(hits, key=lambda r: (len(_split(r.name)), r.name))

    def find_first(self, patterns: Sequence[str], *, prefer: Sequence[str] = ()) -> FileRef | None:
        """The match of the first pattern in ``patterns`` that matches anything, or None."""
        for p in patterns:
            ref = self.find(p, prefer=prefer)
            if ref is not None:
                return ref
        return None

    # ------------------------------------------------------------------ reading
    def read_bytes(self, ref: FileRef) -> bytes:
        """The file's bytes; single-file ``.gz``/``.xz``/``.bz2`` compression is undone."""
        for _, data in self.iter_bytes([ref]):
            return data
        raise DataError(f"{ref} could not be read")  # pragma: no cover

    def read_text(self, ref: FileRef, *, encoding: str = "utf-8", fallback: str | None = "latin-1") -> str:
        """The file decoded as ``encoding``, falling back to ``fallback`` when that fails."""
        return decode(self.read_bytes(ref), encoding=encoding, fallback=fallback)

    def iter_bytes(self, refs: Iterable[FileRef], *, progress=None) -> Iterator[tuple[FileRef, bytes]]:
        """Yield ``(ref, bytes)`` for every ref, reading each archive in a single pass.

        Plain files come first in the given order; members of a tar archive come in the archive's
        own order, so the caller should key results by ref. ``progress`` is an optional tqdm bar
        that is advanced by one per file.
        """
        refs = list(refs)
        by_container: dict[Path, list[FileRef]] = {}
        for r in refs:
            by_container.setdefault(r.path, []).append(r)
        for container, group in by_container.items():
            if group[0].member is None:
                for r in group:
                    try:
                        raw = r.path.read_bytes()
                    except OSError as exc:
                        raise DataError(f"cannot read {r.path} ({exc.strerror}); check its permissions") from None
                    yield r, self._undo_compression(r, raw)
                    if progress is not None:
                        progress.update(1)
            else:
                yield from self._iter_archive(container, group, progress)

    def _undo_compression(self, ref: FileRef, raw: bytes) -> bytes:
        try:
            return _decompress_by_name(ref.name, raw)
        except _ARCHIVE_ERRORS as exc:
            raise self._corrupt(ref.path, exc) from None

    def _iter_archive(self, archive: Path, group: list[FileRef], progress) -> Iterator[tuple[FileRef, bytes]]:
        wanted = {r.member: r for r in group}
        try:
            if archive.name.lower().endswith(".zip"):
                with zipfile.ZipFile(archive) as zf:
                    for member, r in wanted.items():
                        raw = zf.read(member)
                        yield r, self._undo_compression(r, raw)
                        if progress is not None:
                            progress.update(1)
                return
            remaining = len(wanted)
            with _open_tar_stream(archive) as tf:
                for m in tf:
                    r = wanted.get(m.name)
                    if r is None or not m.isfile():
                        continue
                    fh = tf.extractfile(m)
                    raw = fh.read() if fh is not None else b""
                    yield r, self._undo_compression(r, raw)
                    if progress is not None:
                        progress.update(1)
                    remaining -= 1
                    if remaining == 0:
                        break
            if remaining:
                raise DataError(f"archive {archive} changed while being read; run the command again")
        except DataError:
            raise
        except KeyError as exc:
            raise DataError(f"archive {archive} has no member {exc}; it changed while being read, run again") from None
        except _ARCHIVE_ERRORS as exc:
            raise self._corrupt(archive, exc) from None

    def digest(self, ref: FileRef) -> str:
        """SHA-256 of the file on disk that holds ``ref`` (the archive for a member)."""
        return file_sha256(ref.path)

    def describe(self, ref: FileRef) -> str:
        """``ref`` for messages: relative to the data directory where possible."""
        try:
            rel = ref.path.relative_to(self.root).as_posix()
        except ValueError:
            rel = str(ref.path)
        return f"{rel}:{ref.member}" if ref.member is not None else rel


def decode(raw: bytes, *, encoding: str = "utf-8", fallback: str | None = "latin-1") -> str:
    """Decode bytes, trying ``encoding`` first and ``fallback`` (if any) when that fails."""
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        if fallback is None:
            raise
        return raw.decode(fallback)
