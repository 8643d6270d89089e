"""LARS and the warm-up + cosine schedule against values computed by hand."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from neuroalign.train.optim import (
    LARS,
    WarmupCosineSchedule,
    lars_param_groups,
    scaled_lr,
    warmup_cosine_lr,
)


def _step(opt: LARS, param: torch.Tensor, grad: list[float]) -> None:
    param.grad = torch.tensor(grad, dtype=param.dtype)
    opt.step()


def test_lars_trust_ratio_by_hand():
    w = nn.Parameter(torch.tensor([3.0, 4.0], dtype=torch.float64))  # ||w|| = 5
    opt = LARS([w], lr=1.0, momentum=0.9, weight_decay=0.0, eta=0.001)
    _step(opt, w, [0.6, 0.8])  # ||g|| = 1 -> q = 0.001 * 5 / 1 = 0.005
    expected = torch.tensor([3.0 - 0.003, 4.0 - 0.004], dtype=torch.float64)
    assert torch.allclose(w.data, expected, atol=1e-15)
    # second step: v = 0.9 * v + q' g with q' = 0.001 * ||w'|| / 1
    q2 = 0.001 * math.hypot(2.997, 3.996)
    v = 0.9 * torch.tensor([0.003, 0.004], dtype=torch.float64) + q2 * torch.tensor(
        [0.6, 0.8], dtype=torch.float64
    )
    _step(opt, w, [0.6, 0.8])
    assert torch.allclose(w.data, expected - v, atol=1e-15)


def test_lars_weight_decay_enters_the_update_and_its_norm():
    w = nn.Parameter(torch.tensor([3.0, 4.0], dtype=torch.float64))
    opt = LARS([w], lr=0.5, momentum=0.9, weight_decay=0.1, eta=0.01)
    _step(opt, w, [1.0, -1.0])
    u = torch.tensor([1.0 + 0.3, -1.0 + 0.4], dtype=torch.float64)
    q = 0.01 * 5.0 / torch.linalg.vector_norm(u)
    assert torch.allclose(w.data, torch.tensor([3.0, 4.0], dtype=torch.float64) - 0.5 * q * u)


def test_excluded_group_is_plain_momentum_sgd():
    b = nn.Parameter(torch.tensor([1.0, 2.0], dtype=torch.float64))
    opt = LARS([{"params": [b], "lars_exclude": True, "weight_decay": 0.0}], lr=0.1, momentum=0.9)
    _step(opt, b, [1.0, 1.0])
    _step(opt, b, [1.0, 1.0])
    # v1 = g, v2 = 0.9 g + g = 1.9 g; total displacement 0.1 * (1 + 1.9)
    assert torch.allclose(b.data, torch.tensor([1.0 - 0.29, 2.0 - 0.29], dtype=torch.float64))


def test_zero_weights_use_unit_trust_ratio():
    w = nn.Parameter(torch.zeros(3, dtype=torch.float64))
    opt = LARS([w], lr=0.1, momentum=0.0, eta=0.001)
    _step(opt, w, [1.0, 2.0, 3.0])
    assert torch.allclose(w.data, -0.1 * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))


def test_param_groups_exclude_bias_and_norm():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4, 2))
    adapted, excluded = lars_param_groups(model, weight_decay=1e-6)
    assert [p.ndim for p in adapted["params"]] == [4, 2]
    assert sorted(p.ndim for p in excluded["params"]) == [1, 1, 1, 1]
    assert excluded["weight_decay"] == 0.0 and excluded["lars_exclude"]
    assert adapted["weight_decay"] == 1e-6 and not adapted["lars_exclude"]


def test_warmup_cosine_known_values():
    lr = [warmup_cosine_lr(t, total_steps=110, warmup_steps=10, peak_lr=2.0) for t in range(111)]
    assert lr[0] == pytest.approx(0.2) and lr[4] == pytest.approx(1.0)
    assert lr[9] == pytest.approx(2.0) and lr[10] == pytest.approx(2.0)
    assert lr[60] == pytest.approx(1.0)  # half-way through the cosine
    assert lr[85] == pytest.approx(1.0 * (1 + math.cos(math.pi * 0.75)))
    assert lr[110] == pytest.approx(0.0, abs=1e-12)
    assert warmup_cosine_lr(60, 110, 10, 2.0, final_lr=0.2) == pytest.approx(1.1)
    assert scaled_lr(0.1, 128) == pytest.approx(0.05)


def test_schedule_sets_lr_and_resumes():
    w = nn.Parameter(torch.ones(2))
    opt = LARS([w], lr=123.0)
    sched = WarmupCosineSchedule(opt, total_steps=20, warmup_steps=4, peak_lr=1.0)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.25)
    for _ in range(7):
        sched.step()
    state = sched.state_dict()
    opt2 = LARS([nn.Parameter(torch.ones(2))], lr=5.0)
    sched2 = WarmupCosineSchedule(opt2, total_steps=20, warmup_steps=4, peak_lr=1.0)
    sched2.load_state_dict(state)
    assert (
        opt2.param_groups[0]["lr"]
        == opt.param_groups[0]["lr"]
        == pytest.approx(warmup_cosine_lr(7, 20, 4, 1.0))
    )


def test_bad_hyper_parameters():
    with pytest.raises(ValueError):
        LARS([nn.Parameter(torch.ones(1))], lr=-1.0)
    with pytest.raises(ValueError):
        warmup_cosine_lr(0, 0, 0, 1.0)


def _reference_lars_step(params, buffers, groups_of, lr, momentum, wd, eta):
    """The module docstring's update, one parameter at a time (as LARS was first written)."""
    for i, p in enumerate(params):
        u = p.grad.clone()
        if not groups_of[i]:
            u = u + wd * p
            p_norm, u_norm = torch.linalg.vector_norm(p), torch.linalg.vector_norm(u)
            if p_norm > 0 and u_norm > 0:
                u = u * (eta * p_norm / u_norm)
        buffers[i] = u.clone() if buffers[i] is None else momentum * buffers[i] + u
        p.sub_(lr * buffers[i])


def test_foreach_lars_equals_the_per_parameter_update_on_a_resnet():
    from neuroalign.backbones import create_ssl_model

    torch.manual_seed(0)
    model = create_ssl_model("resnet18", (64, 16), cifar_stem=True)
    twin = [p.detach().clone() for p in model.parameters()]
    groups = lars_param_groups(model, weight_decay=1e-4)
    excluded = {id(p) for p in groups[1]["params"]}
    opt = LARS(groups, lr=0.5, momentum=0.9, weight_decay=1e-4, eta=0.02)
    buffers = [None] * len(twin)
    gen = torch.Generator().manual_seed(1)
    for _ in range(3):
        grads = [torch.randn(p.shape, generator=gen) for p in twin]
        for p, q, g in zip(model.parameters(), twin, grads, strict=True):
            p.grad, q.grad = g.clone(), g.clone()
        opt.step()
        with torch.no_grad():
            _reference_lars_step(
                twin, buffers, [id(p) in excluded for p in model.parameters()],
                lr=0.5, momentum=0.9, wd=1e-4, eta=0.02,
            )  # fmt: skip
    for p, q in zip(model.parameters(), twin, strict=True):
        assert torch.allclose(p, q, rtol=1e-6, atol=1e-7)
