"""Geometry tests run torch single-threaded: the batched solvers work on many tiny matrices,
where thread hand-offs on a shared 2-core machine cost more than they save."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
