"""One optimisation step of self-supervised training.

Take B images (uint8, on the device), draw m augmented views of each
(:func:`~neuroalign.augment.augment_views`, normalised with the run's
:class:`~neuroalign.preprocessing.Preprocessing`, in bfloat16 and channels-last on a GPU),
embed all m x B views in one forward pass, compute the loss on embeddings (m, B, d) -- and, for
a loss with ``needs_representation = True``, on the backbone representation (m, B, D) as well
-- then backward, LARS step and schedule step.

The augmentation generator lives on the CPU and is re-seeded from (seed, rank, step) every step,
so a step is a function of the model, the optimizer state and the step number (exact resume),
and every augmentation decision is known on the host: nothing in a step waits for the device.
"""

from __future__ import annotations

import contextlib
from typing import Any

import torch
from torch import nn

from neuroalign.augment import AugmentRecipe, augment_views
from neuroalign.preprocessing import Preprocessing
from neuroalign.train.optim import WarmupCosineSchedule
from neuroalign.train.profile import StepTimer

__all__ = ["TrainStep", "step_seed"]


def step_seed(seed: int, rank: int, step: int) -> int:
    """Seed of the augmentation generator of one (rank, step): a fixed, collision-poor mix."""
    return (int(seed) * 1_000_003 + int(rank) * 7_919 + int(step) * 104_729 + 1) % (2**62)


class _NoTimer:
    def section(self, _name: str) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()


class TrainStep:
    """``step(images, step_number)`` runs one optimisation step and returns the loss to monitor.

    Args:
        model: the network to call (the SSLModel, or its DDP / ``torch.compile`` wrapper);
            ``model(x)`` -> embeddings (N, d), ``model(x, return_features=True)`` -> (embeddings,
            representation).
        criterion: ``loss(z)`` with z (m, B, d) -> scalar; a loss whose class sets
            ``needs_representation = True`` is called ``loss(z, representation=h)`` with the
            backbone output h (m, B, D) (checked once here: no cost for the others).
        optimizer, schedule: updated after each backward pass.
        recipe: the augmentation recipe (at the network's input size).
        preprocessing: the network's normalisation (applied to the views).
        n_views: views m per image.
        seed, rank: the augmentation seed of step t is ``step_seed(seed, rank, t)``.
        amp: bfloat16 autocast and bfloat16 views (CUDA only).
        channels_last: channels-last views (CUDA only; the model should be channels-last too).
        timer: a :class:`~neuroalign.train.profile.StepTimer` to split the step's time.
    """

    def __init__(
        self,
        model: nn.Module,
        criterion: Any,
        optimizer: torch.optim.Optimizer,
        schedule: WarmupCosineSchedule,
        *,
        recipe: AugmentRecipe,
        preprocessing: Preprocessing,
        n_views: int,
        seed: int,
        rank: int = 0,
        amp: bool = False,
        channels_last: bool = False,
        timer: StepTimer | None = None,
    ) -> None:
        self.model = model
        self.criterion = criterion
        self.optimizer = optimizer
        self.schedule = schedule
        self.recipe = recipe
        self.preprocessing = preprocessing
        self.n_views = int(n_views)
        self.seed, self.rank = int(seed), int(rank)
        self.amp = bool(amp)
        self.channels_last = bool(channels_last)
        self.timer = timer if timer is not None else _NoTimer()
        self.needs_representation = bool(getattr(criterion, "needs_representation", False))
        self.generator = torch.Generator()  # on the CPU: see the module docstring

    def _autocast(self, device: torch.device) -> contextlib.AbstractContextManager:
        if self.amp and device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def __call__(self, images: torch.Tensor, step: int) -> torch.Tensor:
        """One step on uint8 images (B, 3, H, W); returns the detached loss, NaN when the
        embeddings held NaN/inf (read it when logging; reading it here would wait)."""
        m, b, timer = self.n_views, images.shape[0], self.timer
        on_gpu = images.device.type == "cuda"
        self.generator.manual_seed(step_seed(self.seed, self.rank, step))
        with timer.section("augment"):
            views = augment_views(
                images,
                m,
                self.recipe,
                generator=self.generator,
                preprocessing=self.preprocessing,
                dtype=torch.bfloat16 if (self.amp and on_gpu) else torch.float32,
                channels_last=self.channels_last and on_gpu,
            )
            x = views.flatten(0, 1)
        with timer.section("forward"), self._autocast(images.device):
            out = (
                self.model(x, return_features=True) if self.needs_representation else self.model(x)
            )
        with timer.section("loss"):
            if self.needs_representation:
                z = out[0].float().view(m, b, -1)
                loss = self.criterion(z, representation=out[1].float().view(m, b, -1))
            else:
                z = out.float().view(m, b, -1)
                loss = self.criterion(z)
        with timer.section("backward"):
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
        with timer.section("optimizer"):
            self.optimizer.step()
            self.schedule.step()
        # CLAMP masks NaN distances out of its energy, so a NaN in z need not reach the loss
        return loss.detach().masked_fill(~torch.isfinite(z.detach()).all(), float("nan"))
