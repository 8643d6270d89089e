"""`neuroalign geometry`: manifold geometry of a model's layers on augmented images."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from neuroalign.cli._common import add_subparser
from neuroalign.config import add_config_arguments, config_from_args

__all__ = ["GeometryConfig", "add_parser", "run"]


DESCRIPTION = """\
Geometry of a model's representations (SCIENCE.md section 2): N test images, each seen through
M augmentations (the training augmentations, neuroalign.augment.augment_views, drawn at the
model's input size and normalised with the model's own statistics:
neuroalign.extract.layer_views), are passed through the model once; for every layer:

  - CLAMP sub-manifold geometry (Zhang, Heeger & Martiniani 2025): radius with and without r_s,
    size, neighbour count, overlap fraction for intra- vs inter-class pairs, centroid distances
    and cosines, orientation similarity (cos^2 of principal axes of two view clouds);
  - dimension: participation ratio and effective rank (Roy & Vetterli 2007) of the global,
    centroid and per-image spectra; power-law exponent of the eigenspectrum; collapsed
    dimensions (Jing et al. 2022);
  - mean-field manifold capacity, radius and dimension (Chung, Lee & Sompolinsky 2018; Cohen et
    al. 2020) of the class manifolds and of the augmentation sub-manifolds.
Layers wider than --max-features are reduced by a seeded Gaussian random projection.

Writes into --out: summary.csv (one row per layer), images.csv, pairs.csv, spectra.csv,
capacity.csv, overlap.png, spectra.png, dimension.png, capacity.png, config.yaml, run.json
(model digest, image indices, preprocessing, r_s, random projection) and, with --adadim R,Z, adadim.csv.

examples:
  neuroalign geometry --model resnet18 --dataset cifar10
  neuroalign geometry --model runs/clamp/last.pt --layers layer4,avgpool,head --views 16 \\
      --adadim avgpool,head
  neuroalign geometry --model resnet50 --dataset imagenette --n-images 300 --no-capacity
"""


@dataclass(frozen=True)
class GeometryConfig:
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
    r_s: float | None = field(
        default=None,
        metadata={
            "help": "CLAMP radius scale for overlaps (default: the checkpoint's training r_s, "
            "else 7.0)"
        },
    )
    kappa: float = field(default=0.0, metadata={"help": "margin of the manifold capacity"})
    n_t: int = field(default=200, metadata={"help": "Gaussian vectors per manifold (capacity)"})
    n_reps: int = field(
        default=2, metadata={"help": "random starts per rank of the centre-correlation removal"}
    )
    capacity: bool = field(default=True, metadata={"help": "compute mean-field capacity"})
    adadim: tuple[str, ...] = field(
        default=(),
        metadata={
            "help": "two layers R,Z (representation, embedding): AdaDim's effective rank and "
            "I(R;Z) (matrix-based Renyi entropy) on the image centroids; empty = skip"
        },
    )
    max_capacity_images: int = field(
        default=50, metadata={"help": "augmentation sub-manifolds used for capacity"}
    )
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


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = add_subparser(
        subparsers,
        "geometry",
        help="manifold geometry, dimension and capacity of a model's layers",
        description=DESCRIPTION,
    )
    add_config_arguments(parser, GeometryConfig)
    parser.set_defaults(func=run)
    return parser


def _balanced_subset(labels, n: int, seed: int):
    """Indices of n images, as equal per class as possible, seeded."""
    import numpy as np

    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    classes = np.unique(labels)
    per_class = [rng.permutation(np.flatnonzero(labels == c)) for c in classes]
    picked: list[int] = []
    depth = 0
    while len(picked) < n and any(depth < len(p) for p in per_class):
        for p in per_class:
            if depth < len(p) and len(picked) < n:
                picked.append(int(p[depth]))
        depth += 1
    return np.sort(np.array(picked))


def collect_views(cfg: GeometryConfig):
    """Forward M augmented views of N images through the model; returns (acts, labels, info).

    acts: layer -> float32 numpy (M, N, d) (randomly projected when d > max_features).
    """
    from neuroalign.data import load_image_dataset
    from neuroalign.defaults import R_S
    from neuroalign.extract import layer_views, load_model, resolve_device

    if cfg.views < 2:
        raise ValueError(f"--views must be >= 2 (got {cfg.views})")
    if cfg.n_images < 3:
        raise ValueError(f"--n-images must be >= 3 (got {cfg.n_images})")
    if cfg.adadim and len(cfg.adadim) != 2:
        raise ValueError(f"--adadim takes two layers R,Z, got {','.join(cfg.adadim)!r}")
    device = resolve_device(cfg.device)
    loaded = load_model(cfg.model, device=device)
    trained_with = loaded.metadata.get("config", {})
    layers = list(cfg.layers) or loaded.default_layers()
    names = list(dict.fromkeys([*layers, *cfg.adadim]))
    data = load_image_dataset(cfg.dataset, split=cfg.split, root=cfg.data_root)
    idx = _balanced_subset(data.labels.numpy(), cfg.n_images, cfg.seed)
    data = data.subset(idx.tolist())
    recipe = (
        cfg.recipe
        or trained_with.get("augment")
        or ("cifar10" if cfg.dataset == "cifar10" else "imagenet")
    )
    feats = layer_views(
        loaded,
        data.images,
        names,
        n_views=cfg.views,
        recipe=recipe,
        seed=cfg.seed,
        max_features=cfg.max_features,
        batch_size=cfg.batch_size,
        device=device,
        progress=True,
    )
    acts = {name: f.cpu().numpy() for name, f in feats.items()}
    r_s = cfg.r_s if cfg.r_s is not None else float(trained_with.get("r_s", R_S))
    info = {
        "model": loaded.identifier,
        "weights_sha256": loaded.weights_sha256,
        "classes": list(data.classes),
        "image_indices": idx.tolist(),
        "layers": layers,
        "random_projection": f"layers wider than {cfg.max_features} features, seed {cfg.seed}",
        "recipe": recipe,
        "preprocessing": loaded.preprocessing.describe(),
        "r_s": r_s,
    }
    return acts, data.labels.numpy(), info


def run(args: argparse.Namespace) -> int:
    import json

    from neuroalign.config import save_config
    from neuroalign.geometry.report import (
        GeometryOptions,
        adadim_table,
        geometry_report,
        write_report,
    )
    from neuroalign.io import atomic_write

    cfg = config_from_args(GeometryConfig, args)
    acts, labels, info = collect_views(cfg)
    opts = GeometryOptions(
        r_s=info["r_s"],
        kappa=cfg.kappa,
        n_t=cfg.n_t,
        n_reps=cfg.n_reps,
        seed=cfg.seed,
        capacity=cfg.capacity,
        max_capacity_images=cfg.max_capacity_images,
    )
    report = geometry_report({name: acts[name] for name in info["layers"]}, labels, opts)
    out = Path(cfg.out)
    written = write_report(report, out)
    if cfg.adadim:
        table = adadim_table(acts, *cfg.adadim)
        with atomic_write(out / "adadim.csv") as handle:
            table.to_csv(handle, index=False)
        written.append(out / "adadim.csv")
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    save_config(cfg, out / "config.yaml")
    with atomic_write(out / "run.json") as handle:
        json.dump(info, handle, indent=2)
    cols = [
        c
        for c in (
            "layer",
            "pr_global",
            "erank_global",
            "overlap_fraction_intra",
            "overlap_fraction_inter",
            "class_capacity",
            "aug_capacity",
        )
        if c in report.summary
    ]
    print(report.summary[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"wrote {len(written) + 2} files to {out}")
    return 0
