"""--time-budget: durations, step counts, timing without side effects, and a complete run."""

from __future__ import annotations

import copy
import time

import pytest
import torch

from neuroalign.backbones import read_checkpoint
from neuroalign.train import TrainConfig, train
from neuroalign.train.budget import budget_steps, seconds_per_step
from neuroalign.train.config import parse_duration


def test_durations():
    assert parse_duration("90s") == 90 and parse_duration("5m") == 300
    assert parse_duration("1.5h") == 5400 and parse_duration("1h30m") == 5400
    assert parse_duration(300) == parse_duration("300") == 300
    for bad in ("", "5 parsecs", "m5", "-3m", "0"):
        with pytest.raises(ValueError, match="duration"):
            parse_duration(bad)
    with pytest.raises(ValueError, match="time-budget"):
        TrainConfig(time_budget="soon")


def test_steps_in_what_is_left_of_the_budget():
    assert budget_steps(300, spent_s=20, step_s=0.5, reserve_s=10) == 540
    assert budget_steps(10, spent_s=20, step_s=0.5) == 1  # always at least one step


def test_timing_steps_leaves_the_model_and_optimizer_as_they_were():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.BatchNorm1d(4))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    before = copy.deepcopy(model.state_dict())
    calls = []

    def run_step(x, n):
        calls.append(n)
        opt.zero_grad()
        model(x).pow(2).sum().backward()
        opt.step()

    batches = iter([torch.randn(8, 4) for _ in range(5)])
    seconds = seconds_per_step(run_step, batches, model, opt, warmup=2, timed=3)
    assert seconds > 0 and calls == [0, 1, 2, 3, 4]
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key
    assert opt.state_dict()["state"] == {}


@pytest.mark.slow
def test_a_budgeted_run_is_a_complete_run(tmp_path):
    """The schedule spans exactly the steps that fit: the lr reaches the cosine's end on the
    last step and the run takes about the budget."""
    gen = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (64, 3, 8, 8), dtype=torch.uint8, generator=gen)
    cfg = TrainConfig(
        arch="resnet18", head_dims=(32, 16), views=2, batch_size=8, dataset="synthetic",
        image_size=8, r_s=3.0, knn_every_epochs=0, progress=False, tensorboard=False,
        epochs=100, warmup_epochs=10, time_budget="12s", output_dir=tmp_path,
    )  # fmt: skip
    began = time.perf_counter()
    result = train(cfg, train_images=images, train_labels=torch.zeros(64, dtype=torch.long))
    took = time.perf_counter() - began
    schedule = read_checkpoint(result.checkpoint)["scheduler"]
    assert result.step == schedule["total_steps"] == schedule["last_step"] >= 5
    assert schedule["warmup_steps"] == round(result.step * 10 / 100)
    assert result.metrics[-1]["lr"] == pytest.approx(0.0, abs=1e-9)  # the cosine ended
    assert took < 12 * 2.5  # about the budget (a shared, loaded CI machine: generous)


def test_timing_with_fewer_batches_still_times_one():
    model = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    calls = []
    seconds = seconds_per_step(
        lambda x, n: calls.append(n), iter([torch.ones(1)] * 2), model, opt, warmup=2, timed=3
    )
    assert calls == [0, 1] and seconds >= 0
    with pytest.raises(ValueError, match="empty"):
        seconds_per_step(lambda x, n: None, iter([]), model, opt)
