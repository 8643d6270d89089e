"""Small, safe file helpers: atomic writes and checksums.

Every file neuroalign writes goes through :func:`atomic_write` (or :func:`atomic_path`): the
content lands under a temporary name in the same folder and is renamed over the target only
once complete, so an interrupted run never leaves a half-written file behind. A folder that
must change as a whole (a Brain-Score plugin) is written with :func:`atomic_dir`.
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

__all__ = ["atomic_dir", "atomic_path", "atomic_write", "sha256_file"]


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
    tmp.chmod(0o777 & ~_umask())
    try:
        yield tmp
        if os.path.lexists(target):
            _exchange(tmp, target)  # tmp now holds the previous target
        else:
            os.rename(tmp, target)
    finally:
        _remove(tmp)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


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
