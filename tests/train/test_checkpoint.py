"""RNG-state capture/restore survives a weights-only torch.save round trip."""

# ruff: noqa: NPY002  (the legacy global numpy generator is exactly what is saved and restored)

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from neuroalign.backbones import read_checkpoint
from neuroalign.errors import DataError
from neuroalign.train.checkpoint import (
    capture_rng_state,
    check_resume_compatible,
    restore_rng_state,
)


def _draw() -> tuple:
    return (torch.rand(3).tolist(), np.random.rand(3).tolist(), random.random(), np.random.randn())


def test_rng_round_trip_through_a_weights_only_file(tmp_path):
    torch.manual_seed(3)
    np.random.seed(3)
    random.seed(3)
    np.random.randn()  # leave a cached Gaussian in numpy's state
    torch.save({"rng": capture_rng_state()}, tmp_path / "rng.pt")
    expected = _draw()
    _draw()  # move every generator on
    restore_rng_state(torch.load(tmp_path / "rng.pt", weights_only=True)["rng"])
    assert _draw() == expected


def test_resume_compatibility_names_the_differences():
    saved = {"arch": "resnet18", "views": 4, "head_dims": [64, 32], "batch_size": 8}
    check_resume_compatible(saved, {**saved, "head_dims": (64, 32), "epochs": 5}, "x.pt")
    with pytest.raises(DataError, match="views: checkpoint 4 vs now 8"):
        check_resume_compatible(saved, {**saved, "views": 8}, "x.pt")


KILLED_WRITER = """
import sys, time
import torch
from neuroalign.backbones import write_checkpoint

def slow_save(obj, path, *args, **kwargs):  # torch.save interrupted half-way
    with open(path, "wb") as handle:
        handle.write(b"x" * 4096)
        handle.flush()
        time.sleep(120)

torch.save = slow_save
write_checkpoint({"arch": "resnet18", "model": {}, "preprocessing": {}}, sys.argv[1])
"""


@pytest.mark.slow
def test_files_left_by_a_killed_writer_are_removed_when_a_run_resumes(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    from neuroalign.train.checkpoint import RunCheckpoints

    run = RunCheckpoints(tmp_path)
    run.folder.mkdir(parents=True)
    run.last.write_bytes(b"a finished checkpoint")
    script = tmp_path / "writer.py"
    script.write_text(KILLED_WRITER)
    child = subprocess.Popen([sys.executable, str(script), str(run.last)])
    try:
        deadline = time.monotonic() + 120
        while not list(run.folder.glob(".last.pt.part-*")) and time.monotonic() < deadline:
            time.sleep(0.1)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        child.kill()
    orphans = list(run.folder.glob(".last.pt.part-*"))
    assert len(orphans) == 1 and orphans[0].stat().st_size == 4096
    assert run.last.read_bytes() == b"a finished checkpoint"  # the rename never happened
    assert run.prepare(resume=True) == orphans
    assert not list(run.folder.glob(".*.part-*")) and run.last.is_file()
    with pytest.raises(ValueError, match="already holds a run"):
        run.prepare(resume=False)


def test_resume_reads_checkpoints_onto_the_cpu(tmp_path, monkeypatch):
    """RNG states must stay on the CPU (torch.set_rng_state needs a CPU tensor); the weights
    are copied into the model wherever it lives."""
    from neuroalign.backbones import write_checkpoint
    from neuroalign.train.checkpoint import RunCheckpoints

    run = RunCheckpoints(tmp_path)
    write_checkpoint(
        {"arch": "x", "model": {}, "preprocessing": {}, "rng": capture_rng_state()}, run.last
    )
    seen = []
    real_load = torch.load

    def spy(*args, **kwargs):
        seen.append(kwargs.get("map_location"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    payload = run.read_last()
    assert seen == ["cpu"]
    assert payload["rng"]["torch"].device.type == "cpu"
    assert payload["rng"]["numpy"]["state"].device.type == "cpu"
    restore_rng_state(payload["rng"])


def test_a_tagged_checkpoint_and_last_are_one_file_on_disk(tmp_path):
    """An epoch checkpoint that is also the latest is stored once (ResNet-50 + optimiser state
    is hundreds of MB); the next write of ``last.pt`` leaves the epoch file as it was."""
    import os

    from neuroalign.train.checkpoint import RunCheckpoints

    run = RunCheckpoints(tmp_path)
    payload = {"arch": "x", "model": {}, "preprocessing": {}, "rng": capture_rng_state()}
    run.write({**payload, "step": 10}, tag="epoch_0001")
    epoch = run.folder / "epoch_0001.pt"
    assert os.path.samefile(epoch, run.last) and run.saved_step == 10
    run.write({**payload, "step": 15})
    assert not os.path.samefile(epoch, run.last)
    assert run.read_last()["step"] == 15
    assert read_checkpoint(epoch)["step"] == 10
    assert sorted(p.name for p in run.folder.iterdir()) == ["epoch_0001.pt", "last.pt"]
