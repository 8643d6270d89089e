"""`neuroalign geometry`: manifold geometry of a model's layers on augmented images."""

from __future__ import annotations

import argparse

from neuroalign.cli._common import add_subparser, print_table
from neuroalign.config import add_config_arguments, config_from_args
from neuroalign.geometry.config import GeometryConfig

__all__ = ["add_parser", "run"]

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
Layers wider than --max-features are reduced by a seeded Gaussian random projection. A
neuroalign checkpoint is analysed at the r_s and with the augmentation recipe it was trained
with, unless --r-s / --recipe say otherwise. Library: neuroalign.geometry.run_geometry.

Writes into --out: summary.csv (one row per layer), images.csv, pairs.csv, spectra.csv,
capacity.csv, submanifolds.png, overlap.png, spectra.png, dimension.png, capacity.png,
config.yaml, run.json (model digest and preprocessing, image indices, recipe, r_s and where it
came from, random projection, the summary) and, with --adadim R,Z, adadim.csv.

examples:
  neuroalign geometry --model resnet18 --dataset cifar10
  neuroalign geometry --model runs/clamp/checkpoints/last.pt --layers layer4,avgpool,head \\
      --views 16 --adadim avgpool,head
  neuroalign geometry --model resnet50 --dataset imagenette --n-images 300 --no-capacity
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = add_subparser(subparsers, "geometry", DESCRIPTION)
    add_config_arguments(parser, GeometryConfig)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from neuroalign.geometry.workflow import run_geometry

    result = run_geometry(config_from_args(GeometryConfig, args))
    cfg, record = result.config, result.record
    print(
        f"{result.name}: {record['model']['preprocessing_description']}; recipe {cfg.recipe}; "
        f"r_s = {cfg.r_s:g} ({record['r_s_source']})"
    )
    if result.adadim is not None:
        print_table(result.adadim)
    print_table(result.headline())
    written = result.write()
    print(f"wrote {len(written)} files to {cfg.out}")
    return 0
