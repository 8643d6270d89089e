"""Self-supervised training: on-device augmentations, LARS + schedule, loop, kNN, probe.

``train(TrainConfig(...))`` runs a CLAMP/SimCLR/VICReg/MMCR training (see
:mod:`neuroalign.train.loop`); ``augment_views`` draws m augmented views per image on the
device; ``LARS`` / ``WarmupCosineSchedule`` are the optimiser of the recipes;
``knn_accuracy`` and ``fit_linear_probe`` evaluate frozen backbones.
"""

from __future__ import annotations

from neuroalign.train.augment import RECIPES, AugmentRecipe, augment_views, get_recipe
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
    preprocess_for_eval,
    run_probe,
)

__all__ = [
    "LARS",
    "RECIPES",
    "AugmentRecipe",
    "ProbeConfig",
    "ProbeResult",
    "TrainConfig",
    "TrainResult",
    "TrainingDiverged",
    "WarmupCosineSchedule",
    "augment_views",
    "available_recipes",
    "epoch_batches",
    "extract_features",
    "fit_linear_probe",
    "get_recipe",
    "knn_accuracy",
    "knn_predict",
    "lars_param_groups",
    "preprocess_for_eval",
    "recipe_values",
    "run_probe",
    "scaled_lr",
    "train",
    "warmup_cosine_lr",
]
