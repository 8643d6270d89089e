"""The models tests run on one torch thread (see `one_torch_thread` in tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _single_thread(one_torch_thread):
    yield
