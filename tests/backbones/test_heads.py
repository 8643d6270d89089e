"""Projection heads and the SSLModel (backbone + head)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from neuroalign.backbones import ProjectionHead, SSLModel, create_ssl_model


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
