"""LARS and the linear warm-up + cosine learning-rate schedule of the SSL recipes.

LARS (You, Gitman & Ginsburg 2017, "Large Batch Training of Convolutional Networks"), in the
form used by SimCLR, BYOL, Barlow Twins and CLAMP: for a parameter w with gradient g,

    u = g + wd * w                                  (weight decay)
    q = eta * ||w|| / ||u||   if ||w|| > 0 and ||u|| > 0, else 1   (trust ratio)
    v <- momentum * v + q * u                       (heavy-ball momentum)
    w <- w - lr * v

Parameter groups flagged ``lars_exclude=True`` (biases and normalisation weights, i.e. every
parameter with ``ndim <= 1``) get neither weight decay nor the trust ratio (q = 1).

Schedule (Goyal et al. 2017; Loshchilov & Hutter 2017): ``peak = base_lr * batch / 256``;
step t (0-based) uses ``peak * (t + 1) / W`` for t < W warm-up steps, then
``final + (peak - final) * 0.5 * (1 + cos(pi * (t - W) / (T - W)))`` up to T total steps.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

__all__ = [
    "LARS",
    "WarmupCosineSchedule",
    "lars_param_groups",
    "scaled_lr",
    "warmup_cosine_lr",
]


def scaled_lr(base_lr: float, batch_size: int) -> float:
    """Linear scaling rule: ``base_lr * batch_size / 256`` (batch = images over all ranks)."""
    return float(base_lr) * int(batch_size) / 256.0


def lars_param_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Two groups: weights (decayed, LARS-adapted) and biases/norm parameters (``ndim <= 1``,
    excluded from both)."""
    adapted, excluded = [], []
    for param in model.parameters():
        if not param.requires_grad:
            continue
        (excluded if param.ndim <= 1 else adapted).append(param)
    return [
        {"params": adapted, "weight_decay": float(weight_decay), "lars_exclude": False},
        {"params": excluded, "weight_decay": 0.0, "lars_exclude": True},
    ]


class LARS(torch.optim.Optimizer):
    """Layer-wise Adaptive Rate Scaling with momentum (see the module docstring).

    Args:
        params: parameters or groups; a group may set ``lars_exclude=True``.
        lr: learning rate (set by the schedule each step).
        momentum: heavy-ball momentum (0.9 in the recipes).
        weight_decay: L2 coefficient added to the gradient (1e-6 in the recipes).
        eta: trust coefficient (0.001).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 0.1,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        eta: float = 0.001,
    ) -> None:
        if lr < 0 or momentum < 0 or weight_decay < 0 or eta <= 0:
            raise ValueError(
                f"LARS needs lr >= 0, momentum >= 0, weight_decay >= 0, eta > 0; got "
                f"lr={lr}, momentum={momentum}, weight_decay={weight_decay}, eta={eta}"
            )
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "weight_decay": weight_decay,
            "eta": eta,
            "lars_exclude": False,
        }
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        """One update of every parameter with a gradient; the work of a group is a handful of
        ``torch._foreach_*`` kernels over all its tensors (no Python loop over parameters)."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if params:
                self._update_group(group, params)
        return loss

    def _update_group(self, group: dict[str, Any], params: list[torch.Tensor]) -> None:
        updates = [p.grad for p in params]
        if not group["lars_exclude"]:
            if group["weight_decay"] != 0:
                updates = torch._foreach_add(updates, params, alpha=group["weight_decay"])
            p_norms = torch.stack(torch._foreach_norm(params))
            u_norms = torch.stack(torch._foreach_norm(updates))
            trust = torch.where(
                (p_norms > 0) & (u_norms > 0),
                group["eta"] * p_norms / u_norms,
                torch.ones_like(p_norms),
            )
            updates = torch._foreach_mul(updates, list(trust.unbind(0)))
        states = [self.state[p] for p in params]
        if all("momentum_buffer" in state for state in states):
            buffers = [state["momentum_buffer"] for state in states]
            torch._foreach_mul_(buffers, group["momentum"])
            torch._foreach_add_(buffers, updates)
        else:  # the first step: v = q u
            buffers = [torch.clone(u).detach() for u in updates]
            for state, buffer in zip(states, buffers, strict=True):
                state["momentum_buffer"] = buffer
        torch._foreach_add_(params, buffers, alpha=-group["lr"])


def warmup_cosine_lr(
    step: int, total_steps: int, warmup_steps: int, peak_lr: float, final_lr: float = 0.0
) -> float:
    """Learning rate of 0-based ``step``: linear warm-up to ``peak_lr`` then cosine to ``final_lr``."""
    if total_steps <= 0:
        raise ValueError(f"total_steps must be > 0, got {total_steps}")
    warmup_steps = max(0, min(int(warmup_steps), int(total_steps)))
    if step < warmup_steps:
        return peak_lr * (step + 1) / warmup_steps
    decay_steps = total_steps - warmup_steps
    if decay_steps <= 0:
        return peak_lr
    progress = min(1.0, (step - warmup_steps) / decay_steps)
    return final_lr + (peak_lr - final_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))


class WarmupCosineSchedule:
    """Sets ``lr`` of every optimizer group from :func:`warmup_cosine_lr` (per step).

    Call :meth:`step` after each ``optimizer.step()``; the state is just the step counter,
    so resuming restores the exact learning rate.
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        total_steps: int,
        warmup_steps: int,
        peak_lr: float,
        final_lr: float = 0.0,
    ) -> None:
        self.optimizer = optimizer
        self.total_steps = int(total_steps)
        self.warmup_steps = int(warmup_steps)
        self.peak_lr = float(peak_lr)
        self.final_lr = float(final_lr)
        self.last_step = 0
        self._apply()

    def lr(self) -> float:
        """The learning rate used by the next optimizer step."""
        return warmup_cosine_lr(
            self.last_step, self.total_steps, self.warmup_steps, self.peak_lr, self.final_lr
        )

    def _apply(self) -> None:
        value = self.lr()
        for group in self.optimizer.param_groups:
            group["lr"] = value

    def step(self) -> None:
        """Advance one optimizer step and set the next learning rate."""
        self.last_step += 1
        self._apply()

    def set_step(self, step: int) -> None:
        """Jump to 0-based ``step`` (used when resuming with a possibly changed schedule)."""
        self.last_step = int(step)
        self._apply()

    def state_dict(self) -> dict[str, Any]:
        return {
            "last_step": self.last_step,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
            "peak_lr": self.peak_lr,
            "final_lr": self.final_lr,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.last_step = int(state["last_step"])
        self.total_steps = int(state["total_steps"])
        self.warmup_steps = int(state["warmup_steps"])
        self.peak_lr = float(state["peak_lr"])
        self.final_lr = float(state["final_lr"])
        self._apply()
