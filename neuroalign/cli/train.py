"""``neuroalign train``: self-supervised training of a backbone (CLAMP, SimCLR, VICReg, MMCR,
DirectCLR, AdaDim), optionally tracked (packing, dimension, brain alignment)."""

from __future__ import annotations

import argparse
from typing import Any

from neuroalign.cli._common import add_subparser

__all__ = ["add_parser", "run", "train_config"]

DESCRIPTION = """\
Train a ResNet backbone + projection head with a self-supervised loss.

Augmentations (m views per image) run on the device, in batches; the optimiser is LARS with
linear warm-up then cosine decay (lr = base_lr x global batch / 256). Options resolve as:
defaults (the CLAMP CIFAR-10 recipe) < --recipe < --config FILE.yaml < flags.

Output folder (--output-dir): config.yaml (resolved options), metrics.csv (step, loss, lr,
view-images/s, kNN top-1; one row appended per logged step), checkpoints/init.pt (the
untrained network), checkpoints/last.pt (+ epoch_NNNN.pt), tensorboard/.
--resume continues exactly from checkpoints/last.pt (same weights and metrics rows as an
uninterrupted run). --time-budget 5m sizes warm-up + cosine to five minutes of training.

Losses: clamp, simclr, vicreg, mmcr, directclr (projector-free: --head-dims '' --loss-options
d0=N, N <= 512 for resnet18/34, 2048 for resnet50), adadim (alpha = effective rank of the
representation / its maximum, re-estimated every tau epochs on 10 batches: --loss-options
tau=20; adadim/alpha and adadim/beta are columns of metrics.csv).

Tracking: --track packing,dimension,alignment measures the network at step 0 and after every
--track-every-epochs epochs (or every --track-every-steps steps), on probe sets chosen once:
CLAMP sub-manifold radius, neighbour count and overlaps; participation ratio, effective rank
and I(R;Z); V4 predictivity (Cowley 2023) and IT RSA (Kriegeskorte 2008). Each value is a
column of metrics.csv (and TensorBoard); `neuroalign plot-run OUTPUT_DIR` draws them. Tracking
every epoch costs well under 1 % of the training time (benchmarks/results/tracking.md).

Recipes: cifar10 (ResNet-18, CIFAR stem, head 512-2048-256, m=16, batch 128, r_s 7; one GPU),
imagenette (ResNet-50 at 96 px; one GPU), imagenet100 and imagenet1k (ResNet-50, head
2048-8192-8192-512, m=4, r_s 8.5, --batch-size 64 per GPU on 8 GPUs = the paper's 512,
--sync-bn; --dataset = ImageFolder train folder). On CUDA the step's memory is estimated
before the first step; a step that cannot fit is refused (lower --batch-size, use more GPUs
or --activation-checkpointing).

Examples:
  # a 50-step smoke run on CPU, then continue it to 100 steps
  neuroalign train --arch resnet18 --dataset cifar10 --loss clamp --views 4 --batch-size 32 \\
      --max-steps 50 --device cpu --output-dir runs/smoke
  neuroalign train --output-dir runs/smoke --resume --max-steps 100

  # the published CIFAR-10 recipe on one GPU
  neuroalign train --recipe cifar10 --output-dir runs/clamp-cifar10

  # tracked after every epoch, then every quantity against step
  neuroalign train --recipe cifar10 --track packing,dimension,alignment \\
      --output-dir runs/clamp-tracked
  neuroalign plot-run runs/clamp-tracked

  # the same budget with AdaDim, and projector-free DirectCLR
  neuroalign train --recipe cifar10 --loss adadim --output-dir runs/adadim-cifar10
  neuroalign train --recipe cifar10 --loss directclr --head-dims '' --loss-options d0=128 \\
      --output-dir runs/directclr-cifar10

  # ten minutes of CIFAR-10 CLAMP as a complete (warm-up + cosine) run
  neuroalign train --recipe cifar10 --time-budget 10m --output-dir runs/clamp-10min

  # ImageNet-1K on 8 GPUs (batch 512 = 8 x 64, the recipe's per-GPU batch)
  torchrun --nproc-per-node 8 --no-python neuroalign train --recipe imagenet1k \\
      --dataset /data/imagenet/train --test-dataset /data/imagenet/val
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    from neuroalign.config import add_config_arguments
    from neuroalign.train.config import TrainConfig

    parser = add_subparser(subparsers, "train", DESCRIPTION)
    parser.add_argument(
        "--recipe",
        default=None,
        metavar="NAME",
        help="start from a shipped recipe: cifar10, imagenette, imagenet100, imagenet1k",
    )
    add_config_arguments(parser, TrainConfig)
    parser.set_defaults(func=run)
    return parser


def train_config(args: argparse.Namespace) -> Any:
    """The :class:`~neuroalign.train.TrainConfig` parsed arguments ask for: the flags given on
    the command line over ``--config`` over ``--recipe`` over the defaults."""
    import dataclasses

    from neuroalign.train.config import TrainConfig, resolve_train_config

    given = [f.name for f in dataclasses.fields(TrainConfig) if hasattr(args, f.name)]
    options = {name: getattr(args, name) for name in given}
    return resolve_train_config(
        options, recipe=args.recipe, config_file=getattr(args, "config", None)
    )


def run(args: argparse.Namespace) -> int:
    import time

    from neuroalign.train import train

    start = time.perf_counter()
    result = train(train_config(args))
    cfg = result.config
    print(
        f"trained {cfg.arch} with {cfg.loss} to step {result.step} (epoch {result.epoch}) in "
        f"{time.perf_counter() - start:.1f} s; loss {result.final_loss:.4f}; "
        f"checkpoint {result.checkpoint}"
    )
    return 0
