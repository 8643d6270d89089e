"""Streaming == in-memory; bounded memory; reductions; the cache key and cache hits."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from neuroalign.errors import DataError
from neuroalign.extract import (
    Reduction,
    activation_cache_key,
    extract_activations,
    open_assembly,
    stream_activations,
)
from neuroalign.extract.reduce import GaussianProjection, PCAReducer, SparseProjection
from neuroalign.extract.stream import choose_batch_size, parse_memory

from .conftest import with_preprocessing, write_images

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
    with pytest.raises(DataError, match="already peaked"):  # below what the process holds
        stream_activations(
            small_resnet18, image_files, ["layer1"], tmp_path / "p", max_memory="60MB"
        )


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


def test_gaussian_projection_is_blockwise_and_seeded():
    x = torch.randn(5, 40000)
    proj = GaussianProjection(40000, 16, seed=3)
    full = proj.matrix()
    assert full.shape == (40000, 16)
    np.testing.assert_allclose(proj.transform(x), x @ full, rtol=1e-4, atol=1e-2)
    np.testing.assert_allclose(proj.transform(x[:2]), proj.transform(x)[:2], rtol=1e-4, atol=1e-2)
    assert torch.equal(GaussianProjection(40000, 16, seed=3).matrix(), full)
    assert not torch.equal(GaussianProjection(40000, 16, seed=4).matrix(), full)
    # Johnson-Lindenstrauss scaling: E||x R||^2 = ||x||^2 with R_ij ~ N(0, 1/k)
    assert abs(float(full.pow(2).sum(1).mean()) - 1.0) < 0.02


def test_sparse_projection_density_and_scale():
    d, k = 10000, 64
    proj = SparseProjection(d, k, seed=0)
    m = proj.matrix().to_dense()
    density = float((m != 0).float().mean())
    assert abs(density - 1 / np.sqrt(d)) < 0.002
    assert abs(float(m.pow(2).sum(1).mean()) - 1.0) < 0.05
    x = torch.randn(3, d)
    np.testing.assert_allclose(proj.transform(x), x @ m, rtol=1e-4, atol=1e-4)


def test_pca_matches_sklearn():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 200)) @ rng.normal(size=(200, 200)) * 0.1
    for data in (x, x[:, :20]):  # d > n (Gram route) and d < n (SVD route)
        ours = PCAReducer.fit(torch.from_numpy(data).float(), 5)
        ref = PCA(5).fit(data)
        a, b = ours.transform(torch.from_numpy(data).float()).numpy(), ref.transform(data)
        signs = np.sign((a * b).sum(0))
        np.testing.assert_allclose(a, b * signs, rtol=1e-3, atol=1e-3)
    with pytest.raises(ValueError, match="k=50"):
        PCAReducer.fit(torch.from_numpy(x).float(), 50)


def test_reduced_extraction_stream_equals_memory(small_resnet18, image_files, tmp_path):
    for red in (Reduction("gaussian", k=8), Reduction("sparse", k=8), Reduction("pca", k=4)):
        mem = extract_activations(
            small_resnet18, image_files, ["layer2"], reduction=red, num_workers=0
        )
        disk = stream_activations(
            small_resnet18, image_files, ["layer2"], tmp_path / red.method, reduction=red,
            num_workers=0,
        )  # fmt: skip
        d = open_assembly(disk["layer2"])
        assert mem["layer2"].shape == (len(image_files), red.k)
        assert list(mem["layer2"]["component"].values) == list(range(red.k))
        np.testing.assert_allclose(d.values, mem["layer2"].values, rtol=1e-4, atol=1e-4)
    full = extract_activations(small_resnet18, image_files, ["layer2"], num_workers=0)
    full = full["layer2"].values
    proj = GaussianProjection(full.shape[1], 8, seed=0)
    red = extract_activations(
        small_resnet18, image_files, ["layer2"], reduction=Reduction(k=8), num_workers=0
    )
    np.testing.assert_allclose(
        red["layer2"].values, proj.transform(torch.from_numpy(full)).numpy(), rtol=1e-4, atol=1e-4
    )


def test_cache_key_changes_with_every_ingredient(small_resnet18, image_files, tmp_path):
    from neuroalign.extract import load_model

    base = activation_cache_key(small_resnet18, image_files, ["layer1"])
    assert base == activation_cache_key(small_resnet18, list(image_files), ["layer1"])
    variants = {
        "weights": activation_cache_key(
            with_preprocessing(load_model("resnet34"), image_size=32, resize=36),
            image_files,
            ["layer1"],
        ),
        "preprocessing": activation_cache_key(
            with_preprocessing(small_resnet18, resize=40), image_files, ["layer1"]
        ),
        "layers": activation_cache_key(small_resnet18, image_files, ["layer1", "layer2"]),
        "stimulus ids": activation_cache_key(small_resnet18, image_files[:-1], ["layer1"]),
        "reduction": activation_cache_key(small_resnet18, image_files, ["layer1"], Reduction(k=10)),
        "reduction seed": activation_cache_key(
            small_resnet18, image_files, ["layer1"], Reduction(k=10, seed=1)
        ),
    }
    # same file names, different pixels
    image_files[0].write_bytes(image_files[1].read_bytes())
    variants["file content"] = activation_cache_key(small_resnet18, image_files, ["layer1"])
    t = torch.zeros(2, 3, 8, 8, dtype=torch.uint8)
    t2 = t.clone()
    t2[0, 0, 0, 0] = 1
    variants["tensor bytes"] = activation_cache_key(small_resnet18, t, ["layer1"])
    assert activation_cache_key(small_resnet18, t2, ["layer1"]) != variants["tensor bytes"]
    keys = [base, *variants.values()]
    assert len(set(keys)) == len(keys), variants


def test_cache_hit_skips_work_and_returns_same_values(
    small_resnet18, image_files, tmp_path, monkeypatch
):
    from neuroalign.extract import activations as act

    first = extract_activations(small_resnet18, image_files, ["layer2"], cache=tmp_path / "c")
    entries = list((tmp_path / "c").iterdir())
    assert len(entries) == 1 and (entries[0] / "entry.json").is_file()

    def boom(*args, **kwargs):
        raise AssertionError("recomputed despite a cache entry")

    monkeypatch.setattr(act, "run_extraction", boom)
    second = extract_activations(small_resnet18, image_files, ["layer2"], cache=tmp_path / "c")
    np.testing.assert_array_equal(first["layer2"].values, second["layer2"].values)
    assert list(second["layer2"]["stimulus_id"].values) == [p.stem for p in image_files]
    # a changed ingredient misses the cache (and so would recompute)
    with pytest.raises(AssertionError, match="recomputed"):
        extract_activations(
            with_preprocessing(small_resnet18, resize=40), image_files, ["layer2"],
            cache=tmp_path / "c",
        )  # fmt: skip


@pytest.mark.parametrize("damage", ["truncated", "garbled"])
def test_corrupt_cache_entry_is_deleted_and_rebuilt(small_resnet18, image_files, tmp_path, damage):
    first = extract_activations(small_resnet18, image_files, ["layer2"], cache=tmp_path / "c")
    (entry,) = (tmp_path / "c").iterdir()
    layer_file = entry / "layer2.nc"
    data = layer_file.read_bytes()
    if damage == "truncated":  # a copy cut short
        layer_file.write_bytes(data[: len(data) // 2])
    else:  # the HDF5 superblock and first objects overwritten
        layer_file.write_bytes(data[:8] + bytes(range(256)) * 8 + data[8 + 2048 :])
    with pytest.warns(UserWarning, match=f"{entry}: corrupt activation-cache entry"):
        again = extract_activations(small_resnet18, image_files, ["layer2"], cache=tmp_path / "c")
    np.testing.assert_array_equal(again["layer2"].values, first["layer2"].values)
    # rebuilt: the next call is a clean cache hit
    assert layer_file.read_bytes() != data[: len(data) // 2] and (entry / "entry.json").is_file()
    hit = extract_activations(small_resnet18, image_files, ["layer2"], cache=tmp_path / "c")
    np.testing.assert_array_equal(hit["layer2"].values, first["layer2"].values)


def test_default_cache_root_under_neuroalign_home(monkeypatch, tmp_path):
    from neuroalign.extract.cache import default_cache_root

    monkeypatch.setenv("NEUROALIGN_HOME", str(tmp_path))
    assert default_cache_root() == tmp_path / "activations"
