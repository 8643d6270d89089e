"""Test-wide settings: real mirrored data, an isolated cache, the `gpu` marker, and the test
folders that run on one torch thread."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
SHARED_DATA = REPO.parent / "shared" / "data"

# Tests read the real mirrored data through the same loaders users get: point the mirror at
# ../shared/data unless the caller chose another, and keep the test cache inside the repo
# (ignored by git) so that decoded data sets are reused between runs.
os.environ.setdefault("NEUROALIGN_MIRROR", str(SHARED_DATA))
os.environ.setdefault("NEUROALIGN_HOME", str(REPO / ".cache" / "test-home"))
os.environ.setdefault("BS_INSTALL_DEPENDENCIES", "no")
os.environ.setdefault("RESULTCACHING_DISABLE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

#: Test folders whose tests all run on one torch thread (see `one_torch_thread`): many small
#: convolutions, batched tiny solves and particle updates. Other tests ask for the fixture.
ONE_THREAD_FOLDERS = frozenset({"backbones", "geometry", "packing", "tracking", "train"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except ImportError:
        has_cuda = False
    if has_cuda:
        return
    skip_gpu = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip_gpu)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The mirrored real data (../shared/data); tests that need it skip if it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data (the data mirror) is not present")
    return SHARED_DATA


@pytest.fixture
def one_torch_thread():
    """Run a test on one torch intra-op thread (restored afterwards).

    Many small convolutions and batched tiny solves are faster on one thread than with two
    OpenMP threads spinning on a small (or shared) 2-core machine; no result depends on it.
    Every test in `ONE_THREAD_FOLDERS` uses it; other tests ask for it by name.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _one_thread_folders(request: pytest.FixtureRequest) -> None:
    """Apply `one_torch_thread` to every test in the folders of `ONE_THREAD_FOLDERS`."""
    path = Path(request.path).resolve()
    if path.is_relative_to(TESTS) and path.relative_to(TESTS).parts[0] in ONE_THREAD_FOLDERS:
        request.getfixturevalue("one_torch_thread")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now (for torchrun's master or a local server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


#: The smallest training run the loop tests share: ResNet-18 (CIFAR stem) on 8x8 crops of
#: synthetic images, batch 8 x 2 views, no kNN, no TensorBoard, no progress bar. Tests add what
#: they exercise: ``TrainConfig(**{**TINY_TRAIN, "epochs": 4}, output_dir=...)``.
TINY_TRAIN = dict(
    arch="resnet18",
    head_dims=(32, 16),
    views=2,
    batch_size=8,
    warmup_epochs=0.5,
    dataset="synthetic",
    image_size=8,
    knn_every_epochs=0,
    progress=False,
    tensorboard=False,
)
