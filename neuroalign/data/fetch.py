"""Fetch data files once into a local cache, verified by checksum.

Where files come from, in order:

1. ``$NEUROALIGN_MIRROR`` if set: a local folder or an ``http(s)://`` / ``file://`` URL laid out
   like ``<mirror>/<dataset folder>/<file name>`` (the layout of ``../shared/data``).
2. Otherwise each file's public origin URL.

Files land in ``$NEUROALIGN_HOME/<dataset folder>/`` (default: the user cache dir,
e.g. ``~/.cache/neuroalign``). A download is written to ``<name>.part`` (resumed with an HTTP
``Range`` request if interrupted), verified against its sha256 (or md5 for origins that only
publish md5), and only then renamed into place, so the cache never holds a half-written or
unverified file. Archives are unpacked into a temporary folder that is renamed when complete.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from neuroalign.errors import DataError, DownloadError
from neuroalign.io import sha256_file

__all__ = [
    "RemoteFile",
    "data_home",
    "download",
    "fetch_file",
    "mirror_location",
    "unpack",
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


def verify(path: Path, expected: str | None, algorithm: str = "sha256") -> None:
    """Raise :class:`DownloadError` naming ``path`` if its digest is not ``expected``."""
    if expected is None:
        return
    actual = _hash_file(path, algorithm)
    if actual != expected:
        raise DownloadError(
            f"{path}: {algorithm} mismatch (expected {expected}, got {actual}); "
            "the file is corrupt or not the published version"
        )


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
    when the server supports it, and restarted otherwise.
    """
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
            return download(
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
        verify(part, expected, algorithm)
    except DownloadError:
        part.unlink(missing_ok=True)  # never resume from a corrupt file
        raise
    os.replace(part, target)
    return target


def _copy_verified(source: Path, target: Path, expected: str | None) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        shutil.copyfile(source, tmp_path)
        verify(tmp_path, expected)
        os.replace(tmp_path, target)
    except BaseException as err:
        tmp_path.unlink(missing_ok=True)
        if isinstance(err, DownloadError):
            raise DownloadError(f"{source} (mirror): {err}") from None
        raise
    return target


def fetch_file(folder: str, file: RemoteFile, *, progress: bool = True) -> Path:
    """Return the local, verified path of ``file`` of data set ``folder``, fetching it once.

    The cache is trusted once a file is in place (it only ever receives verified files).
    """
    target = data_home() / folder / file.name
    if target.exists():
        return target
    origin_target = target if file.origin_name is None else data_home() / folder / file.origin_name
    if origin_target.exists():
        return origin_target
    mirror = mirror_location()
    if mirror is not None:
        parsed = urllib.parse.urlparse(mirror)
        if parsed.scheme in ("http", "https"):
            url = mirror.rstrip("/") + f"/{folder}/{file.name}"
            return download(url, target, expected=file.sha256, progress=progress)
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
        return download(
            file.origin, origin_target, expected=file.origin_md5, algorithm="md5", progress=progress
        )
    return download(file.origin, origin_target, expected=file.sha256, progress=progress)


def unpack(archive: Path, destination: Path, *, flatten: bool = False) -> Path:
    """Unpack a .zip or .tar(.gz) ``archive`` into ``destination`` (once; atomically).

    With ``flatten`` every member's file lands directly in ``destination`` (for zips whose files
    sit in a sub-folder in some releases and not in others). A truncated or corrupt archive raises
    :class:`DataError` naming it; nothing is left behind.
    """
    if destination.is_dir():
        return destination
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                bad = zf.testzip()
                if bad is not None:
                    raise DataError(f"{archive}: corrupt member {bad!r} (CRC mismatch)")
                for info in zf.infolist():
                    if info.is_dir():
                        continue
                    _check_member_name(archive, info.filename)
                    name = Path(info.filename).name if flatten else info.filename
                    out = tmp / name
                    out.parent.mkdir(parents=True, exist_ok=True)
                    with zf.open(info) as src, open(out, "wb") as dst:
                        shutil.copyfileobj(src, dst)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tf:
                for member in tf:
                    if not member.isfile():
                        continue
                    _check_member_name(archive, member.name)
                    name = Path(member.name).name if flatten else member.name
                    out = tmp / name
                    out.parent.mkdir(parents=True, exist_ok=True)
                    src = tf.extractfile(member)
                    assert src is not None
                    with src, open(out, "wb") as dst:
                        shutil.copyfileobj(src, dst)
        else:
            raise DataError(f"{archive}: not a zip or tar archive (corrupt or truncated?)")
        os.replace(tmp, destination)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DataError(f"{archive}: corrupt or truncated archive ({err})") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return destination


def _check_member_name(archive: Path, name: str) -> None:
    path = Path(name)
    if path.is_absolute() or ".." in path.parts:
        raise DataError(f"{archive}: refusing unsafe member path {name!r}")
