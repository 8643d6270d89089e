"""Self-supervised training: the loop and its units, LARS + schedule, kNN, linear probe.

``train(TrainConfig(...))`` (or ``run_training(options, recipe=...)``, what ``neuroalign train``
calls) runs a CLAMP/SimCLR/VICReg/MMCR training (see :mod:`neuroalign.train.loop`;
augmentations: :mod:`neuroalign.augment`). The loop calls :class:`Callback` hooks at step,
epoch and checkpoint boundaries (:mod:`neuroalign.train.callbacks`); the kNN monitor is one.
``LARS`` / ``WarmupCosineSchedule`` are the optimiser of the recipes; ``knn_accuracy`` and
``fit_linear_probe`` evaluate frozen backbones.
"""

from __future__ import annotations

from neuroalign._lazy import lazy_exports

# names are imported on first use: the configs (``neuroalign.train.config``) need no torch
__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "callbacks": ("Callback", "ProgressBar", "TrainState"),
        "config": (
            "ProbeConfig",
            "TrainConfig",
            "available_recipes",
            "recipe_values",
            "resolve_train_config",
        ),
        "knn": ("KNNMonitor", "knn_accuracy", "knn_predict"),
        "loop": ("TrainResult", "TrainingDiverged", "run_training", "train"),
        "optim": (
            "LARS",
            "WarmupCosineSchedule",
            "lars_param_groups",
            "scaled_lr",
            "warmup_cosine_lr",
        ),
        "probe": ("ProbeResult", "extract_features", "fit_linear_probe", "run_probe"),
        "sources": ("epoch_batches",),
    },
)
