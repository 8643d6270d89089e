"""Archives are unpacked once, atomically, and only within limits derived from their content.

The malicious archives are built on the fly: a zip bomb whose members declare a modest size
over the limit, archives with more members than allowed (the limit lowered in the test), a
member that yields more bytes than it declares, unsafe paths, truncated and corrupt archives.
"""

from __future__ import annotations

import io
import os
import tarfile
import zipfile

import pytest

from neuroalign.data.archives import (
    LIMIT_FACTOR_ENV,
    ArchiveLimits,
    archive_members,
    image_archive_limits,
    unpack,
)
from neuroalign.errors import DataError

#: Six 112x112 images: 216,064 bytes for one member, 1.5 MB in all at most.
SIX_IMAGES = image_archive_limits(6, 112, 112)


def _zip(path, members: dict[str, bytes], method=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression=method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _tar(path, members: dict[str, bytes]):
    with tarfile.open(path, "w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def _nothing_left(tmp_path, name: str) -> bool:
    """Neither the destination ``name`` nor a temporary folder or lock of it is left."""
    return not [p for p in tmp_path.iterdir() if p.name == name or p.name.startswith(f".{name}.")]


def test_image_archive_limits_from_image_size():
    limits = image_archive_limits(6, 112, 112)
    raw = 3 * 112 * 112
    assert limits.max_members == 2 * 6 + 64
    assert limits.max_member_bytes == 4 * raw + 64 * 1024 == 216_064
    assert limits.max_total_bytes == 6 * (2 * raw + 4096) + 2**20
    assert limits.content == "6 images of 112x112 pixels"
    assert limits.scaled(10).max_total_bytes == 10 * limits.max_total_bytes


def test_unpack_zip_flatten_and_truncated_archives(shared_data, tmp_path):
    zip_path = shared_data / "v4_cowley2023" / "images_210325.zip"
    limits = image_archive_limits(640, 112, 112)
    out = unpack(zip_path, tmp_path / "imgs", limits=limits, flatten=True)
    assert len(list(out.glob("image*.jpg"))) == 640
    truncated = tmp_path / "bad.zip"
    truncated.write_bytes(zip_path.read_bytes()[:100_000])
    with pytest.raises(DataError, match="bad.zip"):
        unpack(truncated, tmp_path / "bad", limits=limits)
    assert _nothing_left(tmp_path, "bad")
    tar_path = tmp_path / "bad.tar.gz"
    with tarfile.open(tar_path, "w:gz") as tf:
        tf.add(zip_path, arcname="x.zip")
    tar_path.write_bytes(tar_path.read_bytes()[:50_000])
    with pytest.raises(DataError, match="bad.tar.gz"):
        unpack(tar_path, tmp_path / "bad2", limits=ArchiveLimits(9, 10**7, 10**7, "a zip"))
    assert _nothing_left(tmp_path, "bad2")


def test_corrupt_member_is_refused_while_extracting(tmp_path):
    """No ``testzip`` pass: the CRC is checked as each member is read."""
    good = _zip(tmp_path / "good.zip", {"a.jpg": b"x" * 5000}, method=zipfile.ZIP_STORED)
    data = bytearray(good.read_bytes())
    data[data.index(b"x" * 100) + 50] = ord("y")  # flip one byte of the stored member
    bad = tmp_path / "crc.zip"
    bad.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"crc.zip:a.jpg: corrupt .*CRC"):
        unpack(bad, tmp_path / "crc", limits=SIX_IMAGES)
    assert _nothing_left(tmp_path, "crc")


def test_unpack_refuses_unsafe_member_paths(tmp_path):
    evil = _zip(tmp_path / "evil.zip", {"../escape.txt": b"x"})
    with pytest.raises(DataError, match="unsafe"):
        unpack(evil, tmp_path / "out", limits=SIX_IMAGES)
    assert not (tmp_path / "escape.txt").exists()
    evil_tar = _tar(tmp_path / "evil.tar.gz", {"/etc/escape.txt": b"x"})
    with pytest.raises(DataError, match="unsafe"):
        unpack(evil_tar, tmp_path / "out", limits=SIX_IMAGES)


def test_zip_bomb_is_refused_from_its_declared_sizes(tmp_path, monkeypatch):
    # 2 MB of zeros per member (9x the per-member limit) compress to ~2 KB each
    bomb = _zip(tmp_path / "bomb.zip", {f"image{k:04d}.jpg": bytes(2_000_000) for k in range(3)})
    assert bomb.stat().st_size < 20_000

    def decompress(*args, **kwargs):
        raise AssertionError("a member was decompressed")

    with monkeypatch.context() as patch:  # the central directory alone must decide
        patch.setattr(zipfile.ZipFile, "open", decompress)
        with pytest.raises(DataError) as err:
            unpack(bomb, tmp_path / "bomb", limits=SIX_IMAGES)
    message = str(err.value)
    assert message.startswith(f"{bomb}: member 'image0000.jpg' declares 2.0 MB uncompressed")
    assert "over 216.1 kB per member (limit for 6 images of 112x112 pixels)" in message
    assert f"{LIMIT_FACTOR_ENV}=<factor> (now 1)" in message
    assert _nothing_left(tmp_path, "bomb")
    # genuine data that is larger than expected: raise the limits
    monkeypatch.setenv(LIMIT_FACTOR_ENV, "10")
    out = unpack(bomb, tmp_path / "bomb", limits=SIX_IMAGES)
    assert sorted(p.stat().st_size for p in out.iterdir()) == [2_000_000] * 3


def test_total_size_is_limited_too(tmp_path):
    # 7 members of 200 kB each pass the per-member limit but not the total for 2 images
    archive = _zip(tmp_path / "big.zip", {f"{k}.jpg": bytes(200_000) for k in range(7)})
    limits = image_archive_limits(2, 112, 112)
    with pytest.raises(DataError, match=r"big.zip: members declare more than 1.2 MB .* 2 images"):
        unpack(archive, tmp_path / "big", limits=limits)
    assert _nothing_left(tmp_path, "big")


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_too_many_members_are_refused(tmp_path, kind):
    members = {f"d/{k}.jpg": b"x" for k in range(200)}
    archive = (_zip if kind == "zip" else _tar)(tmp_path / f"many.{kind}", members)
    limits = ArchiveLimits(50, 10**6, 10**6, content="50 small files")
    with pytest.raises(DataError, match=r"more than 50 members \(limit for 50 small files\)"):
        unpack(archive, tmp_path / "many", limits=limits)
    assert _nothing_left(tmp_path, "many")
    assert len(list(archive_members(archive, limits.scaled(4)))) == 200


def test_tar_member_headers_are_checked_before_reading(tmp_path, monkeypatch):
    archive = _tar(tmp_path / "bomb.tar.gz", {"a.jpg": bytes(2_000_000)})

    def read(*args, **kwargs):
        raise AssertionError("a member was decompressed")

    monkeypatch.setattr(tarfile.TarFile, "extractfile", read)
    with pytest.raises(DataError, match="'a.jpg' declares 2.0 MB"):
        unpack(archive, tmp_path / "bomb", limits=SIX_IMAGES)


def test_member_yielding_more_than_it_declares_is_stopped(tmp_path, monkeypatch):
    archive = _zip(tmp_path / "liar.zip", {"a.jpg": b"x" * 100})
    # a decompressor that keeps going past the declared size (zipfile itself stops there)
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, info: io.BytesIO(b"x" * 10**6))
    with pytest.raises(DataError, match="liar.zip:a.jpg: more bytes than the size the archive"):
        unpack(archive, tmp_path / "liar", limits=SIX_IMAGES)
    assert _nothing_left(tmp_path, "liar")


