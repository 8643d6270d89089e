"""The activation cache: the key changes with every ingredient, hits skip the work, corrupt
entries are rebuilt."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neuroalign.extract import Reduction, activation_cache_key, extract_activations

from .conftest import with_preprocessing


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
