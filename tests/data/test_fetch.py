"""Fetching through real HTTP (a local server serving the mirror), checksums, resume, and
concurrent fetches by real processes."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path
from typing import ClassVar

import pytest

from neuroalign.data import fetch as fetch_module
from neuroalign.data.catalog import get_dataset
from neuroalign.data.fetch import RemoteFile, download, fetch_file
from neuroalign.errors import DownloadError
from neuroalign.io import sha256_file


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with HTTP Range support (like a real file server), quiet logs."""

    supports_range = True

    def log_message(self, *args):
        pass

    def send_head(self):
        range_header = self.headers.get("Range")
        if not (self.supports_range and range_header and range_header.startswith("bytes=")):
            return super().send_head()
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            self.send_error(404)
            return None
        start = int(range_header[len("bytes=") :].split("-")[0])
        size = path.stat().st_size
        if start >= size:
            self.send_error(416)
            return None
        handle = open(path, "rb")
        handle.seek(start)
        self.send_response(206)
        self.send_header("Content-Length", str(size - start))
        self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        self.end_headers()
        return handle


class NoRangeHandler(RangeHandler):
    supports_range = False


class SlowHandler(RangeHandler):
    """Serves 64 KiB every 30 ms (about 2 MB/s), so that concurrent downloads overlap; records
    each request's Range header in ``ranges`` (subclass it per test)."""

    ranges: ClassVar[list[str | None]] = []

    def send_head(self):
        self.ranges.append(self.headers.get("Range"))
        return super().send_head()

    def copyfile(self, source, outputfile):
        for chunk in iter(lambda: source.read(1 << 16), b""):
            outputfile.write(chunk)
            outputfile.flush()
            time.sleep(0.03)


