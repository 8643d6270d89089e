"""Fetch data files once into a local cache, verified by checksum.

Where files come from, in order:

1. ``$NEUROALIGN_MIRROR`` if set: a local folder or an ``http(s)://`` / ``file://`` URL laid out
   like ``<mirror>/<dataset folder>/<file name>`` (the layout of ``../shared/data``).
2. Otherwise each file's public origin URL.

Files land in ``$NEUROALIGN_HOME/<dataset folder>/`` (default: the user cache dir,
e.g. ``~/.cache/neuroalign``). A download is written to ``<name>.part`` (resumed with an HTTP
``Range`` request if interrupted), verified against its sha256 (or md5 for origins that only
publish md5), and only then renamed into place, so the cache never holds a half-written or
unverified file. Processes fetching the same file take a lock on it (``.<name>.lock`` beside
it, see :func:`neuroalign.io.file_lock`): the second waits, then finds the file in place.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from neuroalign.errors import DownloadError
from neuroalign.io import atomic_path, file_lock, sha256_file

__all__ = [
    "RemoteFile",
    "data_home",
    "download",
    "fetch_file",
    "mirror_location",
    "verify",
]

_CHUNK = 1 << 20


@dataclass(frozen=True)
class RemoteFile:
    """One file of a data set: its name, checksum and public origin.

    ``sha256`` is the digest of the file as the mirror holds it. ``origin`` is the public URL for
    users without a mirror (None when the file is a repack that only a mirror serves; the data
    set then says how to make it). ``origin_md5`` is set where the origin publishes only md5, and
    ``origin_name`` where the origin serves another format than the mirror (the file is then
    cached under that name and its loader reads either).
    """

    name: str
    sha256: str | None
    origin: str | None = None
    origin_md5: str | None = None
    origin_name: str | None = None


def data_home() -> Path:
    """The cache root: ``$NEUROALIGN_HOME`` or the user cache dir (created on demand)."""
    env = os.environ.get("NEUROALIGN_HOME")
    if env:
        root = Path(env).expanduser()
    else:
        import platformdirs

        root = Path(platformdirs.user_cache_dir("neuroalign"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def mirror_location() -> str | None:
    """``$NEUROALIGN_MIRROR`` (a folder or URL), or None."""
    value = os.environ.get("NEUROALIGN_MIRROR", "").strip()
    return value or None


def _hash_file(path: Path, algorithm: str) -> str:
    if algorithm == "sha256":
        return sha256_file(path)
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(
    path: Path, expected: str | None, algorithm: str = "sha256", *, source: str | None = None
) -> None:
    """Raise :class:`DownloadError` if the digest of ``path`` is not ``expected``.

    The message names ``source`` (where the bytes came from) when given, else ``path``.
    """
    if expected is None:
        return
    actual = _hash_file(path, algorithm)
    if actual != expected:
        raise DownloadError(
            f"{source or path}: {algorithm} mismatch (expected {expected}, got {actual}); "
            "the file is corrupt or not the published version"
        )


def _lock_for(target: Path):
    return file_lock(target.with_name(f".{target.name}.lock"))


def download(
    url: str,
    target: Path,
    *,
    expected: str | None,
    algorithm: str = "sha256",
    timeout: float = 60.0,
    progress: bool = True,
) -> Path:
    """Download ``url`` to ``target`` through ``target.part``; verify, then rename.

    An existing ``.part`` file (an interrupted download) is resumed with an HTTP Range request
    when the server supports it, and restarted otherwise. The download holds a lock on
    ``target``, so concurrent calls never write into one ``.part`` file.
    """
    with _lock_for(target):
        return _download(
            url, target, expected=expected, algorithm=algorithm, timeout=timeout, progress=progress
        )


def _download(
    url: str,
    target: Path,
    *,
    expected: str | None,
    algorithm: str = "sha256",
    timeout: float = 60.0,
    progress: bool = True,
) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "neuroalign"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and offset:  # the .part file is already complete (or bogus)
            part.unlink()
            return _download(
                url,
                target,
                expected=expected,
                algorithm=algorithm,
                timeout=timeout,
                progress=progress,
            )
        raise DownloadError(f"{url}: HTTP {err.code} {err.reason}") from None
    except (urllib.error.URLError, OSError) as err:
        raise DownloadError(f"{url}: cannot download ({err})") from None
    with response:
        resumed = offset and response.status == 206
        mode = "ab" if resumed else "wb"
        if not resumed:
            offset = 0
        total = response.headers.get("Content-Length")
        total = int(total) + offset if total is not None else None
        bar = tqdm(
            total=total,
            initial=offset,
            unit="B",
            unit_scale=True,
            desc=f"download {target.name}",
            disable=not progress,
            leave=False,
        )
        try:
            with open(part, mode) as handle:
                for chunk in iter(lambda: response.read(_CHUNK), b""):
                    handle.write(chunk)
                    bar.update(len(chunk))
        except (OSError, TimeoutError) as err:
            raise DownloadError(
                f"{url}: download interrupted after {part.stat().st_size} bytes ({err}); "
                f"run again to resume from {part}"
            ) from None
        finally:
            bar.close()
    if total is not None and part.stat().st_size != total:
        raise DownloadError(
            f"{url}: incomplete download ({part.stat().st_size} of {total} bytes); "
            f"run again to resume from {part}"
        )
    try:
        verify(part, expected, algorithm, source=url)
    except DownloadError as err:
        part.unlink(missing_ok=True)  # never resume from a corrupt file
        raise DownloadError(f"{err}; not cached as {target}") from None
    os.replace(part, target)
    return target


def _copy_verified(source: Path, target: Path, expected: str | None) -> Path:
    for orphan in target.parent.glob(f".{target.name}.part-*"):
        orphan.unlink(missing_ok=True)  # a killed copy's temporary file (we hold the lock)
    try:
        with atomic_path(target) as tmp:
            shutil.copyfile(source, tmp)
            verify(tmp, expected, source=f"{source} (mirror)")
    except DownloadError as err:
        raise DownloadError(f"{err}; not cached as {target}") from None
    return target


def fetch_file(folder: str, file: RemoteFile, *, progress: bool = True) -> Path:
    """Return the local, verified path of ``file`` of data set ``folder``, fetching it once.

    The cache is trusted once a file is in place (it only ever receives verified files).
    Concurrent calls for one file fetch it once: the others wait for the lock, then find it.
    """
    target = data_home() / folder / file.name
    origin_target = target if file.origin_name is None else target.with_name(file.origin_name)
    for path in (target, origin_target):
        if path.exists():
            return path
    with _lock_for(target):
        for path in (target, origin_target):
            if path.exists():  # fetched by another process while we waited
                return path
        return _fetch_locked(folder, file, target, origin_target, progress)


def _fetch_locked(
    folder: str, file: RemoteFile, target: Path, origin_target: Path, progress: bool
) -> Path:
    mirror = mirror_location()
    if mirror is not None:
        parsed = urllib.parse.urlparse(mirror)
        if parsed.scheme in ("http", "https"):
            url = mirror.rstrip("/") + f"/{folder}/{file.name}"
            return _download(url, target, expected=file.sha256, progress=progress)
        local = Path(parsed.path if parsed.scheme == "file" else mirror).expanduser()
        source = local / folder / file.name
        if not source.is_file():
            raise DownloadError(f"{source}: not found in the mirror NEUROALIGN_MIRROR={mirror}")
        return _copy_verified(source, target, file.sha256)
    if file.origin is None:
        raise DownloadError(
            f"{folder}/{file.name} has no public download of its own (it is a repack of the "
            "origin named in the data set's docs): set NEUROALIGN_MIRROR to a mirror that holds it"
        )
    if file.origin_md5 is not None:
        return _download(
            file.origin, origin_target, expected=file.origin_md5, algorithm="md5", progress=progress
        )
    return _download(file.origin, origin_target, expected=file.sha256, progress=progress)
