"""Atomic writes leave either the old file or the new one, never a partial one."""

from __future__ import annotations

import hashlib
import os

import pytest

from neuroalign.io import atomic_path, atomic_write, sha256_file


def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / "a" / "out.txt"
    with atomic_write(target) as handle:
        handle.write("first")
    assert target.read_text() == "first"
    with pytest.raises(RuntimeError), atomic_write(target) as handle:
        handle.write("partial")
        raise RuntimeError("interrupted")
    assert target.read_text() == "first"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.txt"]


def test_atomic_path_keeps_the_suffix_for_format_sniffing_writers(tmp_path):
    with atomic_path(tmp_path / "x.npy", suffix=".npy") as tmp:
        assert tmp.name.endswith(".npy") and tmp.parent == tmp_path
        tmp.write_bytes(b"123")
    assert (tmp_path / "x.npy").read_bytes() == b"123"


def test_sha256_file(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"neuroalign" * 100_000)
    assert sha256_file(path, chunk_size=4096) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_atomic_dir_swaps_a_whole_folder_in(tmp_path):
    from neuroalign.io import atomic_dir

    target = tmp_path / "plugin"
    with atomic_dir(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".plugin.tmp-")
        (tmp / "a.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_dir(target) as tmp:
        (tmp / "a.txt").write_text("half")
        raise RuntimeError("interrupted")
    assert [p.name for p in tmp_path.iterdir()] == ["plugin"]
    assert (target / "a.txt").read_text() == "old"
    with atomic_dir(target) as tmp:
        (tmp / "b.txt").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["b.txt"]  # replaced whole
    mask = os.umask(0o022)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o777 & ~mask  # not mkdtemp's 0o700
    assert [p.name for p in tmp_path.iterdir()] == ["plugin"]


def test_atomic_dir_replaces_a_link_and_removes_dead_writers_folders(tmp_path):
    from neuroalign.io import atomic_dir

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("not ours")
    target = tmp_path / "plugin"
    target.symlink_to(elsewhere, target_is_directory=True)
    dead = tmp_path / ".plugin.tmp-999999999-x"  # a writer that was killed (no such pid)
    dead.mkdir()
    alive = tmp_path / f".plugin.tmp-{os.getpid()}-y"  # one still at work
    alive.mkdir()
    with atomic_dir(target) as tmp:
        (tmp / "a.txt").write_text("new")
    assert target.is_dir() and not target.is_symlink()
    assert (elsewhere / "keep.txt").read_text() == "not ours"  # the link's folder is untouched
    assert not dead.exists() and alive.exists()
