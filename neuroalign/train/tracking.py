"""The trackers of :mod:`neuroalign.tracking` as training callbacks (``neuroalign train --track``).

Each tracker is a :class:`~neuroalign.train.callbacks.Callback` that picks its fixed probe set
once, in ``on_train_start`` (on ``--resume`` the same one again): images spread evenly over the
test split (over the training images when there is none), with their labels, or the V4 and IT
stimuli resized to the network's input. At step 0 of a new run (the network at
initialisation) and then every ``every_epochs`` epochs (and/or ``every_steps`` steps) it
measures the network -- ``state.model``, in eval mode, train mode given back -- on
rank 0 only, and its values become columns of that step's metrics row (``metrics.csv`` and
TensorBoard, named ``TRACKER/LAYER/QUANTITY``: :mod:`neuroalign.tracking.names`), with the
seconds the call took (``TRACKER/seconds``). The loop leaves that time out of the training
throughput; the other processes of a DDP run wait for rank 0 in the next step's gradient
all-reduce, as for the kNN monitor.

Resume: the trackers keep no state. The probe is chosen again identically, and the loop calls
the hooks at the global step / epoch numbers an uninterrupted run would (rows after the
checkpoint are dropped and measured again), so a resumed run's tracked rows are those of an
uninterrupted one: no gap, no duplicate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

from neuroalign.data import spread_indices
from neuroalign.defaults import (
    TRACK_IT_LAYERS,
    TRACK_PACKING_IMAGES,
    TRACK_PACKING_LAYERS,
    TRACK_PROBE_IMAGES,
    TRACK_V4_FEATURES,
    TRACK_V4_LAYERS,
)
from neuroalign.tracking.names import metric_name
from neuroalign.tracking.packing import PACKING_QUANTITIES
from neuroalign.train.callbacks import Callback, TrainState

__all__ = [
    "AlignmentTracker",
    "DimensionTracker",
    "PackingTracker",
    "probe_images",
    "tracking_callbacks",
]


def probe_images(state: TrainState, n: int | None, batch_size: int = 256) -> Any:
    """The run's probe: ``n`` images spread evenly over the test split (else the training
    images), on the CPU, with their labels when the source has them."""
    from neuroalign.tracking import ProbeImages

    source = state.test_data if state.test_data is not None else state.train_data
    index = spread_indices(len(source), n)
    images = torch.cat([batch.cpu() for batch in source.images(index, batch_size)])
    try:
        labels = source.labels(index)
    except ValueError:  # in-memory images without labels
        labels = None
    return ProbeImages(images, labels, index)


class _Tracker(Callback):
    """The schedule and rank-0 behaviour the trackers share; subclasses set ``name``,
    ``columns``, :meth:`setup` and :meth:`measure`."""

    rank_zero_only = True

    def __init__(self, every_epochs: int | None = 1, every_steps: int | None = None) -> None:
        self.every_epochs = int(every_epochs or 0) or None
        self.every_steps = int(every_steps or 0) or None
        self._probe: Any = None

    def setup(self, state: TrainState) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def measure(self, state: TrainState) -> dict[str, float]:  # pragma: no cover - abstract
        raise NotImplementedError

    def on_train_start(self, state: TrainState) -> Mapping[str, float] | None:
        self._probe = self.setup(state)
        if state.step == 0 and (self.every_epochs or self.every_steps):
            return self.measure(state)  # the network at initialisation: the row of step 0
        return None

    def on_step_end(self, state: TrainState) -> Mapping[str, float] | None:
        return self.measure(state)

    def on_epoch_end(self, state: TrainState) -> Mapping[str, float] | None:
        if self.every_steps and state.step % self.every_steps == 0:
            return None  # measured after this very step already
        return self.measure(state)


class PackingTracker(_Tracker):
    """:func:`~neuroalign.tracking.packing_metrics` (CLAMP Fig. 3) during training.

    Args:
        every_epochs, every_steps: the schedule (0 / None: never).
        n_images: probe images whose sub-manifolds are measured.
        n_views: augmented views per image (default: the run's ``views``); the views are the
            run's training augmentations at the network's input size, the same at every call.
        layers: ``output`` (embedding), ``backbone`` (representation) or module names.
        r_s: radius scale (default: the run's ``r_s``).
    """

    name = "packing"

    def __init__(
        self,
        every_epochs: int | None = 1,
        every_steps: int | None = None,
        *,
        n_images: int = TRACK_PACKING_IMAGES,
        n_views: int | None = None,
        layers: Sequence[str] = TRACK_PACKING_LAYERS,
        r_s: float | None = None,
    ) -> None:
        super().__init__(every_epochs, every_steps)
        self.n_images, self.n_views, self.r_s = int(n_images), n_views, r_s
        self.layers = tuple(layers)
        self.columns = (
            *(
                metric_name("packing", k, layer)
                for layer in self.layers
                for k in PACKING_QUANTITIES
            ),
            metric_name("packing", "seconds"),
        )

    def setup(self, state: TrainState) -> Any:
        return probe_images(state, self.n_images)

    def measure(self, state: TrainState) -> dict[str, float]:
        from neuroalign.tracking import packing_metrics

        cfg = state.config
        return packing_metrics(
            state.model,
            self._probe,
            layers=self.layers,
            n_views=self.n_views or cfg.views,
            recipe=state.recipe,
            r_s=cfg.r_s if self.r_s is None else self.r_s,
            seed=cfg.seed,
            preprocessing=state.preprocessing,
        )


class DimensionTracker(_Tracker):
    """:func:`~neuroalign.tracking.dimension_metrics` during training: participation ratio and
    effective rank of the representation (``backbone``) and embedding (``output``), I(R; Z).

    Args:
        every_epochs, every_steps: the schedule (0 / None: never).
        n_images: probe images (every dimension is at most n_images - 1).
    """

    name = "dimension"

    def __init__(
        self,
        every_epochs: int | None = 1,
        every_steps: int | None = None,
        *,
        n_images: int = TRACK_PROBE_IMAGES,
    ) -> None:
        super().__init__(every_epochs, every_steps)
        self.n_images = int(n_images)
        self.columns = (
            *(
                metric_name("dimension", q, layer)
                for layer in ("backbone", "output")
                for q in ("participation_ratio", "effective_rank")
            ),
            metric_name("dimension", "mutual_information"),
            metric_name("dimension", "seconds"),
        )

    def setup(self, state: TrainState) -> Any:
        return probe_images(state, self.n_images)

    def measure(self, state: TrainState) -> dict[str, float]:
        from neuroalign.tracking import dimension_metrics

        return dimension_metrics(state.model, self._probe, preprocessing=state.preprocessing)


class AlignmentTracker(_Tracker):
    """:func:`~neuroalign.tracking.alignment_metrics` during training: V4 predictivity
    (Cowley 2023) and IT RSA (Kriegeskorte 2008), stimuli loaded once at the start.

    Args:
        every_epochs, every_steps: the schedule (0 / None: never).
        v4_layers, it_layers: layers scored against V4 / IT.
        n_v4_images: the first N images of the V4 session (None: all, with the ceiling).
        v4_features: random-projection size of a V4 layer.
    """

    name = "alignment"

    def __init__(
        self,
        every_epochs: int | None = 1,
        every_steps: int | None = None,
        *,
        v4_layers: Sequence[str] = TRACK_V4_LAYERS,
        it_layers: Sequence[str] = TRACK_IT_LAYERS,
        n_v4_images: int | None = None,
        v4_features: int = TRACK_V4_FEATURES,
    ) -> None:
        super().__init__(every_epochs, every_steps)
        self.v4_layers, self.it_layers = tuple(v4_layers), tuple(it_layers)
        self.n_v4_images, self.v4_features = n_v4_images, int(v4_features)
        self.columns = (
            *(metric_name("alignment", q, layer) for layer in self.v4_layers
              for q in ("v4_r", "v4_ev")),
            *(metric_name("alignment", q, layer) for layer in self.it_layers
              for q in ("it_monkey", "it_human")),
            metric_name("alignment", "seconds"),
        )  # fmt: skip

    def setup(self, state: TrainState) -> Any:
        from neuroalign.tracking import AlignmentProbe

        return AlignmentProbe.load(state.preprocessing, n_v4_images=self.n_v4_images)

    def measure(self, state: TrainState) -> dict[str, float]:
        from neuroalign.tracking import alignment_metrics

        return alignment_metrics(
            state.model,
            self._probe,
            v4_layers=self.v4_layers,
            it_layers=self.it_layers,
            v4_features=self.v4_features,
            seed=state.config.seed,
            preprocessing=state.preprocessing,
        )


def tracking_callbacks(cfg: Any) -> list[Callback]:
    """The trackers a :class:`~neuroalign.train.TrainConfig` asks for (``track``), in the
    order of :data:`neuroalign.tracking.TRACKERS`, on its schedule and probe sizes."""
    schedule = (cfg.track_every_epochs, cfg.track_every_steps)
    made: dict[str, Callable[[], Callback]] = {
        "packing": lambda: PackingTracker(
            *schedule, n_images=cfg.track_packing_images, n_views=cfg.track_views
        ),
        "dimension": lambda: DimensionTracker(*schedule, n_images=cfg.track_images),
        "alignment": lambda: AlignmentTracker(
            *schedule, v4_layers=cfg.track_v4_layers, it_layers=cfg.track_it_layers,
            n_v4_images=cfg.track_v4_images,
        ),
    }  # fmt: skip
    return [make() for name, make in made.items() if name in cfg.track]
