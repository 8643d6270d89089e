"""ResNet backbones: the CIFAR stem, torchvision's module names, feature widths."""

from __future__ import annotations

import torch
from torch import nn

from neuroalign.backbones import create_model


def _layer4_shape(model: nn.Module, size: int) -> tuple[int, ...]:
    seen = {}

    def hook(module, inputs, output):
        seen["s"] = output.shape

    handle = model.layer4.register_forward_hook(hook)
    with torch.no_grad():
        model.eval()(torch.zeros(1, 3, size, size))
    handle.remove()
    return tuple(seen["s"])


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
