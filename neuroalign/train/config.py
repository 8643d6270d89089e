"""``TrainConfig``: every option of ``neuroalign train`` (each is also a CLI flag).

Values resolve as (:func:`resolve_train_config`): these defaults < the run's saved
``config.yaml`` (with ``resume``) < a recipe (``neuroalign/recipes/NAME.yaml``) < a YAML file
< explicit options (the command line's flags). The defaults are the CLAMP CIFAR-10 recipe
(Zhang, Heeger & Martiniani 2025; reference ``examples/cifar10/config.ini``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from neuroalign.config import load_config
from neuroalign.defaults import (
    R_S,
    TRACK_IT_LAYERS,
    TRACK_PACKING_IMAGES,
    TRACK_PROBE_IMAGES,
    TRACK_V4_LAYERS,
)
from neuroalign.tracking.names import TRACKERS

__all__ = [
    "DATASETS",
    "DECODERS",
    "LOSSES",
    "MAX_VIEWS",
    "ProbeConfig",
    "TrainConfig",
    "available_recipes",
    "parse_duration",
    "recipe_values",
    "resolve_train_config",
]

#: data sets held in memory (on the device) by name; anything else is an ImageFolder path
DATASETS = ("cifar10", "imagenette")
LOSSES = ("clamp", "simclr", "vicreg", "mmcr", "directclr", "adadim")
#: views per image: 2 (the least a loss compares) to 16 (CLAMP's CIFAR-10 recipe)
MIN_VIEWS, MAX_VIEWS = 2, 16


#: How ImageFolder JPEGs are decoded: ``auto`` (on the GPU when training on CUDA), ``cpu``
#: (DataLoader workers), ``device`` (batched on the training device).
DECODERS = ("auto", "cpu", "device")

_UNIT_SECONDS = {"": 1.0, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(min|h|m|s)?")


def parse_duration(text: str | float | int) -> float:
    """Seconds of a duration: ``300``, ``"90s"``, ``"5m"``, ``"1.5h"``, ``"1h30m"``.

    Raises:
        ValueError: anything else, or a duration that is not positive.
    """
    if isinstance(text, int | float):
        seconds = float(text)
    else:
        compact = str(text).strip().lower().replace(" ", "")
        parts = _PART.findall(compact)
        if not compact or "".join(n + u for n, u in parts) != compact:
            raise ValueError(
                f"--time-budget {text!r}: expected a duration like 300, 90s, 5m, 1.5h or 1h30m"
            )
        seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"--time-budget must be a positive duration, got {text!r}")
    return seconds


@dataclass(frozen=True)
class TrainConfig:
    """Options of a self-supervised training run."""

    arch: str = field(
        default="resnet18", metadata={"help": "backbone: resnet18, resnet34, resnet50"}
    )
    cifar_stem: bool = field(default=True, metadata={"help": "3x3 stride-1 stem, no max-pool"})
    head_dims: tuple[int, ...] = field(
        default=(2048, 256),
        metadata={"help": "projection-head widths after the backbone (Linear-ReLU, no BN)"},
    )
    loss: str = field(
        default="clamp",
        metadata={
            "help": "clamp, simclr, vicreg, mmcr, directclr (projector-free: use with "
            "--head-dims '' and --loss-options d0=N) or adadim"
        },
    )
    r_s: float = field(default=R_S, metadata={"help": "CLAMP radius scale r_s"})
    loss_options: tuple[str, ...] = field(
        default=(),
        metadata={"help": "extra loss keyword arguments KEY=VALUE (e.g. temperature=0.2)"},
    )
    dataset: str = field(
        default="cifar10",
        metadata={"help": "cifar10, imagenette, or the path of an ImageFolder train tree"},
    )
    test_dataset: str | None = field(
        default=None,
        metadata={"help": "ImageFolder test tree for kNN when --dataset is a path"},
    )
    train_subset: int | None = field(
        default=None, metadata={"help": "use only the first N training images (smoke tests)"}
    )
    augment: str = field(
        default="cifar10", metadata={"help": "augmentation recipe: cifar10, imagenet"}
    )
    image_size: int | None = field(
        default=None, metadata={"help": "crop size S (default: the augmentation recipe's)"}
    )
    load_size: int = field(
        default=256,
        metadata={"help": "ImageFolder images are resized/centre-cropped to this before GPU aug"},
    )
    views: int = field(
        default=16, metadata={"help": f"views m per image ({MIN_VIEWS}-{MAX_VIEWS})"}
    )
    batch_size: int = field(
        default=128,
        metadata={"help": "images per step on each process (global batch = this x processes)"},
    )
    epochs: int = field(default=1000, metadata={"help": "training epochs"})
    time_budget: str | None = field(
        default=None,
        metadata={
            "help": "train for this wall-clock time (90s, 5m, 1.5h): warm-up + cosine are "
            "sized to it from the first steps' speed (--epochs then only sets the warm-up share)"
        },
    )
    max_steps: int | None = field(
        default=None,
        metadata={
            "help": "stop after this many optimizer steps (the lr schedule still spans --epochs)"
        },
    )
    base_lr: float = field(default=0.1, metadata={"help": "lr = base_lr x global batch / 256"})
    final_lr: float = field(default=0.0, metadata={"help": "lr at the end of the cosine"})
    warmup_epochs: float = field(default=10.0, metadata={"help": "linear warm-up length"})
    weight_decay: float = field(default=1e-6, metadata={"help": "LARS weight decay"})
    momentum: float = field(default=0.9, metadata={"help": "LARS momentum"})
    lars_eta: float = field(default=0.001, metadata={"help": "LARS trust coefficient"})
    seed: int = field(default=0, metadata={"help": "random seed"})
    device: str = field(default="auto", metadata={"help": "auto, cpu, cuda, cuda:1 ..."})
    threads: int | None = field(
        default=None, metadata={"help": "torch CPU threads (default: torch's choice)"}
    )
    amp: bool = field(default=True, metadata={"help": "bf16 autocast on CUDA"})
    channels_last: bool = field(
        default=True, metadata={"help": "channels_last memory format on CUDA"}
    )
    compile: bool = field(default=False, metadata={"help": "torch.compile the model"})
    sync_bn: bool = field(
        default=False,
        metadata={
            "help": "SyncBatchNorm under torchrun (CUDA): batch statistics over all processes, "
            "not over one GPU's images (whose m views would share them)"
        },
    )
    activation_checkpointing: bool = field(
        default=False,
        metadata={
            "help": "recompute each residual block in the backward pass: much less activation "
            "memory for about a third more compute (one-GPU runs of the ImageNet recipes)"
        },
    )
    workers: int = field(default=8, metadata={"help": "DataLoader workers (ImageFolder data)"})
    decode: str = field(
        default="auto",
        metadata={
            "help": "where ImageFolder JPEGs are decoded: auto (the GPU when training on CUDA), "
            "cpu (workers, JPEG draft mode), device"
        },
    )
    output_dir: Path = field(
        default=Path("runs/train"), metadata={"help": "folder for checkpoints and logs"}
    )
    resume: bool = field(
        default=False, metadata={"help": "continue from OUTPUT_DIR/checkpoints/last.pt"}
    )
    save_every_epochs: int = field(default=100, metadata={"help": "periodic checkpoint (epochs)"})
    save_every_steps: int | None = field(
        default=None, metadata={"help": "also refresh last.pt every N steps"}
    )
    log_every_steps: int = field(default=10, metadata={"help": "metrics.csv row every N steps"})
    knn_every_epochs: int = field(
        default=10, metadata={"help": "kNN accuracy on the test split every N epochs (0: never)"}
    )
    knn_k: int = field(default=200, metadata={"help": "neighbours of the kNN monitor"})
    knn_temperature: float = field(default=0.07, metadata={"help": "kNN vote temperature"})
    knn_train_size: int | None = field(
        default=10000, metadata={"help": "training images used as kNN memory bank"}
    )
    knn_test_size: int | None = field(
        default=None, metadata={"help": "test images scored by the kNN monitor"}
    )
    track: tuple[str, ...] = field(
        default=(),
        metadata={
            "help": "measure the network during training (comma-separated; columns of "
            "metrics.csv): packing (CLAMP sub-manifold radius, neighbour count, overlaps), "
            "dimension (participation ratio, effective rank, I(R;Z)), alignment (V4 "
            "predictivity, IT RSA)"
        },
    )
    track_every_epochs: int = field(
        default=1, metadata={"help": "run the trackers after every N-th epoch (0: never)"}
    )
    track_every_steps: int | None = field(
        default=None, metadata={"help": "also run the trackers every N steps"}
    )
    track_images: int = field(
        default=TRACK_PROBE_IMAGES,
        metadata={
            "help": "probe images, chosen once (test split, else training images): the "
            "dimension tracker's"
        },
    )
    track_packing_images: int = field(
        default=TRACK_PACKING_IMAGES,
        metadata={"help": "images whose augmentation sub-manifolds are packed (same split)"},
    )
    track_views: int | None = field(
        default=None, metadata={"help": "augmented views per packed image (default: --views)"}
    )
    track_v4_layers: tuple[str, ...] = field(
        default=TRACK_V4_LAYERS, metadata={"help": "layers scored against V4 (alignment)"}
    )
    track_it_layers: tuple[str, ...] = field(
        default=TRACK_IT_LAYERS, metadata={"help": "layers scored against IT (alignment)"}
    )
    track_v4_images: int | None = field(
        default=None,
        metadata={
            "help": "V4 stimuli used (the first N of session 210325; none: all 640, with the "
            "ceiled score)"
        },
    )
    progress: bool = field(default=True, metadata={"help": "show a tqdm progress bar"})
    tensorboard: bool = field(default=True, metadata={"help": "TensorBoard logs (if installed)"})

    def __post_init__(self) -> None:
        if not MIN_VIEWS <= self.views <= MAX_VIEWS:
            raise ValueError(
                f"--views must be between {MIN_VIEWS} and {MAX_VIEWS} (got {self.views})"
            )
        if self.batch_size < 2:
            raise ValueError(f"--batch-size must be >= 2 (got {self.batch_size})")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; valid: {', '.join(LOSSES)}")
        if self.epochs < 1:
            raise ValueError(f"--epochs must be >= 1 (got {self.epochs})")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError(f"--max-steps must be >= 1 (got {self.max_steps})")
        for name in ("save_every_epochs", "log_every_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 1")
        if self.time_budget is not None:
            parse_duration(self.time_budget)
        unknown = [t for t in self.track if t not in TRACKERS]
        if unknown:
            raise ValueError(f"--track {','.join(unknown)}: choose from {', '.join(TRACKERS)}")
        if self.track_every_epochs < 0 or (self.track_every_steps or 0) < 0:
            raise ValueError("--track-every-epochs and --track-every-steps must be >= 0")
        if self.track_images < 2 or self.track_packing_images < 2:
            raise ValueError("--track-images and --track-packing-images must be >= 2")
        if self.track_views is not None and not MIN_VIEWS <= self.track_views <= MAX_VIEWS:
            raise ValueError(f"--track-views must be between {MIN_VIEWS} and {MAX_VIEWS}")
        if self.track_v4_images is not None and self.track_v4_images < 20:
            raise ValueError(f"--track-v4-images must be >= 20, got {self.track_v4_images}")
        if self.decode not in DECODERS:
            raise ValueError(f"--decode must be one of {', '.join(DECODERS)}, got {self.decode!r}")

    @property
    def time_budget_s(self) -> float | None:
        """``time_budget`` in seconds (``None``: no budget)."""
        return None if self.time_budget is None else parse_duration(self.time_budget)

    def loss_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``create_loss``: ``r_s`` for CLAMP plus ``loss_options``."""
        kwargs: dict[str, Any] = {"r_s": self.r_s} if self.loss == "clamp" else {}
        for item in self.loss_options:
            if "=" not in item:
                raise ValueError(f"--loss-options entries must be KEY=VALUE, got {item!r}")
            key, value = item.split("=", 1)
            kwargs[key.strip()] = yaml.safe_load(value)
        if isinstance(kwargs.get("compute_dtype"), str):  # e.g. compute_dtype=float32 (CLAMP)
            import torch

            name = kwargs["compute_dtype"]
            if not isinstance(getattr(torch, name, None), torch.dtype):
                raise ValueError(f"--loss-options compute_dtype={name}: not a torch dtype")
            kwargs["compute_dtype"] = getattr(torch, name)
        return kwargs


