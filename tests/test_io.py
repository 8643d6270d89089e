"""Atomic writes leave either the old file or the new one, never a partial one."""

from __future__ import annotations

import hashlib

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
