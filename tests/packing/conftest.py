"""Packing tests run many small tensor operations: one torch thread is faster for them (and
much faster on a loaded machine), so they use one and restore the setting afterwards."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