def available_recipes() -> list[str]:
    """Names of the YAML recipes shipped in ``neuroalign/recipes``."""
    folder = resources.files("neuroalign") / "recipes"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def recipe_values(name: str) -> dict[str, Any]:
    """The option values of a shipped recipe (by name) or of a YAML file (by path)."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        text = path.read_text()
    else:
        if name not in available_recipes():
            raise ValueError(f"unknown recipe {name!r}; valid: {', '.join(available_recipes())}")
        text = (resources.files("neuroalign") / "recipes" / f"{name}.yaml").read_text()
    values = yaml.safe_load(text) or {}
    if not isinstance(values, dict):
        raise ValueError(f"recipe {name!r} is not a mapping of option: value")
    return values


def resolve_train_config(
    options: Mapping[str, Any] | None = None,
    *,
    recipe: str | None = None,
    config_file: str | Path | None = None,
) -> TrainConfig:
    """The :class:`TrainConfig` of a run, from (later wins): the defaults < the run folder's
    saved ``config.yaml`` (when ``options`` has ``resume=True``) < ``recipe`` (a shipped name or
    a YAML path) < ``config_file`` (YAML) < ``options`` (field name -> value).

    Example::

        cfg = resolve_train_config({"views": 8, "output_dir": "runs/a"}, recipe="imagenet1k")
    """
    given = dict(options or {})
    values: dict[str, Any] = {}
    if given.get("resume"):
        saved = Path(given.get("output_dir", TrainConfig.output_dir)) / "config.yaml"
        if saved.is_file():
            values.update(yaml.safe_load(saved.read_text()) or {})
    if recipe:
        values.update(recipe_values(recipe))
    if config_file is not None:
        if not Path(config_file).is_file():
            raise FileNotFoundError(f"--config {config_file}: no such file")
        values.update(recipe_values(str(config_file)))
    values.update(given)
    return load_config(TrainConfig, None, **values)


@dataclass(frozen=True)
class ProbeConfig:
    """Options of ``neuroalign probe CHECKPOINT``."""

    dataset: str | None = field(
        default=None,
        metadata={
            "help": "cifar10, imagenette or an ImageFolder root with train/ and test/ "
            "(default: the data set the checkpoint was trained on)"
        },
    )
    method: str = field(
        default="lbfgs", metadata={"help": "lbfgs (torch) or sklearn (LogisticRegression)"}
    )
    l2: float = field(default=1e-4, metadata={"help": "L2 penalty of the classifier"})
    max_iter: int = field(default=500, metadata={"help": "solver iterations"})
    train_subset: int | None = field(
        default=None, metadata={"help": "use N training images spread over the split"}
    )
    test_subset: int | None = field(
        default=None, metadata={"help": "use N test images spread over the split"}
    )
    batch_size: int = field(default=256, metadata={"help": "feature-extraction batch"})
    device: str = field(default="auto", metadata={"help": "auto, cpu, cuda"})
    workers: int = field(default=8, metadata={"help": "DataLoader workers (ImageFolder data)"})
    output: Path | None = field(
        default=None,
        metadata={"help": "JSON result path (default: probe_<dataset>.json beside the run)"},
    )
