"""Reading zip and tar archives within limits derived from what they should hold.

Catalog files are verified by sha256, but archives in a user's ``--data-root`` folder are not:
a 1 MB zip can expand to gigabytes, or hold hundreds of thousands of files. Every archive is
therefore read against :class:`ArchiveLimits` (a member count and per-member / total
uncompressed sizes), usually :func:`image_archive_limits` for N images of a known size. The
sizes the archive declares (zip central directory, tar headers) are checked before a member is
read, so nothing is decompressed just to be measured, and reading stops if a member yields more
bytes than it declared. ``NEUROALIGN_ARCHIVE_LIMIT_FACTOR`` multiplies every limit for genuine
data larger than expected.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import IO

from neuroalign.errors import DataError
from neuroalign.io import apply_umask, file_lock

__all__ = [
    "LIMIT_FACTOR_ENV",
    "ArchiveLimits",
    "archive_members",
    "image_archive_limits",
    "unpack",
]

LIMIT_FACTOR_ENV = "NEUROALIGN_ARCHIVE_LIMIT_FACTOR"
_CHUNK = 1 << 16
#: What zipfile / tarfile / zlib raise on a corrupt or truncated archive.
_CORRUPT = (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, OSError)


@dataclass(frozen=True)
class ArchiveLimits:
    """Upper bounds on an archive's content; ``content`` says what it should hold (for errors).

    ``max_members`` counts every entry (folders too); sizes are uncompressed bytes.
    """

    max_members: int
    max_member_bytes: int
    max_total_bytes: int
    content: str

    def scaled(self, factor: float) -> ArchiveLimits:
        """Every limit multiplied by ``factor``."""
        return replace(
            self,
            max_members=math.ceil(self.max_members * factor),
            max_member_bytes=math.ceil(self.max_member_bytes * factor),
            max_total_bytes=math.ceil(self.max_total_bytes * factor),
        )


def image_archive_limits(n_images: int, height: int, width: int) -> ArchiveLimits:
    """Limits for an archive of ``n_images`` RGB images of ``height`` x ``width`` pixels.

    With ``raw = 3 * height * width`` bytes of pixels: an image file averages at most
    ``2 * raw + 4 KiB`` (a JPEG of pure noise at quality 100 is ~1.5 raw, a PNG or BMP ~raw),
    so the total may reach ``n_images`` such files + 1 MiB of other files; one member may reach
    ``4 * raw + 64 KiB`` (headers, EXIF, a colour profile); the count ``2 * n_images + 64``
    (folders, a readme, macOS ``._`` twins).
    """
    raw = 3 * height * width
    return ArchiveLimits(
        max_members=2 * n_images + 64,
        max_member_bytes=4 * raw + (64 << 10),
        max_total_bytes=n_images * (2 * raw + (4 << 10)) + (1 << 20),
        content=f"{n_images} images of {height}x{width} pixels",
    )


def _limit_factor() -> float:
    text = os.environ.get(LIMIT_FACTOR_ENV, "").strip()
    if not text:
        return 1.0
    try:
        factor = float(text)
    except ValueError:
        factor = math.nan
    if not factor > 0 or math.isinf(factor):
        raise ValueError(f"{LIMIT_FACTOR_ENV}={text!r}: expected a positive number (e.g. 10)")
    return factor


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"


class _Checker:
    """Counts members and declared bytes against the limits; raises naming archive and limit."""

    def __init__(self, archive: Path, limits: ArchiveLimits):
        self.archive = archive
        self.factor = _limit_factor()
        self.limits = limits.scaled(self.factor)
        self.members = 0
        self.total = 0

    def _refuse(self, what: str) -> DataError:
        return DataError(
            f"{self.archive}: {what} (limit for {self.limits.content}); if the archive is "
            f"genuine, raise every limit with {LIMIT_FACTOR_ENV}=<factor> (now {self.factor:g})"
        )

    def member(self, name: str, declared: int) -> None:
        self.members += 1
        if self.members > self.limits.max_members:
            raise self._refuse(f"more than {self.limits.max_members} members")
        if declared > self.limits.max_member_bytes:
            raise self._refuse(
                f"member {name!r} declares {_size(declared)} uncompressed, over "
                f"{_size(self.limits.max_member_bytes)} per member"
            )
        self.total += declared
        if self.total > self.limits.max_total_bytes:
            raise self._refuse(
                f"members declare more than {_size(self.limits.max_total_bytes)} uncompressed in all"
            )


class _Bounded:
    """A binary reader that refuses to yield more than ``declared`` bytes."""

    def __init__(self, source: IO[bytes], declared: int, label: str):
        self.source, self.left, self.label = source, declared, label

    def read(self, n: int = -1) -> bytes:
        want = self.left + 1 if n is None or n < 0 else min(n, self.left + 1)
        try:
            data = self.source.read(want)
        except _CORRUPT as err:
            raise DataError(f"{self.label}: corrupt or truncated member ({err})") from None
        self.left -= len(data)
        if self.left < 0:
            raise DataError(f"{self.label}: more bytes than the size the archive declares")
        return data


def _check_name(archive: Path, name: str) -> None:
    path = PurePosixPath(name.replace("\\", "/"))
    if not path.name or path.is_absolute() or ".." in path.parts:
        raise DataError(f"{archive}: refusing unsafe member path {name!r}")


def _zip_members(archive: Path, checker: _Checker) -> Iterator[tuple[str, IO[bytes]]]:
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        for info in infos:  # the central directory, checked before anything is decompressed
            checker.member(info.filename, info.file_size)
            if info.is_dir():
                continue
            _check_name(archive, info.filename)
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise DataError(
                    f"{archive}: member {info.filename!r} uses compression method "
                    f"{info.compress_type}; only stored or deflated members are read (their "
                    "expansion can be bounded): repack it with plain zip"
                )
        for info in infos:
            if not info.is_dir():
                with zf.open(info) as src:
                    label = f"{archive}:{info.filename}"
                    yield info.filename, _Bounded(src, info.file_size, label)


def _tar_members(archive: Path, checker: _Checker) -> Iterator[tuple[str, IO[bytes]]]:
    with tarfile.open(archive) as tf:
        for member in tf:  # each header is checked before its member is read
            checker.member(member.name, member.size if member.isfile() else 0)
            if not member.isfile():
                continue
            _check_name(archive, member.name)
            src = tf.extractfile(member)
            assert src is not None
            with src:
                yield member.name, _Bounded(src, member.size, f"{archive}:{member.name}")


def archive_members(archive: Path, limits: ArchiveLimits) -> Iterator[tuple[str, IO[bytes]]]:
    """Yield ``(member name, binary reader)`` for every regular file of a zip or tar archive.

    Raises :class:`DataError` naming ``archive`` when it is neither, is corrupt or truncated,
    holds an unsafe path (absolute or ``..``), or exceeds ``limits`` (scaled by
    ``$NEUROALIGN_ARCHIVE_LIMIT_FACTOR``). A zip is checked whole before its first member is
    read; a tar member by member, as its headers arrive (stop using the members on error).
    """
    archive = Path(archive)
    checker = _Checker(archive, limits)
    try:
        if zipfile.is_zipfile(archive):
            yield from _zip_members(archive, checker)
        elif tarfile.is_tarfile(archive):
            yield from _tar_members(archive, checker)
        else:
            raise DataError(f"{archive}: not a zip or tar archive (corrupt or truncated?)")
    except _CORRUPT as err:
        raise DataError(f"{archive}: corrupt or truncated archive ({err})") from None


def unpack(
    archive: Path, destination: Path, *, limits: ArchiveLimits, flatten: bool = False
) -> Path:
    """Unpack a .zip or .tar(.gz) ``archive`` into the folder ``destination``, once.

    The members are written into a temporary folder beside ``destination`` that is renamed into
    place when complete, under a lock, so concurrent processes unpack it once and nothing
    half-written is left behind (a killed unpacker's temporary folder is removed by the next
    one); folder and files get the usual umask-based modes. With
    ``flatten`` every file lands directly in ``destination`` (for zips whose files sit in a
    sub-folder in some releases and not in others). Bad or oversized archives raise
    :class:`DataError` (see :func:`archive_members`).
    """
    if destination.is_dir():
        return destination
    with file_lock(destination.with_name(f".{destination.name}.lock")):
        if destination.is_dir():  # another process unpacked it while we waited
            return destination
        for orphan in destination.parent.glob(f".{destination.name}.*"):
            if orphan.is_dir():  # left by a killed unpacker (only the lock holder makes one)
                shutil.rmtree(orphan, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
        try:
            with contextlib.closing(archive_members(archive, limits)) as members:
                for name, src in members:
                    out = tmp / (PurePosixPath(name).name if flatten else name)
                    out.parent.mkdir(parents=True, exist_ok=True)
                    with open(out, "wb") as dst:
                        shutil.copyfileobj(src, dst, _CHUNK)
            apply_umask(tmp)
            os.replace(tmp, destination)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return destination
