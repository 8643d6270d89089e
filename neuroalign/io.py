"""Small, safe file helpers: atomic writes, checksums, file locks and umask-honouring modes.

Every file neuroalign writes goes through :func:`atomic_write` (or :func:`atomic_path`): the
content lands under a temporary name in the same folder and is renamed over the target only
once complete, so an interrupted run never leaves a half-written file behind. The temporary
file gets the mode a plain ``open()`` would give (``0o666`` minus the umask), not ``mkstemp``'s
private ``0o600``, so colleagues sharing a cluster folder can read results.

Processes that fill one cache entry take :func:`file_lock` on it: the second waits, then finds
the entry complete. The lock is an advisory ``flock`` that the kernel releases when its holder
exits, even when killed, so it can never be left held.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = [
    "apply_umask",
    "atomic_path",
    "atomic_write",
    "current_umask",
    "file_lock",
    "sha256_file",
]


def current_umask() -> int:
    """The process's umask (read without changing it where ``/proc`` allows)."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)  # no /proc (macOS): the only portable way is to set and restore it
    os.umask(mask)
    return mask


def apply_umask(path: str | os.PathLike[str]) -> None:
    """Give ``path`` the mode ``open()``/``mkdir()`` would have: 0o666 (files) or 0o777
    (folders) minus the umask. ``mkstemp``/``mkdtemp`` create 0o600/0o700 instead."""
    base = 0o777 if Path(path).is_dir() else 0o666
    os.chmod(path, base & ~current_umask())


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` if the block succeeds.

    Use this for writers that want a file name (``torch.save``, ``xarray.to_netcdf``). On an
    exception the temporary file is removed and ``target`` is left untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # the temporary name ends with ``suffix`` so writers that infer a format from it still work
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.part-", suffix=suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        apply_umask(tmp_path)
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_write(
    target: str | os.PathLike[str], mode: str = "w", **open_kwargs: Any
) -> Iterator[IO[Any]]:
    """Open a temporary file for writing; it replaces ``target`` only when the block completes."""
    with atomic_path(target) as tmp, open(tmp, mode, **open_kwargs) as handle:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


@contextlib.contextmanager
def file_lock(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold an exclusive lock named by the file ``path`` for the block (waiting for it if held).

    The lock file is created on demand and removed on release. A holder that dies (even by
    SIGKILL) releases it with its file descriptors; its lock file then stays behind, empty, and
    the next holder takes it over. Without ``fcntl`` (Windows) the block runs unlocked.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield path
        return
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            # the previous holder removes the file on release: only the file still at ``path``
            # is the lock, so a waiter that locked a removed one tries again
            with contextlib.suppress(FileNotFoundError):
                here, ours = os.stat(path), os.fstat(fd)
                if (here.st_dev, here.st_ino) == (ours.st_dev, ours.st_ino):
                    break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)  # while still held, so no one can lock it in between
        os.close(fd)


def sha256_file(path: str | os.PathLike[str], chunk_size: int = 1 << 20) -> str:
    """Hex sha256 digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()
