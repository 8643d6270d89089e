"""One training step: no host-device synchronisation, the representation for the losses that
need it, deterministic augmentation seeds, and the GPU sync check."""

from __future__ import annotations

import pytest
import torch

from neuroalign.augment import get_recipe
from neuroalign.backbones import create_ssl_model
from neuroalign.losses import create_loss
from neuroalign.preprocessing import Preprocessing
from neuroalign.train.optim import LARS, WarmupCosineSchedule, lars_param_groups
from neuroalign.train.profile import StepTimer, count_host_syncs
from neuroalign.train.step import TrainStep, step_seed


def _step(device: str, criterion=None, *, timer=None, seed: int = 0) -> TrainStep:
    torch.manual_seed(seed)
    model = create_ssl_model("resnet18", (32, 16), cifar_stem=True).to(device)
    opt = LARS(lars_param_groups(model, 1e-6), lr=0.1)
    if criterion is None:
        criterion = create_loss("clamp", r_s=3.0)
        criterion.check_finite = False
    return TrainStep(
        model,
        criterion,
        opt,
        WarmupCosineSchedule(opt, 10, 2, 0.1),
        recipe=get_recipe("imagenet", 16),  # blur, solarize, grayscale: every selection path
        preprocessing=Preprocessing.named("imagenet", 16, 16),
        n_views=4,
        seed=seed,
        timer=timer,
    )


def test_a_step_never_waits_for_the_device():
    """On the meta device (shapes, no data) any host read of a device tensor raises: after the
    first step (which makes per-device constants once) a step makes no such call at all."""
    step = _step("meta")
    images = torch.zeros(8, 3, 20, 20, dtype=torch.uint8, device="meta")
    step(images, 0)
    with count_host_syncs(strict=True) as calls:
        for n in (1, 2):
            loss = step(images, n)
    assert not calls and loss.device.type == "meta" and loss.shape == ()


class _NeedsRepresentation(torch.nn.Module):
    """A loss of the DirectCLR / AdaDim kind: it also reads the backbone representation."""

    needs_representation = True

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[tuple[int, ...], tuple[int, ...]]] = []

    def forward(self, z: torch.Tensor, representation: torch.Tensor | None = None):
        self.seen.append((tuple(z.shape), tuple(representation.shape)))
        return z.pow(2).mean() + representation.pow(2).mean()


def test_the_representation_reaches_a_loss_that_asks_for_it():
    loss = _NeedsRepresentation()
    step = _step("cpu", loss)
    images = torch.randint(0, 256, (6, 3, 20, 20), dtype=torch.uint8)
    value = step(images, 0)
    assert loss.seen == [((4, 6, 16), (4, 6, 512))]  # (m, B, d) and (m, B, D) of ResNet-18
    assert torch.isfinite(value)
    plain = _step("cpu")  # a loss without the attribute is called with z alone
    assert torch.isfinite(plain(images, 0)) and not plain.needs_representation


def test_steps_are_deterministic_and_report_nan_embeddings():
    images = torch.randint(0, 256, (6, 3, 20, 20), dtype=torch.uint8)
    a, b = _step("cpu"), _step("cpu")
    assert torch.equal(a(images, 3), b(images, 3))
    assert step_seed(0, 0, 3) != step_seed(0, 1, 3) != step_seed(0, 0, 4)
    with torch.no_grad():
        a.model.head[-1].weight.fill_(float("nan"))  # CLAMP alone would mask the NaN out
    assert torch.isnan(a(images, 4))


def test_the_timer_splits_a_step():
    timer = StepTimer("cpu")
    step = _step("cpu", timer=timer)
    step(torch.randint(0, 256, (6, 3, 20, 20), dtype=torch.uint8), 0)
    parts = timer.seconds()
    assert set(parts) == {"augment", "forward", "loss", "backward", "optimizer"}
    assert all(t > 0 for t in parts.values())


@pytest.mark.gpu
def test_a_cuda_step_does_not_synchronise():
    step = _step("cuda")
    step.amp = step.channels_last = True
    images = torch.randint(0, 256, (8, 3, 20, 20), dtype=torch.uint8, device="cuda")
    step(images, 0)
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for n in (1, 2):
            step(images, n)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert torch.isfinite(step(images, 3))
