"""``neuroalign packing run|scan|fss|compare``: BRO and particle-SGD packing dynamics."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from neuroalign.cli._common import add_subparser

__all__ = ["add_parser"]

DESCRIPTION = """\
Packing dynamics (Zhang & Martiniani, "Neural manifold packing by stochastic gradient descent";
SCIENCE.md section 5): N spheres in a periodic d-dimensional box at volume fraction phi, the
hinge loss of their overlaps, and two dynamics, Biased Random Organization (BRO, random kicks
of size up to eps away from overlapping neighbours) and particle SGD (B active spheres, or a
fraction b_f of them, move by -alpha grad L; b_f = 1 is gradient descent). Both stop at L = 0
below a critical volume fraction phi_c (-> 0.64 in d = 3 for small steps) and stay active above.
Lengths are in mean diameters.

actions:
  run      one simulation: history of the loss, active fraction, contacts; S(q) and g(r) of the
           final configuration
  scan     steady-state activity vs phi over sizes and seeds; phi_c per size
  fss      a scan plus the finite-size-scaling collapse with Manna exponents (d = 3)
  compare  BRO vs particle SGD at matched learning rate alpha = eps / b_f: phi_c of each and the
           drift and noise of one step (Eq. 1 / Eq. 3)

example:
  neuroalign packing run --d 3 --n 2000 --phi 0.6 --dynamics bro --eps 0.02 --out runs/bro

Run `neuroalign packing ACTION --help` for each action's options.
"""

_ACTIONS = {
    "run": (
        "one simulation of BRO or particle SGD",
        "PackingConfig",
        """\
One simulation from uniformly random centres until L = 0 or --steps. Writes into --out:
history.csv (step, loss, f_active, n_active, n_contacts, z, mean_overlap), summary.csv
(steady-state f_a, L, Z, overlap; relaxation time tau; steps/s), final.npz (positions, radii,
side), history.png, structure_factor.csv, radial_distribution.csv, structure.png, config.yaml.

examples:
  neuroalign packing run --d 3 --n 2000 --phi 0.6 --dynamics bro --eps 0.02 --out runs/bro
  neuroalign packing run --d 3 --n 2000 --phi 0.6 --dynamics sgd --eps 0.02 \\
      --batch-fraction 0.25 --out runs/sgd          # alpha = eps / b_f = 0.08
  neuroalign packing run --d 2 --n 400 --phi 0.86 --eps 0.05 --steps 3000 --out runs/crystal
""",
    ),
    "scan": (
        "steady-state activity vs phi; phi_c per size",
        "ScanConfig",
        """\
Runs every (N in --sizes, phi in --phis, seed) and estimates phi_c per N: the zero of a line
fitted to f_a^(1/beta) over the active points, and the phi where half the seeds absorb.
Writes scan.csv (one row per run), phi_c.csv, activity.png, config.yaml into --out.

example:
  neuroalign packing scan --sizes 500,1000 --phis 0.60,0.61,0.62,0.63,0.64 --eps 0.02 \\
      --steps 20000 --out runs/scan
""",
    ),
    "fss": (
        "finite-size scaling collapse (Manna exponents)",
        "ScalingConfig",
        """\
A phi scan, then f_a L^(beta/nu_perp) and tau L^(-nu_par/nu_perp) against
(phi - phi_c) L^(1/nu_perp), L = N^(1/d), with the d = 3 Manna exponents by default; phi_c is
--phi-c or, when 0, the value that collapses the sizes best. Writes scan.csv, phi_c.csv,
scaled.csv, activity.png, collapse.png, config.yaml into --out.

example:
  neuroalign packing fss --sizes 250,500,1000 --phis 0.60,0.61,0.62,0.63,0.64 --eps 0.02 \\
      --steps 20000 --out runs/fss
""",
    ),
    "compare": (
        "BRO vs particle SGD: phi_c and one-step noise",
        "CompareConfig",
        """\
Scans BRO (kick size --eps) and particle SGD at each of --batch-fractions with the matched
learning rate alpha = eps / b_f (same mean step, Eq. 1 vs Eq. 3), estimates phi_c of each, and
measures the drift and noise of one step of each from one random configuration against the
stochastic approximation (noise / drift = 1/3 for BRO, (1 - b_f) / b_f for SGD). Writes
scan.csv, phi_c.csv, noise.csv, activity.png, noise.png, config.yaml into --out.

example:
  neuroalign packing compare --sizes 500 --phis 0.60,0.62,0.64 --eps 0.02 \\
      --batch-fractions 0.25,0.75,1 --steps 20000 --out runs/compare
""",
    ),
}


def _config_class(action: str) -> type:
    from neuroalign.packing import config

    return getattr(config, _ACTIONS[action][1])


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    from neuroalign.config import add_config_arguments

    parser = add_subparser(subparsers, "packing", DESCRIPTION)
    actions = parser.add_subparsers(dest="packing_action", metavar="ACTION")
    for action, (help_text, _, description) in _ACTIONS.items():
        sub = add_subparser(actions, action, help=help_text, description=description)
        add_config_arguments(sub, _config_class(action))
        sub.add_argument(
            "--out",
            type=Path,
            default=Path("reports") / "packing" / action,
            help=f"output folder (default: reports/packing/{action})",
        )
        sub.add_argument(
            "--progress",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="show progress bars (default: on)",
        )
        if action == "run":
            sub.add_argument(
                "--structure",
                action=argparse.BooleanOptionalAction,
                default=True,
                help="compute S(q) and g(r) of the final configuration (default: on)",
            )
        sub.set_defaults(func=run)
    parser.set_defaults(func=lambda args: _no_action(parser))
    return parser


def _no_action(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def run(args: argparse.Namespace) -> int:
    from neuroalign.config import config_from_args
    from neuroalign.packing.report import run_packing

    cfg = config_from_args(_config_class(args.packing_action), args)
    structure = getattr(args, "structure", True)
    print(
        run_packing(args.packing_action, cfg, args.out, progress=args.progress, structure=structure)
    )
    return 0
