"""Memory of a training step: saved-activation counts with known answers, activation
checkpointing that changes nothing but memory, and the refusal message."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from neuroalign.backbones import create_ssl_model
from neuroalign.train.memory import (
    MemoryEstimate,
    check_fits,
    enable_activation_checkpointing,
    estimate_training_memory,
    saved_activation_bytes,
)


def test_saved_bytes_of_a_small_network_by_hand():
    """Flatten -> Linear(12, 20) -> ReLU -> Linear(20, 5) on images (3, 2, 2): autograd keeps
    the flattened input (12 floats), the ReLU output (20 floats, also the second Linear's
    input: one storage) and the second Linear's weight (the first one needs no input grad)."""
    net = nn.Sequential(nn.Flatten(), nn.Linear(12, 20), nn.ReLU(), nn.Linear(20, 5))
    for batch in (2, 4, 7):
        total, _ = saved_activation_bytes(net, 2, batch)
        assert total == batch * (12 + 20) * 4 + 20 * 5 * 4
    half, _ = saved_activation_bytes(net, 2, 4, element_bytes=2)
    assert half == 4 * (12 + 20) * 2 + 20 * 5 * 2
    assert next(net.parameters()).device.type == "cpu"  # measured on a meta copy


def test_resnet50_estimate_and_what_checkpointing_saves():
    model = create_ssl_model("resnet50", (8192, 8192, 512))
    plain = estimate_training_memory(model, 224, 2048, amp=True)
    ckpt = estimate_training_memory(model, 224, 2048, amp=True, activation_checkpointing=True)
    n_params = sum(p.numel() for p in model.parameters())
    assert plain.parameters == plain.gradients == 4 * n_params
    # ~44 MB of bf16 activations per 224-px view-image: 512 images x 4 views do not fit 80 GB
    assert 80e9 < plain.total < 120e9 and plain.activations / 2048 == pytest.approx(44e6, rel=0.1)
    assert ckpt.activations < 0.6 * plain.activations and ckpt.total < 70e9
    assert "view-images of 224 px" in plain.describe()
    enable_activation_checkpointing(model)  # measured on a plain copy all the same
    again = estimate_training_memory(model, 224, 2048, amp=True, activation_checkpointing=True)
    assert again == ckpt


def test_activation_checkpointing_changes_memory_only():
    torch.manual_seed(0)
    model = create_ssl_model("resnet18", (32, 16), cifar_stem=True)
    twin = copy.deepcopy(model)
    assert enable_activation_checkpointing(twin) == 8  # the 8 BasicBlocks of a ResNet-18
    x = torch.randn(6, 3, 16, 16)
    for net in (model, twin):
        net.train()
        net(x).pow(2).sum().backward()
    for (name, a), b in zip(model.named_parameters(), twin.parameters(), strict=True):
        assert torch.allclose(a.grad, b.grad, rtol=1e-5, atol=1e-6), name
    for (name, a), b in zip(model.named_buffers(), twin.buffers(), strict=True):
        assert torch.equal(a, b), name  # running statistics updated once, not twice
    assert twin.state_dict().keys() == model.state_dict().keys()


def test_a_step_that_cannot_fit_is_refused_with_the_remedies(monkeypatch):
    estimate = MemoryEstimate(0, 0, 0, 90 * 10**9, 0, 0, n_inputs=2048, image_size=224)
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device: (79 * 10**9, 80 * 10**9))
    monkeypatch.setattr(torch.cuda, "memory_reserved", lambda device: 0)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device: "NVIDIA H100")
    with pytest.raises(ValueError, match="activation-checkpointing") as info:
        check_fits(estimate, torch.device("cuda", 0))
    assert "90.0 GB" in str(info.value) and "NVIDIA H100" in str(info.value)
    check_fits(estimate, torch.device("cpu"))  # no limit known on the CPU
