"""Atomic writes leave either the old file or the new one, never a partial one; file modes
follow the umask; a file lock excludes other processes and dies with its holder."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import neuroalign.io
from neuroalign.io import (
    atomic_link,
    atomic_path,
    atomic_write,
    current_umask,
    file_lock,
    sha256_file,
)


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


def test_atomic_link_shares_one_copy_until_either_name_is_rewritten(tmp_path):
    source, target = tmp_path / "epoch_0003.pt", tmp_path / "last.pt"
    source.write_bytes(b"step 3")
    target.write_bytes(b"step 2")
    atomic_link(source, target)
    assert target.read_bytes() == b"step 3"
    assert os.path.samefile(source, target)  # one file on disk, two names
    with atomic_write(target, "wb") as handle:  # how every later write replaces a name
        handle.write(b"step 4")
    assert (source.read_bytes(), target.read_bytes()) == (b"step 3", b"step 4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["epoch_0003.pt", "last.pt"]


def test_atomic_link_copies_where_hard_links_are_refused(tmp_path, monkeypatch):
    def no_links(*args):
        raise PermissionError("hard links are not supported here")

    monkeypatch.setattr(os, "link", no_links)
    source = tmp_path / "a"
    source.write_bytes(b"content")
    atomic_link(source, tmp_path / "b")
    assert (tmp_path / "b").read_bytes() == b"content"
    assert not os.path.samefile(source, tmp_path / "b")


@pytest.mark.parametrize("umask", [0o027, 0o002, 0o077])
def test_written_files_honour_the_umask(tmp_path, umask):
    """Like ``open()``: 0o666 minus the umask (mkstemp alone would give 0o600)."""
    old = os.umask(umask)
    try:
        assert current_umask() == umask
        with atomic_write(tmp_path / "a.txt") as handle:
            handle.write("x")
        with atomic_path(tmp_path / "b.npy", suffix=".npy") as tmp:
            tmp.write_bytes(b"x")
    finally:
        os.umask(old)
    for name in ("a.txt", "b.npy"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~umask


def test_sha256_file(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"neuroalign" * 100_000)
    assert sha256_file(path, chunk_size=4096) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_file_lock_admits_one_holder_at_a_time(tmp_path):
    holders, most = [], []

    def work():
        for _ in range(20):
            with file_lock(tmp_path / ".entry.lock"):
                holders.append(1)
                most.append(len(holders))
                time.sleep(0.001)
                holders.pop()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(most) == 80 and max(most) == 1
    assert not (tmp_path / ".entry.lock").exists()  # removed by the last holder


_HOLDER = """
import importlib.util, sys, time
from pathlib import Path

spec = importlib.util.spec_from_file_location("neuroalign_io", sys.argv[1])
io = importlib.util.module_from_spec(spec)
spec.loader.exec_module(io)
with io.file_lock(sys.argv[2]):
    Path(sys.argv[3]).touch()
    time.sleep(120)
"""


def test_file_lock_waits_for_another_process_and_is_released_when_it_is_killed(tmp_path):
    lock, held = tmp_path / ".entry.lock", tmp_path / "held"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, neuroalign.io.__file__, str(lock), str(held)]
    )
    try:
        deadline = time.monotonic() + 60
        while not held.exists():
            assert time.monotonic() < deadline and holder.poll() is None
            time.sleep(0.01)
        acquired = threading.Event()

        def wait_for_lock():
            with file_lock(lock):
                acquired.set()

        waiter = threading.Thread(target=wait_for_lock)
        waiter.start()
        assert not acquired.wait(0.5)  # the other process holds it
        holder.send_signal(signal.SIGKILL)  # no clean-up runs: the kernel releases the lock
        assert acquired.wait(10)
        waiter.join()
    finally:
        holder.kill()
        holder.wait()
    assert not lock.exists()  # the killed holder's lock file was taken over and removed


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
