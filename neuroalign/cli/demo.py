"""`neuroalign demo`: the whole pipeline, end to end, on the default data (small settings)."""

from __future__ import annotations

import argparse

from neuroalign.cli._common import add_subparser
from neuroalign.config import add_config_arguments, config_from_args
from neuroalign.demo import DemoConfig

__all__ = ["add_parser", "run"]

DESCRIPTION = """\
Run the whole pipeline on the default data with small settings (minutes on a laptop CPU):

  1. train      CLAMP on a CIFAR-10 subset (ResNet-18, CIFAR stem, m views)
  2. probe      linear probe of the frozen backbone on CIFAR-10
  3. register   write a Brain-Score plugin for the checkpoint, install it, and load it back
                with brainscore_vision.load_model
  4. score      V4 neural predictivity per layer (Cowley 2023), trained vs random init
  5. rsa        layer RDMs vs monkey and human IT on the 92 images, trained vs random init
  6. geometry   sub-manifold radii, overlaps, dimension and capacity, trained vs random init

Everything lands in --out (default outputs/demo): one folder per step and summary.csv.
Each step is printed as the command it runs; the same steps at full size are the individual
commands (see each `--help`). Library: neuroalign.demo.run_demo.

examples:
  neuroalign demo
  neuroalign demo --train-steps 200 --device cuda --out outputs/demo-gpu
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = add_subparser(subparsers, "demo", DESCRIPTION)
    add_config_arguments(parser, DemoConfig)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from neuroalign.demo import run_demo

    return run_demo(config_from_args(DemoConfig, args))
