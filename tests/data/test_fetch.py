"""Fetching through real HTTP (a local server serving the mirror), checksums, resume, unpack."""

from __future__ import annotations

import http.server
import shutil
import tarfile
import threading
import zipfile
from functools import partial
from pathlib import Path

import pytest

from neuroalign.data import fetch as fetch_module
from neuroalign.data.catalog import get_dataset
from neuroalign.data.fetch import RemoteFile, download, fetch_file, unpack
from neuroalign.errors import DataError, DownloadError
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
    monkeypatch.setenv("NEUROALIGN_MIRROR", serve(tmp_path / "mirror"))
    dataset = get_dataset("kriegeskorte2008")
    with pytest.raises(DownloadError, match="sha256 mismatch"):
        fetch_file(dataset.folder, dataset.file("92_modelRDMs.mat"), progress=False)
    assert not any((home / "kriegeskorte92").iterdir())
    # the same through a local-folder mirror
    monkeypatch.setenv("NEUROALIGN_MIRROR", str(tmp_path / "mirror"))
    with pytest.raises(DownloadError, match="92_modelRDMs.mat"):
        fetch_file(dataset.folder, dataset.file("92_modelRDMs.mat"), progress=False)
    assert not any((home / "kriegeskorte92").iterdir())


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


def test_unpack_zip_flatten_and_truncated_archives(shared_data, tmp_path):
    zip_path = shared_data / "v4_cowley2023" / "images_210325.zip"
    out = unpack(zip_path, tmp_path / "imgs", flatten=True)
    assert len(list(out.glob("image*.jpg"))) == 640
    truncated = tmp_path / "bad.zip"
    truncated.write_bytes(zip_path.read_bytes()[:100_000])
    with pytest.raises(DataError, match="bad.zip"):
        unpack(truncated, tmp_path / "bad")
    assert not (tmp_path / "bad").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".bad")]
    tar_path = tmp_path / "bad.tar.gz"
    with tarfile.open(tar_path, "w:gz") as tf:
        tf.add(zip_path, arcname="x.zip")
    tar_path.write_bytes(tar_path.read_bytes()[:50_000])
    with pytest.raises(DataError, match="bad.tar.gz"):
        unpack(tar_path, tmp_path / "bad2")
    assert not (tmp_path / "bad2").exists()


def test_unpack_refuses_unsafe_member_paths(tmp_path):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../escape.txt", "x")
    with pytest.raises(DataError, match="unsafe"):
        unpack(evil, tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()


def test_data_home_defaults_to_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("NEUROALIGN_HOME", raising=False)
    monkeypatch.setattr("platformdirs.user_cache_dir", lambda name: str(tmp_path / name))
    assert fetch_module.data_home() == tmp_path / "neuroalign"
    shutil.rmtree(tmp_path / "neuroalign")