def test_unbounded_compression_methods_are_refused(tmp_path):
    archive = _zip(tmp_path / "bz.zip", {"a.jpg": b"x" * 100}, method=zipfile.ZIP_BZIP2)
    with pytest.raises(DataError, match="'a.jpg' uses compression method 12"):
        unpack(archive, tmp_path / "bz", limits=SIX_IMAGES)


def test_bad_limit_factor_is_named(tmp_path, monkeypatch):
    archive = _zip(tmp_path / "a.zip", {"a.jpg": b"x"})
    monkeypatch.setenv(LIMIT_FACTOR_ENV, "lots")
    with pytest.raises(ValueError, match=f"{LIMIT_FACTOR_ENV}='lots': expected a positive"):
        unpack(archive, tmp_path / "a", limits=SIX_IMAGES)


@pytest.mark.parametrize("umask", [0o027, 0o002])
def test_unpacked_folder_honours_the_umask(tmp_path, umask):
    archive = _zip(tmp_path / "a.zip", {"sub/a.jpg": b"x", "b.jpg": b"y"})
    old = os.umask(umask)
    try:
        out = unpack(archive, tmp_path / "a", limits=SIX_IMAGES)
    finally:
        os.umask(old)
    for path in (out, out / "sub"):
        assert path.stat().st_mode & 0o777 == 0o777 & ~umask
    for path in (out / "b.jpg", out / "sub" / "a.jpg"):
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_killed_unpackers_temporary_folder_is_removed(tmp_path):
    archive = _zip(tmp_path / "a.zip", {"a.jpg": b"x"})
    orphan = tmp_path / ".a.k1ll3d"  # what mkdtemp made for a process killed while unpacking
    (orphan / "sub").mkdir(parents=True)
    (orphan / "sub" / "half.jpg").write_bytes(b"x")
    unpack(archive, tmp_path / "a", limits=SIX_IMAGES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "a.zip"]
