"""The checkpoint format: round trip, and corrupt, foreign, mismatched or pickled files refused."""

from __future__ import annotations

import pytest
import torch

from neuroalign.backbones import (
    CHECKPOINT_FORMAT,
    SSLModel,
    create_ssl_model,
    load_checkpoint,
    write_checkpoint,
)
from neuroalign.errors import DataError


def _payload(model: SSLModel, spec: dict) -> dict:
    return {
        "arch": spec["arch"],
        "model_spec": spec,
        "config": {"arch": spec["arch"]},
        "preprocessing": {"image_size": 32, "resize": 32, "mean": [0.5] * 3, "std": [0.5] * 3},
        "model": model.state_dict(),
        "epoch": 3,
        "step": 30,
    }


def test_checkpoint_round_trip(tmp_path):
    spec = {"arch": "resnet18", "cifar_stem": True, "head_dims": [32, 8], "head_batch_norm": False}
    torch.manual_seed(1)
    model = create_ssl_model("resnet18", (32, 8), cifar_stem=True).eval()
    path = write_checkpoint(_payload(model, spec), tmp_path / "ck.pt")
    raw = torch.load(path, weights_only=True)
    assert raw["format"] == CHECKPOINT_FORMAT
    loaded, meta = load_checkpoint(path)
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))
    assert meta["step"] == 30 and "model" not in meta and not loaded.training


def test_corrupt_or_foreign_checkpoints_are_refused(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a zip file at all")
    with pytest.raises(DataError, match="not a readable"):
        load_checkpoint(bad)
    plain = tmp_path / "plain.pt"
    torch.save({"state_dict": {}}, plain)
    with pytest.raises(DataError, match="not a neuroalign checkpoint"):
        load_checkpoint(plain)
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.pt")


def test_mismatched_weights_are_refused(tmp_path):
    spec = {"arch": "resnet18", "cifar_stem": True, "head_dims": [32, 8]}
    model = create_ssl_model("resnet18", (32, 8), cifar_stem=True)
    payload = _payload(model, spec)
    payload["model_spec"] = {**spec, "head_dims": [64, 8]}  # says one head, holds another
    path = write_checkpoint(payload, tmp_path / "mismatch.pt")
    with pytest.raises(DataError, match="do not match"):
        load_checkpoint(path)


def test_pickled_code_is_not_loaded(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": CHECKPOINT_FORMAT, "obj": _Evil()}, path)
    with pytest.raises(DataError):
        load_checkpoint(path)


class _Evil:
    pass
