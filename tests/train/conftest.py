"""Fixtures of the training tests."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def single_thread():
    """Run training tests on one intra-op thread.

    On a small shared machine two spinning OpenMP threads per process make small convolutions
    several times slower; results do not depend on it (resume tests compare runs made under
    the same setting).
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