@pytest.fixture
def serve():
    servers = []

    def start(directory: Path, handler=RangeHandler) -> str:
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), partial(handler, directory=str(directory))
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("NEUROALIGN_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_fetch_over_http_mirror_verifies_sha256(shared_data, serve, home, monkeypatch):
    monkeypatch.setenv("NEUROALIGN_MIRROR", serve(shared_data))
    dataset = get_dataset("kriegeskorte2008")
    spec = dataset.file("92_modelRDMs.mat")
    path = fetch_file(dataset.folder, spec, progress=False)
    assert path == home / "kriegeskorte92" / "92_modelRDMs.mat"
    assert sha256_file(path) == spec.sha256
    assert not list(path.parent.glob("*.part"))


def test_checksum_mismatch_is_refused_and_leaves_nothing(
    shared_data, serve, home, tmp_path, monkeypatch
):
    mirror = tmp_path / "mirror" / "kriegeskorte92"
    mirror.mkdir(parents=True)
    data = (shared_data / "kriegeskorte92" / "92_modelRDMs.mat").read_bytes()
    (mirror / "92_modelRDMs.mat").write_bytes(data[:-10] + b"0123456789")  # tampered
    url = serve(tmp_path / "mirror")
    monkeypatch.setenv("NEUROALIGN_MIRROR", url)
    dataset = get_dataset("kriegeskorte2008")
    cached = home / "kriegeskorte92" / "92_modelRDMs.mat"
    # the message names where the bytes came from and the cache entry, not a deleted temp file
    with pytest.raises(DownloadError, match="sha256 mismatch") as err:
        fetch_file(dataset.folder, dataset.file("92_modelRDMs.mat"), progress=False)
    assert str(err.value).startswith(f"{url}/kriegeskorte92/92_modelRDMs.mat: sha256 mismatch")
    assert str(err.value).endswith(f"not cached as {cached}") and ".part" not in str(err.value)
    assert not any((home / "kriegeskorte92").iterdir())
    # the same through a local-folder mirror
    monkeypatch.setenv("NEUROALIGN_MIRROR", str(tmp_path / "mirror"))
    with pytest.raises(DownloadError, match="sha256 mismatch") as err:
        fetch_file(dataset.folder, dataset.file("92_modelRDMs.mat"), progress=False)
    assert str(err.value).startswith(f"{mirror / '92_modelRDMs.mat'} (mirror): sha256 mismatch")
    assert str(err.value).endswith(f"not cached as {cached}") and ".part" not in str(err.value)
    assert not any((home / "kriegeskorte92").iterdir())


def test_a_killed_copys_temporary_file_is_removed(shared_data, home, monkeypatch):
    monkeypatch.setenv("NEUROALIGN_MIRROR", str(shared_data))
    dataset = get_dataset("kriegeskorte2008")
    folder = home / "kriegeskorte92"
    folder.mkdir(parents=True)
    (folder / ".92_modelRDMs.mat.part-k1ll3d").write_bytes(b"half")  # from a killed process
    fetch_file(dataset.folder, dataset.file("92_modelRDMs.mat"), progress=False)
    assert sorted(p.name for p in folder.iterdir()) == ["92_modelRDMs.mat"]


def test_cached_files_honour_the_umask(shared_data, serve, home, monkeypatch):
    dataset = get_dataset("kriegeskorte2008")
    old = os.umask(0o027)
    try:
        for mirror in (str(shared_data), serve(shared_data)):
            monkeypatch.setenv("NEUROALIGN_MIRROR", mirror)
            path = fetch_file(dataset.folder, dataset.file("92_modelRDMs.mat"), progress=False)
            assert path.stat().st_mode & 0o777 == 0o640, mirror
            path.unlink()
    finally:
        os.umask(old)


@pytest.mark.parametrize("handler", [RangeHandler, NoRangeHandler])
def test_interrupted_download_resumes(shared_data, serve, tmp_path, handler):
    source = shared_data / "kriegeskorte92" / "92_modelRDMs.mat"
    url = serve(source.parent, handler) + "/92_modelRDMs.mat"
    target = tmp_path / "out" / source.name
    target.parent.mkdir()
    # an earlier run died half-way: half the bytes are in the .part file
    data = source.read_bytes()
    target.with_name(target.name + ".part").write_bytes(data[: len(data) // 2])
    download(url, target, expected=sha256_file(source), progress=False)
    assert target.read_bytes() == data
    assert not target.with_name(target.name + ".part").exists()


def test_missing_file_in_mirror_and_unreachable_origin(tmp_path, home, monkeypatch):
    monkeypatch.setenv("NEUROALIGN_MIRROR", str(tmp_path / "empty"))
    with pytest.raises(DownloadError, match="not found in the mirror"):
        fetch_file("x", RemoteFile("a.bin", None), progress=False)
    monkeypatch.delenv("NEUROALIGN_MIRROR")
    with pytest.raises(DownloadError, match="NEUROALIGN_MIRROR"):
        fetch_file("x", RemoteFile("a.bin", None, origin=None), progress=False)
    with pytest.raises(DownloadError, match="cannot download"):
        fetch_file(
            "x", RemoteFile("a.bin", None, origin="http://127.0.0.1:9/a.bin"), progress=False
        )


def test_data_home_defaults_to_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("NEUROALIGN_HOME", raising=False)
    monkeypatch.setattr("platformdirs.user_cache_dir", lambda name: str(tmp_path / name))
    assert fetch_module.data_home() == tmp_path / "neuroalign"
    shutil.rmtree(tmp_path / "neuroalign")


# -- concurrent fetches by real processes ------------------------------------------------------

_WORKER = """
import json, sys, time
from pathlib import Path
from typing import ClassVar

from neuroalign.data import cowley2023_stimulus_set, fetch_file, get_dataset

result_file, go, task = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
if task == "images":  # slow unpacking down (2 ms per member) so that the processes overlap
    import zipfile

    open_member = zipfile.ZipFile.open

    def slow_open(self, *args, **kwargs):
        time.sleep(0.002)
        return open_member(self, *args, **kwargs)

    zipfile.ZipFile.open = slow_open
result_file.with_suffix(".ready").touch()
while not go.exists():
    time.sleep(0.005)
start = time.time()
if task == "images":  # fetch the session's files, then unpack its 400 images
    result = len(cowley2023_stimulus_set("210305"))
else:
    dataset = get_dataset("cowley2023")
    result = str(fetch_file(dataset.folder, dataset.file(task), progress=False))
result_file.write_text(json.dumps({"start": start, "end": time.time(), "result": result}))
"""


def _start_worker(tmp_path: Path, index: int, task: str, env: dict) -> subprocess.Popen:
    script = tmp_path / "worker.py"
    script.write_text(_WORKER)
    result = tmp_path / f"result{index}.json"
    return subprocess.Popen(
        [sys.executable, str(script), str(result), str(tmp_path / "go"), task],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_until(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _run_two_workers(tmp_path: Path, task: str, env: dict) -> list[dict]:
    """Start two processes, release them at once, return their results (both must succeed)."""
    workers = [_start_worker(tmp_path, i, task, env) for i in range(2)]
    _wait_until(lambda: all((tmp_path / f"result{i}.ready").exists() for i in range(2)))
    (tmp_path / "go").touch()
    for worker in workers:
        _, stderr = worker.communicate(timeout=300)
        assert worker.returncode == 0, stderr[-3000:]
    results = [json.loads((tmp_path / f"result{i}.json").read_text()) for i in range(2)]
    # the two really ran at the same time (else this test would show nothing)
    assert max(r["start"] for r in results) < min(r["end"] for r in results)
    return results


def _leftovers(folder: Path) -> list[str]:
    """Temporary files, partial downloads and locks left anywhere under ``folder``."""
    return [p.name for p in folder.rglob("*") if p.name.startswith(".") or ".part" in p.name]


@pytest.mark.slow
def test_two_processes_fetch_and_unpack_from_a_mirror_folder(shared_data, tmp_path):
    home = tmp_path / "home"
    results = _run_two_workers(
        tmp_path, "images", {"NEUROALIGN_HOME": str(home), "NEUROALIGN_MIRROR": str(shared_data)}
    )
    assert [r["result"] for r in results] == [400, 400]
    (folder,) = (home / "v4_cowley2023" / "images").iterdir()
    assert len(list(folder.glob("image*.jpg"))) == 400
    for name in ("responses_210305.npy", "images_210305.zip"):
        spec = get_dataset("cowley2023").file(name)
        assert sha256_file(home / "v4_cowley2023" / name) == spec.sha256
    assert _leftovers(home) == []


@pytest.mark.slow
def test_two_processes_download_one_file_over_http(shared_data, serve, tmp_path):
    handler = type("Handler", (SlowHandler,), {"ranges": []})
    home = tmp_path / "home"
    env = {"NEUROALIGN_HOME": str(home), "NEUROALIGN_MIRROR": serve(shared_data, handler)}
    results = _run_two_workers(tmp_path, "images_210305.zip", env)
    path = home / "v4_cowley2023" / "images_210305.zip"
    assert {r["result"] for r in results} == {str(path)}
    assert sha256_file(path) == get_dataset("cowley2023").file("images_210305.zip").sha256
    assert handler.ranges == [None]  # downloaded once: the second process found it in place
    assert _leftovers(home) == []


@pytest.mark.slow
def test_download_killed_by_sigkill_resumes(shared_data, serve, tmp_path, monkeypatch):
    handler = type("Handler", (SlowHandler,), {"ranges": []})
    home = tmp_path / "home"
    env = {"NEUROALIGN_HOME": str(home), "NEUROALIGN_MIRROR": serve(shared_data, handler)}
    worker = _start_worker(tmp_path, 0, "images_210305.zip", env)
    _wait_until(lambda: (tmp_path / "result0.ready").exists())
    (tmp_path / "go").touch()
    part = home / "v4_cowley2023" / "images_210305.zip.part"
    _wait_until(lambda: part.exists() and part.stat().st_size >= 1 << 18)
    worker.send_signal(signal.SIGKILL)
    worker.communicate(timeout=60)
    assert worker.returncode == -signal.SIGKILL
    done = part.stat().st_size
    spec = get_dataset("cowley2023").file("images_210305.zip")
    assert 0 < done < (shared_data / "v4_cowley2023" / spec.name).stat().st_size
    # the killed process held the lock: the kernel released it, so the next fetch goes on
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    path = fetch_file("v4_cowley2023", spec, progress=False)
    assert sha256_file(path) == spec.sha256
    assert handler.ranges[0] is None and handler.ranges[1].startswith("bytes=")
    assert int(handler.ranges[1][len("bytes=") :].split("-")[0]) == done  # resumed, not restarted
    assert _leftovers(home) == []
