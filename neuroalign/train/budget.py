"""Time-budgeted training: a warm-up + cosine schedule sized to fit a wall-clock budget.

``--time-budget 5m`` makes a fixed-time run a *complete* run (the learning rate reaches the end
of its cosine when the time is up) instead of a truncated one, which is what makes "accuracy
after 10 GPU-minutes" a meaningful benchmark. Before the first real step the run times a few
steps on its first batches (:func:`seconds_per_step`; the model, optimizer and schedule are put
back afterwards, so the run itself is unchanged), then sizes the schedule:

    total steps = (budget - time already spent - time reserved for checkpoints) / step time

with the recipe's share of warm-up (``warmup_epochs / epochs``). Under torchrun every process
uses the slowest process's step time, so all agree on the schedule. Evaluation callbacks (the
kNN monitor) are not budgeted: switch them off for fixed-time comparisons.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator

import torch
from torch import nn

__all__ = ["budget_steps", "seconds_per_step"]


def budget_steps(budget_s: float, spent_s: float, step_s: float, reserve_s: float = 0.0) -> int:
    """Steps that fit in what is left of the budget (at least 1)."""
    if step_s <= 0:
        raise ValueError(f"step time must be > 0, got {step_s}")
    return max(1, int((budget_s - spent_s - reserve_s) // step_s))


def seconds_per_step(
    run_step: Callable[[torch.Tensor, int], torch.Tensor],
    batches: Iterator[torch.Tensor],
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    *,
    warmup: int = 2,
    timed: int = 3,
    device: torch.device | None = None,
) -> float:
    """Wall-clock seconds of one training step (data included), measured on ``timed`` steps
    after ``warmup`` untimed ones (compilation, cuDNN autotuning) -- fewer when ``batches``
    runs out (at least one is timed). The steps use the numbers 0, 1, ... of the run;
    afterwards the model's weights and buffers and the optimizer state are restored (the
    caller restores its schedule), so the run proper starts unchanged.
    """
    weights = copy.deepcopy(model.state_dict())
    state = copy.deepcopy(optimizer.state_dict())

    def sync() -> None:
        if device is not None and device.type == "cuda":
            torch.cuda.synchronize(device)

    try:
        pending = next(batches, None)
        if pending is None:
            raise ValueError("no batch to time a step with (the training set is empty)")
        number = 0
        while number < warmup:  # untimed, as long as one batch is left for timing
            following = next(batches, None)
            if following is None:
                break
            run_step(pending, number)
            pending, number = following, number + 1
        sync()
        start = time.perf_counter()
        run_step(pending, number)
        measured = 1
        while measured < timed and (images := next(batches, None)) is not None:
            run_step(images, number + measured)  # its data loading is timed too
            measured += 1
        sync()
        return (time.perf_counter() - start) / measured
    finally:
        model.load_state_dict(weights)
        optimizer.load_state_dict(state)
