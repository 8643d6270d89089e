"""Shared fixtures of the tracker tests: a small SSLModel and fixed probe images."""

from __future__ import annotations

import pytest
import torch

from neuroalign.backbones import create_ssl_model
from neuroalign.preprocessing import Preprocessing
from neuroalign.tracking import ProbeImages


@pytest.fixture(scope="module")
def ssl_model() -> torch.nn.Module:
    """ResNet-18 with the CIFAR stem and a 64-16 head, random init (seed 0), train mode."""
    torch.manual_seed(0)
    return create_ssl_model("resnet18", (64, 16), cifar_stem=True).train()


@pytest.fixture(scope="module")
def prep() -> Preprocessing:
    return Preprocessing.named("cifar10", 16, 16)


@pytest.fixture(scope="module")
def probe() -> ProbeImages:
    """12 random 16-px images of 3 classes (4 each, class-ordered, as CIFAR stores them)."""
    gen = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (12, 3, 16, 16), dtype=torch.uint8, generator=gen)
    return ProbeImages(images, torch.arange(3).repeat_interleave(4))
