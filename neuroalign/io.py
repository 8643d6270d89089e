"""Small, safe file helpers: atomic writes, checksums, file locks and umask-honouring modes.

Every file neuroalign writes goes through :func:`atomic_write` (or :func:`atomic_path`): the
content lands under a temporary name in the same folder and is renamed over the target only
once complete, so an interrupted run never leaves a half-written file behind. The temporary
file gets the mode a plain ``open()`` would give (``0o666`` minus the umask), not ``mkstemp``'s
private ``0o600``, so colleagues sharing a cluster folder can read results.

Processes that fill one cache entry take :func:`file_lock` on it: the second waits, then finds
the entry complete. The lock is an advisory ``flock`` that the kernel releases when its holder
exits, even when killed, so it can never be left held.

A folder that must change as a whole (a Brain-Score plugin) is written with
:func:`atomic_dir`.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = [
    "apply_umask",
    "atomic_dir",
    "atomic_link",
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


def atomic_link(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> Path:
    """Make ``target`` a second name of the finished file ``source`` (a hard link), atomically.

    Both names then share one copy on disk; replacing either later (every writer here renames a
    new file over its target) leaves the other as it was. Where the file system has no hard
    links, ``target`` becomes an atomic copy instead.
    """
    source, target = Path(source), Path(target)
    with atomic_path(target) as tmp:
        tmp.unlink()
        try:
            os.link(source, tmp)
        except OSError:  # no hard links here (some network and FAT file systems)
            shutil.copyfile(source, tmp)
    return target


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


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``target``; if the block succeeds, it becomes
    ``target`` in one rename, and the previous ``target`` (folder, file or link) is deleted.

    Readers see the old folder or the new one, never a mix: on Linux an existing ``target`` is
    swapped with one ``renameat2(RENAME_EXCHANGE)``; elsewhere it is first renamed aside (a
    moment without ``target``). The temporary folder is named ``.<name>.tmp-<pid>-*`` (hidden,
    so Brain-Score's plugin discovery skips it) and gets the umask's modes; one left by a killed
    process is removed by the next call.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent))
    apply_umask(tmp)
    try:
        yield tmp
        if os.path.lexists(target):
            _exchange(tmp, target)  # tmp now holds the previous target
        else:
            os.rename(tmp, target)
    finally:
        _remove(tmp)


def _exchange(a: Path, b: Path) -> None:
    """Swap two paths in one step (Linux), or rename ``b`` aside and ``a`` onto it."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is not None:
        at_fdcwd, rename_exchange = -100, 2
        if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
            return
    aside = a.with_name(a.name + "-old")
    os.rename(b, aside)
    os.rename(a, b)
    os.rename(aside, a)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)


def _remove_stale(target: Path) -> None:
    """Delete ``.<name>.tmp-<pid>-*`` folders beside ``target`` whose process has ended."""
    for path in target.parent.glob(f".{target.name}.tmp-*"):
        pid = path.name[len(f".{target.name}.tmp-") :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            _remove(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
