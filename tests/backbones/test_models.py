"""Backbones, heads, registry and the checkpoint format."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from neuroalign.backbones import (
    CHECKPOINT_FORMAT,
    ProjectionHead,
    SSLModel,
    available_models,
    create_model,
    create_ssl_model,
    load_checkpoint,
    write_checkpoint,
)
from neuroalign.errors import DataError


def _layer4_shape(model: nn.Module, size: int) -> tuple[int, ...]:
    seen = {}

    def hook(module, inputs, output):
        seen["s"] = output.shape

    handle = model.layer4.register_forward_hook(hook)
    with torch.no_grad():
        model.eval()(torch.zeros(1, 3, size, size))
    handle.remove()
    return tuple(seen["s"])


def test_registry_lists_models_and_rejects_unknown():
    assert available_models() == ["resnet18", "resnet34", "resnet50"]
    with pytest.raises(ValueError, match="resnet18, resnet34, resnet50"):
        create_model("vgg11")


def test_cifar_stem_keeps_resolution_and_torchvision_names():
    plain = create_model("resnet18")
    cifar = create_model("resnet18", cifar_stem=True)
    assert _layer4_shape(plain, 32) == (1, 512, 1, 1)
    assert _layer4_shape(cifar, 32) == (1, 512, 4, 4)  # stride-1 3x3 stem, no max-pool
    assert cifar.conv1.kernel_size == (3, 3) and cifar.conv1.stride == (1, 1)
    assert isinstance(cifar.maxpool, nn.Identity) and isinstance(cifar.fc, nn.Identity)
    names = {n for n, _ in cifar.named_children()}
    assert {"conv1", "bn1", "relu", "maxpool", "layer1", "layer4", "avgpool", "fc"} <= names
    with torch.no_grad():
        assert cifar(torch.zeros(2, 3, 32, 32)).shape == (2, 512)


def test_resnet50_feature_width():
    model = create_model("resnet50")
    assert model.feature_dim == 2048
    with torch.no_grad():
        assert model.eval()(torch.zeros(1, 3, 32, 32)).shape == (1, 2048)


def test_projection_head_is_linear_relu_without_bn():
    head = ProjectionHead((512, 2048, 256))
    kinds = [type(m) for m in head]
    assert kinds == [nn.Linear, nn.ReLU, nn.Linear]
    assert head[0].weight.shape == (2048, 512) and head[2].weight.shape == (256, 2048)
    deep = ProjectionHead((2048, 8192, 8192, 512))
    assert [type(m) for m in deep] == [nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]
    with pytest.raises(ValueError):
        ProjectionHead((512,))


def test_the_last_projection_runs_in_float32_under_autocast():
    """The embeddings reach the loss in float32 (bf16 would change the CLAMP gradient)."""
    torch.manual_seed(0)
    head = ProjectionHead((16, 32, 8))
    x = torch.randn(5, 16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        z = head(x)
        hidden = head[1](head[0](x))  # bf16 under autocast
    assert hidden.dtype == torch.bfloat16 and z.dtype == torch.float32
    expected = torch.nn.functional.linear(hidden.float(), head[2].weight, head[2].bias)
    assert torch.equal(z, expected)
    assert head(x).dtype == torch.float32  # and unchanged without autocast
    assert torch.allclose(head(x), head[2](head[1](head[0](x))))


def test_ssl_model_returns_embeddings_and_features():
    model = create_ssl_model("resnet18", (64, 16), cifar_stem=True).eval()
    with torch.no_grad():
        z, h = model(torch.zeros(3, 3, 16, 16), return_features=True)
    assert z.shape == (3, 16) and h.shape == (3, 512)
    assert isinstance(model, SSLModel) and model.head[0].in_features == 512


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
