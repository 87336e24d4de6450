"""Atomic file and directory writes.

A file is written to a temporary sibling, flushed, fsynced and ``os.replace``d into place. A directory is built in a
hidden sibling (``.<name>.tmp-<pid>``), gets ``manifest.json`` last, and is renamed into place; a directory without
``manifest.json`` counts as absent (``is_complete``) and is removed by the next writer. So an interrupted run never
leaves output that a later command mistakes for complete.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import edgenn.filenames as filenames
from edgenn.errors import InvalidInputError, LockedError

MANIFEST_NAME = filenames.MANIFEST


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling path for a library that writes files itself (h5py, Keras); on success it is
    fsynced and renamed onto ``path``, on failure removed. Keeps the file's suffix (Keras picks the format by it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f"{path.suffix}.tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=json_default) + "\n")


def json_default(obj: Any) -> Any:
    """numpy scalars and arrays and paths as JSON values (``json.dumps(default=...)``)."""
    import numpy as np

    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, Mapping):  # typed records that read as mappings (records.model_metrics.ModelMetrics)
        return dict(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{path}: not valid JSON ({exc}).", fix="delete it and re-run the command that wrote it.") from exc


def is_complete(directory: Path) -> bool:
    """A stage output directory is complete only once its manifest exists."""
    return (Path(directory) / MANIFEST_NAME).is_file()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def output_lock(target: Path) -> Iterator[None]:
    """Exclusive lock on ``target`` via a ``.<name>.lock`` sibling holding the PID; stale locks are taken over."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = target.parent / f".{target.name}.lock"
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                pid = int(lock.read_text().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid and pid != os.getpid() and _pid_alive(pid):
                raise LockedError(
                    f"{target}: locked by PID {pid}, which is writing it now.",
                    fix="wait for that command to finish, or choose another output directory.",
                ) from None
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()
            continue
        with os.fdopen(fd, "w") as fh:
            fh.write(str(os.getpid()))
        break
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()


def ensure_writable_parent(target: Path) -> None:
    """Fail with a clear message if ``target``'s parent cannot be created or written (call before long work).

    Creating a probe file is the only test that also holds for root, for whom ``os.access`` ignores mode bits:
    read-only mounts, ``/proc`` and a regular file standing where a directory should be still fail here.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=f".{target.name}.probe-", dir=target.parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InvalidInputError(f"{target.parent}: cannot write the output directory here ({exc.strerror}).",
                                fix="choose a writable location with --out.") from None


def _remove_stale_staging(target: Path) -> None:
    """Remove hidden staging/backup siblings left by killed processes (SIGKILL gives no chance to clean up)."""
    for pattern in (f".{target.name}.tmp-*", f".{target.name}.old-*"):
        for path in target.parent.glob(pattern):
            pid = path.name.rsplit("-", 1)[-1]
            if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
                shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def atomic_dir(target: Path, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a hidden staging directory; on success it replaces ``target``.

    The caller must write ``manifest.json`` into the staging directory (last); a staging directory without one is
    refused, so a half-built output can never be renamed into place.
    """
    target = Path(target)
    ensure_writable_parent(target)
    with output_lock(target):
        _remove_stale_staging(target)
        if target.exists() and not is_complete(target):
            shutil.rmtree(target)  # leftover of an interrupted run
        if target.exists() and not overwrite:
            raise InvalidInputError(f"{target}: already exists.", fix="pass --overwrite or choose another --out.")
        staging = target.parent / f".{target.name}.tmp-{os.getpid()}"
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir()
        try:
            yield staging
            if not is_complete(staging):
                raise RuntimeError(f"internal error: {MANIFEST_NAME} was not written into {staging}")
            old = None
            if target.exists():
                old = target.parent / f".{target.name}.old-{os.getpid()}"
                os.replace(target, old)
            os.replace(staging, target)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
