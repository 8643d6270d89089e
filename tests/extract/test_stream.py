"""Streaming to netCDF equals extracting in memory, within a memory budget that bounds the
whole process's peak RSS."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from neuroalign.errors import DataError
from neuroalign.extract import extract_activations, open_assembly, stream_activations
from neuroalign.extract.stream import choose_batch_size, parse_memory

from .conftest import write_images

LAYERS = ["layer1", "layer3", "avgpool"]


def _coords(assembly, dim):
    from brainscore_core.supported_data_standards.brainio.assemblies import walk_coords

    return {name: values for name, dims, values in walk_coords(assembly) if dims == (dim,)}


def test_streaming_equals_in_memory(small_resnet18, image_files, tmp_path):
    mem = extract_activations(small_resnet18, image_files, LAYERS, batch_size=3, num_workers=0)
    paths = stream_activations(
        small_resnet18, image_files, LAYERS, tmp_path / "out", batch_size=3, num_workers=0
    )
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["layers"] == {name: f"{name}.nc" for name in LAYERS}
    for name in LAYERS:
        disk = open_assembly(paths[name])
        np.testing.assert_array_equal(disk.values, mem[name].values)
        for dim in ("presentation", "neuroid"):
            a, b = _coords(disk, dim), _coords(mem[name], dim)
            assert set(a) == set(b)
            for key in a:
                np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]))
        assert disk.attrs["weights_sha256"] == mem[name].attrs["weights_sha256"]


def test_memory_budget_sets_batch_size(small_resnet18, image_files, tmp_path):
    from neuroalign.extract.stream import process_memory

    assert parse_memory("1.5GB") == int(1.5 * 2**30) and parse_memory("512M") == 512 * 2**20
    assert choose_batch_size(64, 100, 1000, 1000 + 350) == 3
    assert choose_batch_size(64, 100, 0, None) == 64
    with pytest.raises(DataError, match="too small"):
        choose_batch_size(64, 100, 1000, 1050)
    # the budget covers the whole process: what it already holds + some room
    _, peak = process_memory()
    stream_activations(
        small_resnet18, image_files, ["layer1"], tmp_path / "o", max_memory=peak + 100 * 2**20,
        num_workers=0,
    )  # fmt: skip
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert "whole process" in manifest["max_memory_covers"]
    with pytest.raises(DataError, match="already holds"):  # below what the process holds
        stream_activations(
            small_resnet18, image_files, ["layer1"], tmp_path / "p", max_memory="60MB"
        )


def test_an_earlier_freed_peak_does_not_block_a_later_extraction(
    small_resnet18, image_files, tmp_path
):
    """The budget is checked against what the process holds now (a notebook's earlier, freed
    allocation raised its lifetime peak, VmHWM, above the budget)."""
    import numpy as np

    from neuroalign.extract.stream import process_memory

    big = np.ones(400 * 2**20 // 8)  # 400 MiB, touched, then freed
    del big
    current, peak = process_memory()
    budget = current + 150 * 2**20
    assert peak > budget  # the lifetime peak is above the budget...
    paths = stream_activations(  # ...yet the extraction fits in what is left
        small_resnet18, image_files, ["layer1"], tmp_path / "o", max_memory=budget, num_workers=0
    )
    assert paths["layer1"].is_file()


_BUDGET_SCRIPT = """
import json, resource, sys
from pathlib import Path

from neuroalign.extract import load_model, stream_activations
from neuroalign.extract.stream import process_memory

folder, out, room = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
lm = load_model("resnet18")
_, before = process_memory()
budget = before + room * 2**20
stream_activations(lm, sorted(folder.glob("*.png")), ["layer1", "layer2"], out, batch_size=64,
                   max_memory=budget, num_workers=0)
_, peak = process_memory()
manifest = json.loads((out / "manifest.json").read_text())
print(json.dumps({"before": before, "budget": budget, "peak": peak,
                  "batch_size": manifest["batch_size"]}))
"""


@pytest.mark.slow
def test_max_memory_bounds_the_peak_rss_of_the_process(tmp_path):
    """--max-memory is the whole process's peak RSS, measured (VmHWM) in a fresh process.

    ResNet-18 at 224 px: one image's activations up to layer2 take about 20 MB, so a budget of
    what the process holds + 150 MB forces batches well under 64 and must not be exceeded.
    """
    write_images(tmp_path / "imgs", 40, size=64)
    proc = subprocess.run(
        [sys.executable, "-c", _BUDGET_SCRIPT, str(tmp_path / "imgs"), str(tmp_path / "o"), "150"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    m = json.loads(proc.stdout.strip().splitlines()[-1])
    assert 1 <= m["batch_size"] < 40, m
    assert m["peak"] <= m["budget"], m  # the measured peak RSS of the whole process


_MEMORY_SCRIPT = '''
import json, sys, threading, time
from pathlib import Path

import psutil

from neuroalign.extract import extract_activations, load_model, stream_activations
from neuroalign.preprocessing import Preprocessing


def peak_growth_mb(func):
    """Peak resident memory above the starting level while func() runs (sampled every 2 ms)."""
    proc = psutil.Process()
    start = peak = proc.memory_info().rss
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, proc.memory_info().rss)
            time.sleep(0.002)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        result = func()
        peak = max(peak, proc.memory_info().rss)
    finally:
        done.set()
        thread.join()
    del result
    return (peak - start) / 2**20


folder, out = Path(sys.argv[1]), Path(sys.argv[2])
paths = sorted(folder.glob("*.png"))
lm = load_model("resnet18")
lm.preprocessing = Preprocessing(image_size=112, resize=112)
kw = {"batch_size": 8, "num_workers": 0}
stream_activations(lm, paths[:8], ["conv1"], out / "warm", **kw)  # imports, allocator warm-up
small = peak_growth_mb(lambda: stream_activations(lm, paths[:24], ["conv1"], out / "s24", **kw))
large = peak_growth_mb(lambda: stream_activations(lm, paths, ["conv1"], out / "s96", **kw))
memory = peak_growth_mb(lambda: extract_activations(lm, paths, ["conv1"], **kw))
print(json.dumps({"small": small, "large": large, "memory": memory}))
'''


@pytest.mark.slow
def test_streaming_memory_does_not_grow_with_stimuli(tmp_path):
    """conv1 at 112 px is 0.77 MB per image: in memory that adds up, streamed it must not.

    Measured in a fresh process (memory freed by earlier tests would hide the growth).
    """
    paths = write_images(tmp_path / "many", 96, size=48)
    proc = subprocess.run(
        [sys.executable, "-c", _MEMORY_SCRIPT, str(paths[0].parent), str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    m = json.loads(proc.stdout.strip().splitlines()[-1])
    per_image_mb = 64 * 56 * 56 * 4 / 2**20
    assert m["memory"] > 0.8 * 96 * per_image_mb, m  # the measurement sees the in-memory result
    # 72 more images would add 55 MB in memory; streamed, the working set stays the same
    assert m["large"] - m["small"] < 0.2 * 72 * per_image_mb, m
    assert m["large"] < 0.6 * m["memory"], m
