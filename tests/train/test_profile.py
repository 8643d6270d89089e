"""The host-sync counter and the step timer against calls whose behaviour is known."""

from __future__ import annotations

import pytest
import torch

from neuroalign.train.profile import HostSyncError, StepTimer, count_host_syncs


def test_counts_host_reads_and_blocking_copies_of_device_tensors():
    host = torch.ones(3)
    device = torch.ones(3, device="meta")
    with count_host_syncs() as calls:
        bool(host.all())  # CPU tensors: the host holds the data, nothing to wait for
        host.tolist()
        torch.tensor([1.0, 2.0], device="meta")  # a blocking host-to-device copy
        host.to("meta")  # blocking
        host.to("meta", non_blocking=True)  # not
        device + 1  # device work: no wait
        torch.tensor(3.0)
    assert calls == {"torch.tensor(..., device=meta)": 1, "to(cpu -> meta)": 1}
    with pytest.raises(HostSyncError, match="item"), count_host_syncs(strict=True):
        device.sum().item()


def test_timer_accumulates_named_sections():
    timer = StepTimer("cpu")
    for _ in range(2):
        with timer.section("a"):
            torch.ones(100).sum()
    assert set(timer.seconds()) == {"a"} and timer.seconds()["a"] > 0
    timer.reset()
    assert timer.seconds() == {}
