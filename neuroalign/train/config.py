"""``TrainConfig``: every option of ``neuroalign train`` (each is also a CLI flag).

Values resolve as: these defaults < ``--recipe NAME`` (``neuroalign/recipes/NAME.yaml``) <
``--config FILE.yaml`` < flags. The defaults are the CLAMP CIFAR-10 recipe (Zhang, Heeger &
Martiniani 2025; reference ``examples/cifar10/config.ini``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from neuroalign.defaults import R_S

__all__ = ["DATASETS", "LOSSES", "TrainConfig", "available_recipes", "recipe_values"]

#: data sets held in memory (on the device) by name; anything else is an ImageFolder path
DATASETS = ("cifar10", "imagenette")
LOSSES = ("clamp", "simclr", "vicreg", "mmcr", "directclr", "adadim")


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
    views: int = field(default=16, metadata={"help": "views m per image (2-16)"})
    batch_size: int = field(default=128, metadata={"help": "images per step on each process"})
    epochs: int = field(default=1000, metadata={"help": "training epochs"})
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
    workers: int = field(default=8, metadata={"help": "DataLoader workers (ImageFolder data)"})
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
    progress: bool = field(default=True, metadata={"help": "show a tqdm progress bar"})
    tensorboard: bool = field(default=True, metadata={"help": "TensorBoard logs (if installed)"})

    def __post_init__(self) -> None:
        if self.views < 2:
            raise ValueError(f"--views must be >= 2 (got {self.views}): a loss needs >= 2 views")
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

    def loss_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``create_loss``: ``r_s`` for CLAMP plus ``loss_options``."""
        kwargs: dict[str, Any] = {"r_s": self.r_s} if self.loss == "clamp" else {}
        for item in self.loss_options:
            if "=" not in item:
                raise ValueError(f"--loss-options entries must be KEY=VALUE, got {item!r}")
            key, value = item.split("=", 1)
            kwargs[key.strip()] = yaml.safe_load(value)
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
