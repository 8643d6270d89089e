"""``neuroalign train``: self-supervised training of a backbone (CLAMP, SimCLR, VICReg, MMCR)."""

from __future__ import annotations

import argparse
from typing import Any

from neuroalign.cli._common import add_subparser

__all__ = ["add_parser", "resolve_config", "run"]

DESCRIPTION = """\
Train a ResNet backbone + projection head with a self-supervised loss.

Augmentations (m views per image) run on the device, in batches; the optimiser is LARS with
linear warm-up then cosine decay (lr = base_lr x global batch / 256). Options resolve as:
defaults (the CLAMP CIFAR-10 recipe) < --recipe < --config FILE.yaml < flags.

Output folder (--output-dir): config.yaml (resolved options), metrics.csv (step, loss, lr,
view-images/s, kNN top-1), checkpoints/last.pt (+ epoch_NNNN.pt), tensorboard/.
--resume continues exactly from checkpoints/last.pt (same weights as an uninterrupted run).

Recipes: cifar10 (ResNet-18, CIFAR stem, head 512-2048-256, m=16, batch 128, r_s 7),
imagenette (ResNet-50 at 96 px), imagenet100 and imagenet1k (ResNet-50, head
2048-8192-8192-512, m=4, batch 512, r_s 8.5; --dataset = ImageFolder train folder).

Examples:
  # a 50-step smoke run on CPU, then continue it to 100 steps
  neuroalign train --arch resnet18 --dataset cifar10 --loss clamp --views 4 \\
      --max-steps 50 --device cpu --output-dir runs/smoke
  neuroalign train --output-dir runs/smoke --resume --max-steps 100

  # the published CIFAR-10 recipe on one GPU
  neuroalign train --recipe cifar10 --output-dir runs/clamp-cifar10

  # ImageNet-1K on 8 GPUs (batch 512 = 8 x 64)
  torchrun --nproc-per-node 8 --no-python neuroalign train --recipe imagenet1k \\
      --dataset /data/imagenet/train --test-dataset /data/imagenet/val --batch-size 64
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    from neuroalign.config import add_config_arguments
    from neuroalign.train.config import TrainConfig

    parser = add_subparser(
        subparsers,
        "train",
        help="train a backbone with CLAMP / SimCLR / VICReg / MMCR",
        description=DESCRIPTION,
    )
    parser.add_argument(
        "--recipe",
        default=None,
        metavar="NAME",
        help="start from a shipped recipe: cifar10, imagenette, imagenet100, imagenet1k",
    )
    add_config_arguments(parser, TrainConfig)
    parser.set_defaults(func=run)
    return parser


def resolve_config(args: argparse.Namespace):
    """TrainConfig from: defaults < saved run config (with --resume) < --recipe < --config <
    flags."""
    import dataclasses
    from pathlib import Path

    import yaml

    from neuroalign.config import load_config
    from neuroalign.train.config import TrainConfig, recipe_values

    names = {f.name for f in dataclasses.fields(TrainConfig)}
    given = {k: v for k, v in vars(args).items() if k in names}
    values: dict[str, Any] = {}
    if given.get("resume"):
        out_dir = Path(given.get("output_dir", TrainConfig.output_dir))
        saved = out_dir / "config.yaml"
        if saved.is_file():
            values.update(yaml.safe_load(saved.read_text()) or {})
    if getattr(args, "recipe", None):
        values.update(recipe_values(args.recipe))
    config_file = getattr(args, "config", None)
    if config_file is not None:
        values.update(recipe_values(str(config_file)))
    values.update(given)
    return load_config(TrainConfig, None, **values)


def run(args: argparse.Namespace) -> int:
    import time

    from neuroalign.train.loop import train

    cfg = resolve_config(args)
    start = time.perf_counter()
    result = train(cfg)
    elapsed = time.perf_counter() - start
    print(
        f"trained {cfg.arch} with {cfg.loss} to step {result.step} (epoch {result.epoch}) in "
        f"{elapsed:.1f} s; loss {result.final_loss:.4f}; checkpoint {result.checkpoint}"
    )
    return 0
