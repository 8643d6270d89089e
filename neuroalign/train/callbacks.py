"""Hooks into the training loop: :class:`Callback` and the read-only :class:`TrainState`.

:func:`neuroalign.train.train` calls every callback it is given (``callbacks=[...]``) at fixed
points of the run, always in list order:

============================ =============================================================
hook                         when
============================ =============================================================
``on_train_start(state)``    once, after the model, data and (``--resume``) checkpoint are
                             loaded, before the first step of this process; at step 0 (a
                             new run) it may return values: a row at step 0, the network
                             at initialisation
``on_step_end(state)``       after optimizer step ``state.step`` (1, 2, ...) when
                             ``state.step % every_steps == 0``
``on_epoch_end(state)``      after the last step of epoch ``state.epoch`` (1, 2, ...) when
                             ``state.epoch % every_epochs == 0``
``on_checkpoint(state, p)``  just before checkpoint dict ``p`` is written (``last.pt``,
                             ``epoch_NNNN.pt``, and ``init.pt`` of a new run, which comes
                             before ``on_train_start``); ``p`` may be read or extended
``on_train_end(state)``      once, after the final checkpoint
============================ =============================================================

**Metrics.** ``on_step_end`` and ``on_epoch_end`` may return ``{column: value}``: the values
join the metrics row of that step, which is written to ``metrics.csv`` and TensorBoard
(``<name>/<column>``; a column already named ``<name>/...`` is its own tag). Declare the
columns in ``columns`` (the CSV header is fixed when the run starts); a step for which a
callback returns values gets a row even between the loop's own logging steps. ``state.row`` is
the loop's row (step, epoch, loss, lr, throughput) on logging steps and ``None`` otherwise.

**Schedules.** Hooks run on global step and epoch numbers (``every_steps``, ``every_epochs``),
so a run resumed from a checkpoint at step s calls them at exactly the steps an uninterrupted
run would: rows after s (logged before the interruption but not checkpointed) are dropped from
``metrics.csv`` on resume and computed again, so there are neither gaps nor duplicates.
:meth:`Callback.state_dict` is saved in every checkpoint and given back to
:meth:`Callback.load_state_dict` before ``on_train_start`` of a resumed run.

**Several processes (torchrun).** Hooks run on every rank, at the same steps, unless
``rank_zero_only`` is set; the loop writes rank 0's row. A rank-0 callback must not use
collectives (the other ranks are not there) and should run ``state.model`` -- the bare
:class:`~neuroalign.backbones.SSLModel`, not the DDP wrapper -- in eval mode (e.g. through
:func:`neuroalign.extract.layer_views`), where SyncBatchNorm does not communicate either; the
other ranks simply wait for it in the next step's gradient all-reduce (keep such a callback well
under the process group's timeout, 10 minutes by default).

Example: a tracker every 500 steps, on rank 0, logging one column::

    class MeanNorm(Callback):
        name, columns, every_steps, rank_zero_only = "norm", ("mean_norm",), 500, True

        def on_step_end(self, state):
            feats = layer_views(state.model.backbone, images, preprocessing=state.preprocessing)
            return {"mean_norm": float(feats["output"].norm(dim=1).mean())}

    train(cfg, callbacks=[MeanNorm()])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from neuroalign.preprocessing import Preprocessing

if TYPE_CHECKING:
    from neuroalign.augment import AugmentRecipe
    from neuroalign.train.config import TrainConfig
    from neuroalign.train.sources import ImageSource

__all__ = ["Callback", "CallbackList", "ProgressBar", "TrainState"]


@dataclass(frozen=True)
class TrainState:
    """What a callback sees (read-only; a fresh one for every hook call).

    Attributes:
        step: optimizer steps done so far (0 before the first one).
        epoch: completed epochs (``step // steps_per_epoch``).
        steps_per_epoch: steps in one epoch of this process.
        stop_step: the step the run ends at.
        model: the trained :class:`~neuroalign.backbones.SSLModel` (not the DDP / compiled
            wrapper); its ``backbone`` is the representation. Do not change its weights.
        device: where the model and the batches live.
        preprocessing: the network's input transform (saved in the checkpoints).
        recipe: the augmentation recipe of the training views (at the network's input size).
        rank, world: this process and the number of processes.
        config: the resolved :class:`~neuroalign.train.config.TrainConfig`.
        output_dir: the run folder.
        train_data, test_data: the image sources (``test_data`` may be ``None``).
        row: the loop's metrics row of this step (logging steps), else ``None``.
    """

    step: int
    epoch: int
    steps_per_epoch: int
    stop_step: int
    model: nn.Module
    device: torch.device
    preprocessing: Preprocessing
    recipe: AugmentRecipe
    rank: int
    world: int
    config: TrainConfig
    output_dir: Path
    train_data: ImageSource
    test_data: ImageSource | None = None
    row: Mapping[str, Any] | None = None


class Callback:
    """Base class of the loop's hooks; override what you need (see the module docstring).

    Class (or instance) attributes:
        name: identifies the callback: its checkpoint state and its TensorBoard section.
        columns: the metrics columns its step hooks may return.
        every_steps, every_epochs: call ``on_step_end`` / ``on_epoch_end`` only when the
            step / epoch number is a multiple of this (0 or None: never).
        rank_zero_only: call the hooks on rank 0 only.
    """

    name: str = "callback"
    columns: tuple[str, ...] = ()
    every_steps: int | None = 1
    every_epochs: int | None = 1
    rank_zero_only: bool = False

    def on_train_start(self, state: TrainState) -> Mapping[str, Any] | None:
        """Once, before this process's first step (also on ``--resume``); at step 0 may
        return values of ``columns`` (the metrics row of step 0)."""
        return None

    def on_step_end(self, state: TrainState) -> Mapping[str, Any] | None:
        """After step ``state.step``; may return values of ``columns``."""
        return None

    def on_epoch_end(self, state: TrainState) -> Mapping[str, Any] | None:
        """After the last step of epoch ``state.epoch``; may return values of ``columns``."""
        return None

    def on_checkpoint(self, state: TrainState, payload: dict[str, Any]) -> None:
        """Before ``payload`` (the checkpoint dict) is written."""

    def on_train_end(self, state: TrainState) -> None:
        """Once, after the final checkpoint."""

    def state_dict(self) -> dict[str, Any]:
        """What to keep in checkpoints (tensors, numbers, strings, lists, dicts)."""
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Take back :meth:`state_dict` when a run resumes."""


def _due(every: int | None, number: int) -> bool:
    return bool(every) and number > 0 and number % int(every) == 0


class CallbackList:
    """The loop's side of the interface: validates the callbacks and dispatches hooks."""

    def __init__(self, callbacks: Sequence[Callback], rank: int) -> None:
        names = [cb.name for cb in callbacks]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"callback names must be unique; used twice: {twice}")
        self.all = list(callbacks)
        self.active = [cb for cb in callbacks if rank == 0 or not cb.rank_zero_only]

    def columns(self) -> dict[str, str]:
        """column -> TensorBoard tag of every declared column, in callback order: the tag is
        ``<name>/<column>``, or the column itself when it already starts with ``<name>/``."""
        out: dict[str, str] = {}
        for cb in self.all:
            for column in cb.columns:
                if column in out:
                    raise ValueError(f"metrics column {column!r} is declared twice")
                under = column.startswith(f"{cb.name}/")
                out[column] = column if under else f"{cb.name}/{column}"
        return out

    def train_start(self, state: TrainState) -> dict[str, Any]:
        """Calls every ``on_train_start``; the values they return at step 0 (else ``{}``)."""
        values = self._collect("on_train_start", state, lambda cb: True)
        return values if state.step == 0 else {}

    def step_end(self, state: TrainState) -> dict[str, Any]:
        """Values returned by the callbacks due at ``state.step``."""
        return self._collect("on_step_end", state, lambda cb: _due(cb.every_steps, state.step))

    def epoch_end(self, state: TrainState) -> dict[str, Any]:
        """Values returned by the callbacks due at the end of epoch ``state.epoch``."""
        return self._collect("on_epoch_end", state, lambda cb: _due(cb.every_epochs, state.epoch))

    def any_due(self, step: int, epoch_done: int | None) -> bool:
        """Whether some callback runs after ``step`` (``epoch_done``: the epoch it ended)."""
        return any(
            _due(cb.every_steps, step) or (epoch_done and _due(cb.every_epochs, epoch_done))
            for cb in self.active
        )

    def checkpoint(self, state: TrainState, payload: dict[str, Any]) -> None:
        for cb in self.active:
            cb.on_checkpoint(state, payload)
        payload["callbacks"] = {cb.name: cb.state_dict() for cb in self.all}

    def restore(self, saved: Mapping[str, Any]) -> None:
        for cb in self.all:
            if cb.name in saved:
                cb.load_state_dict(saved[cb.name])

    def train_end(self, state: TrainState) -> None:
        for cb in self.active:
            cb.on_train_end(state)

    def _collect(self, hook: str, state: TrainState, due) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for cb in self.active:
            if not due(cb):
                continue
            returned = getattr(cb, hook)(state) or {}
            unknown = set(returned) - set(cb.columns)
            if unknown:
                raise ValueError(
                    f"callback {cb.name!r} returned undeclared metrics {sorted(unknown)}; "
                    f"declare them in its columns {cb.columns}"
                )
            values.update(returned)
        return values


class ProgressBar(Callback):
    """A tqdm bar of the steps with the last logged loss, lr and throughput (rank 0)."""

    name = "progress"
    rank_zero_only = True
    every_epochs = None

    def __init__(self) -> None:
        self._bar = None

    def on_train_start(self, state: TrainState) -> None:
        from tqdm.auto import tqdm

        self._bar = tqdm(total=state.stop_step, initial=state.step, unit="step", dynamic_ncols=True)

    def on_step_end(self, state: TrainState) -> None:
        self._bar.total = state.stop_step  # --time-budget sizes the run after train start
        self._bar.update(state.step - self._bar.n)
        if state.row:
            self._bar.set_postfix(
                loss=f"{state.row['loss']:.4f}",
                lr=f"{state.row['lr']:.3g}",
                img_s=f"{state.row['view_images_per_s']:.0f}",
            )

    def on_train_end(self, state: TrainState) -> None:
        if self._bar is not None:
            self._bar.close()
