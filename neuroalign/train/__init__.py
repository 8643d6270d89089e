"""Self-supervised training: on-device augmentations, LARS + schedule, loop, kNN, probe.

``train(TrainConfig(...))`` runs a CLAMP/SimCLR/VICReg/MMCR training (see
:mod:`neuroalign.train.loop`; augmentations: :mod:`neuroalign.augment`); ``LARS`` / ``WarmupCosineSchedule`` are the optimiser of the recipes;
``knn_accuracy`` and ``fit_linear_probe`` evaluate frozen backbones.
"""

from __future__ import annotations

from neuroalign.train.config import TrainConfig, available_recipes, recipe_values
from neuroalign.train.knn import knn_accuracy, knn_predict
from neuroalign.train.loop import TrainingDiverged, TrainResult, epoch_batches, train
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

__all__ = [
    "LARS",
    "ProbeConfig",
    "ProbeResult",
    "TrainConfig",
    "TrainResult",
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
    "run_probe",
    "scaled_lr",
    "train",
    "warmup_cosine_lr",
]
