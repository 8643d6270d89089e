"""``neuroalign probe CHECKPOINT``: linear-probe accuracy of a trained backbone."""

from __future__ import annotations

import argparse
from typing import Any

from neuroalign.cli._common import add_subparser

__all__ = ["add_parser", "run"]

DESCRIPTION = """\
Linear probe of a neuroalign checkpoint (the standard SSL evaluation, SimCLR / CLAMP).

The projection head is removed and the backbone frozen; its pooled features of the training
and test splits are extracted once (centre view, the checkpoint's preprocessing), then a
multinomial logistic regression (L2 penalty) is fitted on the training features and top-1
accuracy is reported on the test split. The result is written as JSON.

Examples:
  neuroalign probe runs/clamp-cifar10/checkpoints/last.pt
  neuroalign probe runs/smoke/checkpoints/last.pt --train-subset 5000 --test-subset 1000 \\
      --method sklearn --output probe.json
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    from pathlib import Path

    from neuroalign.config import add_config_arguments
    from neuroalign.train.config import ProbeConfig

    parser = add_subparser(subparsers, "probe", DESCRIPTION)
    parser.add_argument("checkpoint", type=Path, help="a neuroalign checkpoint (.pt)")
    add_config_arguments(parser, ProbeConfig)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from neuroalign.config import config_from_args
    from neuroalign.train.config import ProbeConfig
    from neuroalign.train.probe import run_probe

    cfg = config_from_args(ProbeConfig, args)
    report = run_probe(args.checkpoint, cfg)
    print(
        f"linear probe of {report['arch']} (step {report['step']}) on {report['dataset']}: "
        f"test top-1 {100 * report['test_top1']:.2f} % (train {100 * report['train_top1']:.2f} "
        f"%, {report['n_train']} / {report['n_test']} images); wrote {report['output']}"
    )
    return 0
