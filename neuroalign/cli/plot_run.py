"""`neuroalign plot-run`: the training-dynamics figure of one or more runs."""

from __future__ import annotations

import argparse
from typing import Any

from neuroalign.cli._common import add_subparser

__all__ = ["add_parser", "run"]

DESCRIPTION = """\
Draw every quantity a training run logged against the optimizer step: the training loss, the
kNN accuracy, AdaDim's alpha and beta, and every tracked quantity (neuroalign train --track
packing,dimension,alignment): sub-manifold radius, neighbour count and overlaps (CLAMP Fig. 3),
participation ratio, effective rank and I(R; Z), V4 predictivity and IT RSA. One titled panel
per quantity; several runs are overlaid, coloured and named by their loss; layers are line
styles. Reads RUN_DIR/metrics.csv (and config.yaml for the loss name).

Writes a PNG (default: dynamics.png in the first RUN_DIR).

examples:
  neuroalign plot-run runs/clamp
  neuroalign plot-run runs/clamp runs/simclr runs/vicreg --out figures/dynamics.png
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = add_subparser(subparsers, "plot-run", DESCRIPTION)
    parser.add_argument(
        "run_dirs", nargs="+", metavar="RUN_DIR", help="neuroalign train output folder(s)"
    )
    parser.add_argument(
        "--out", default=None, metavar="FILE.png", help="figure path (default RUN_DIR/dynamics.png)"
    )
    parser.add_argument(
        "--include-costs", action="store_true", help="also draw each tracker's seconds per call"
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from neuroalign.tracking.plot import save_run_figure

    path = save_run_figure(args.run_dirs, args.out, include_costs=args.include_costs)
    print(f"wrote {path}")
    return 0
