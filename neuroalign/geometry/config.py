"""The options of a geometry analysis (``neuroalign geometry``, :func:`run_geometry`).

One frozen dataclass holds both what to analyse (model, images, views, layers) and how
(radius scale, capacity settings, spectrum fits); :func:`~neuroalign.geometry.report.layer_geometry`
reads only the second part. This module imports nothing heavy, so that the command line can
build its ``--help`` from it without torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from neuroalign.defaults import CAPACITY_N_T, COLLAPSE_THRESHOLD

__all__ = ["GeometryConfig"]


@dataclass(frozen=True)
class GeometryConfig:
    """Options of the geometry of a model's layers on augmented images (SCIENCE.md section 2)."""

    # -- what is analysed ------------------------------------------------------------------
    model: str = field(
        default="resnet18",
        metadata={
            "help": "model spec: torchvision/neuroalign arch name (random init), "
            "checkpoint path, or timm:NAME"
        },
    )
    dataset: str = field(
        default="cifar10",
        metadata={"help": "image data set", "choices": ("cifar10", "imagenette")},
    )
    split: str = field(default="test", metadata={"help": "data set split"})
    layers: tuple[str, ...] = field(
        default=(),
        metadata={"help": "comma-separated module names (default: ResNet stages + avgpool)"},
    )
    n_images: int = field(
        default=200, metadata={"help": "images (a class-balanced seeded subset of the split)"}
    )
    views: int = field(default=8, metadata={"help": "augmentations per image (m >= 2)"})
    recipe: str = field(
        default="",
        metadata={
            "help": "augmentation recipe (cifar10 | imagenet); empty = the checkpoint's, else "
            "by data set"
        },
    )
    # -- the analysis ----------------------------------------------------------------------
    r_s: float | None = field(
        default=None,
        metadata={
            "help": "CLAMP radius scale of the overlaps d_ij < r_s (r_i + r_j) (default: the r_s "
            "a checkpoint was trained with, else 7)"
        },
    )
    kappa: float = field(default=0.0, metadata={"help": "margin of the manifold capacity"})
    n_t: int = field(
        default=CAPACITY_N_T,
        metadata={"help": "Gaussian vectors per manifold (capacity; replicaMFT's default)"},
    )
    n_reps: int = field(
        default=2, metadata={"help": "random starts per rank of the centre-correlation removal"}
    )
    capacity: bool = field(default=True, metadata={"help": "compute mean-field capacity"})
    max_capacity_images: int = field(
        default=50, metadata={"help": "augmentation sub-manifolds used for capacity"}
    )
    max_class_points: int = field(
        default=50, metadata={"help": "image centroids per class manifold (PR, capacity)"}
    )
    power_law_range: tuple[int, int] = field(
        default=(5, 50), metadata={"help": "ranks FIRST,LAST of the eigenspectrum power-law fit"}
    )
    collapse_threshold: float = field(
        default=COLLAPSE_THRESHOLD,
        metadata={"help": "eigenvalue / largest below which a dimension counts as collapsed"},
    )
    adadim: tuple[str, ...] = field(
        default=(),
        metadata={
            "help": "two layers R,Z (representation, embedding): AdaDim's effective rank and "
            "I(R;Z) (matrix-based Renyi entropy) on the image centroids; empty = skip"
        },
    )
    # -- how it runs -----------------------------------------------------------------------
    max_features: int = field(
        default=2048, metadata={"help": "random-project wider layers to this many features"}
    )
    batch_size: int = field(default=256, metadata={"help": "views per forward pass"})
    seed: int = field(default=0, metadata={"help": "seed of image choice, views, projections"})
    device: str | None = field(
        default=None, metadata={"help": "cpu, cuda, ...; none = CUDA when available"}
    )
    data_root: Path | None = field(
        default=None, metadata={"help": "folder of the data set; none = fetch into the cache"}
    )
    out: Path = field(default=Path("reports/geometry"), metadata={"help": "output folder"})

    def __post_init__(self) -> None:
        if self.views < 2:
            raise ValueError(f"views (--views) must be >= 2, got {self.views}")
        if self.n_images < 3:
            raise ValueError(f"n_images (--n-images) must be >= 3, got {self.n_images}")
        if self.adadim and len(self.adadim) != 2:
            raise ValueError(
                f"adadim (--adadim) takes two layers R,Z, got {','.join(self.adadim)!r}"
            )
        if self.r_s is not None and not self.r_s > 0:
            raise ValueError(f"r_s (--r-s) must be > 0, got {self.r_s}")
