"""AdaDim's adaptive alpha in the training loop: re-estimated every tau epochs by a callback.

AdaDim (Kokilepersaud, Prabhushankar & AlRegib 2025; :class:`neuroalign.losses.AdaDimLoss`)
weighs sample uniformity (InfoNCE) against feature decorrelation (VICReg) by
alpha = erank(R) / max erank, the effective rank of the backbone representation R relative to
its largest possible value, estimated on ``alpha_batches`` (10) training batches at the start of
every epoch e with e % tau == 0 (epoch 0 included); the weight of its I(R; Z) penalty is
beta = mi_weight * alpha. The training step hands R to the loss every step
(:class:`~neuroalign.train.step.TrainStep`); :class:`AdaDimAlpha`, which the loop adds for an
AdaDim loss, does the rest:

- before the first step, and after the last step of every epoch e with e % tau == 0 (so before
  epoch e's first step), it passes the first ``alpha_batches`` batches of epoch e's image order
  through the backbone -- m augmented views each, drawn with a seed of their own, eval mode, no
  gradient, the model's mode given back -- and calls ``loss.update_alpha``. Under DDP every rank
  does this with its own shard and the estimate gathers all of them (a collective, so the
  callback runs on every rank);
- alpha and the epoch it was estimated for travel in every checkpoint, so a resumed run goes on
  with the alpha an uninterrupted run has (it re-estimates only when the checkpoint holds none
  for the current tau-period);
- ``adadim/alpha`` and ``adadim/beta`` are columns of every metrics row: the values the step
  of that row used (the row of step 0: the first estimate, used from step 1).

With a fixed alpha (``--loss-options alpha=0.5``) nothing is estimated; alpha and beta are
logged all the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from neuroalign.augment import augment_views
from neuroalign.train.callbacks import Callback, TrainState
from neuroalign.train.sources import epoch_batches

__all__ = ["AdaDimAlpha", "alpha_seed"]


def alpha_seed(seed: int, epoch: int) -> int:
    """Seed of the augmentations of the alpha estimate for ``epoch`` (apart from the steps')."""
    return (int(seed) * 1_000_003 + int(epoch) * 15_485_863 + 7_777_777) % (2**62)


class AdaDimAlpha(Callback):
    """Keeps an AdaDim loss's alpha up to date and logs alpha and beta (see the module).

    Args:
        loss: the run's :class:`~neuroalign.losses.AdaDimLoss` (the object the step calls).
        log_every_steps: write ``adadim/alpha`` and ``adadim/beta`` every N steps (the run's
            logging interval).
    """

    name = "adadim"
    columns = ("adadim/alpha", "adadim/beta")
    rank_zero_only = False  # the estimate gathers the batches of every rank

    def __init__(self, loss: Any, log_every_steps: int = 1) -> None:
        self.loss = loss
        self.every_steps = int(log_every_steps)
        self.every_epochs = int(loss.tau) if loss.adaptive else None
        self.alpha_epoch: int | None = None  # the epoch the current alpha was estimated for

    def _estimate(self, state: TrainState, epoch: int) -> None:
        """``loss.update_alpha`` on the first ``alpha_batches`` batches of ``epoch``."""
        cfg, model = state.config, state.model
        batches = epoch_batches(
            len(state.train_data), epoch, cfg.seed, cfg.batch_size, state.rank, state.world
        )[: self.loss.alpha_batches]
        generator = torch.Generator().manual_seed(alpha_seed(cfg.seed, epoch))
        was_training = model.training
        model.eval()
        reps = []
        try:
            with torch.no_grad():
                for images in state.train_data.images(torch.cat(batches), cfg.batch_size):
                    views = augment_views(
                        images,
                        cfg.views,
                        state.recipe,
                        generator=generator,
                        preprocessing=state.preprocessing,
                    )
                    r = model.backbone(views.flatten(0, 1))
                    reps.append(r.float().view(cfg.views, images.shape[0], -1))
        finally:
            model.train(was_training)
        self.loss.update_alpha(reps)
        self.alpha_epoch = int(epoch)

    def on_train_start(self, state: TrainState) -> Mapping[str, float] | None:
        if self.loss.adaptive:
            period = (state.epoch // self.every_epochs) * self.every_epochs
            if self.loss.alpha is None or self.alpha_epoch != period:
                self._estimate(state, period)
        return self._values()  # (the loop keeps it as the row of step 0 of a new run)

    def on_epoch_end(self, state: TrainState) -> Mapping[str, float] | None:
        used = self._values()  # the row of a step shows the alpha that step used
        if self.loss.adaptive and state.step < state.stop_step:  # epoch state.epoch is due
            self._estimate(state, state.epoch)
        return used

    def on_step_end(self, state: TrainState) -> Mapping[str, float] | None:
        return self._values()

    def _values(self) -> dict[str, float]:
        alpha, beta = self.loss.alpha, self.loss.beta
        return {
            "adadim/alpha": float("nan") if alpha is None else float(alpha),
            "adadim/beta": float("nan") if beta is None else float(beta),
        }

    def state_dict(self) -> dict[str, Any]:
        return {"alpha": self.loss.alpha, "alpha_epoch": self.alpha_epoch}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        if self.loss.adaptive and state.get("alpha") is not None:
            self.loss.set_extra_state({"alpha": float(state["alpha"])})
        epoch = state.get("alpha_epoch")
        self.alpha_epoch = None if epoch is None else int(epoch)
