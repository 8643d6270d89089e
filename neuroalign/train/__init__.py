"""Self-supervised training: the loop and its units, LARS + schedule, kNN, linear probe.

``train(TrainConfig(...))`` (or ``run_training(options, recipe=...)``, what ``neuroalign train``
calls) runs a CLAMP/SimCLR/VICReg/MMCR training (see :mod:`neuroalign.train.loop`;
augmentations: :mod:`neuroalign.augment`). The loop calls :class:`Callback` hooks at step,
epoch and checkpoint boundaries (:mod:`neuroalign.train.callbacks`); the kNN monitor is one.
``LARS`` / ``WarmupCosineSchedule`` are the optimiser of the recipes; ``knn_accuracy`` and
``fit_linear_probe`` evaluate frozen backbones.
"""

from __future__ import annotations

from neuroalign.train.callbacks import Callback, ProgressBar, TrainState
from neuroalign.train.config import (
    TrainConfig,
    available_recipes,
    recipe_values,
    resolve_train_config,
)
from neuroalign.train.knn import KNNMonitor, knn_accuracy, knn_predict
from neuroalign.train.loop import TrainingDiverged, TrainResult, run_training, train
from neuroalign.train.optim import (
    LARS,
    WarmupCosineSchedule,
    lars_param_groups,
    scaled_lr,
    warmup_cosine_lr,
)
from neuroalign.train.probe import (
    ProbeConfig,
    ProbeResult,
    extract_features,
    fit_linear_probe,
    run_probe,
)
from neuroalign.train.sources import epoch_batches

__all__ = [
    "LARS",
    "Callback",
    "KNNMonitor",
    "ProbeConfig",
    "ProbeResult",
    "ProgressBar",
    "TrainConfig",
    "TrainResult",
    "TrainState",
    "TrainingDiverged",
    "WarmupCosineSchedule",
    "available_recipes",
    "epoch_batches",
    "extract_features",
    "fit_linear_probe",
    "knn_accuracy",
    "knn_predict",
    "lars_param_groups",
    "recipe_values",
    "resolve_train_config",
    "run_probe",
    "run_training",
    "scaled_lr",
    "train",
    "warmup_cosine_lr",
]
