"""The ``neuroalign`` command line: one sub-command per pipeline stage.

Each sub-command lives in its own module of this package and exposes
``add_parser(subparsers) -> argparse.ArgumentParser``; the parser's ``func`` default is called
with the parsed arguments and returns the process exit code. The command's work is one call
of a library function (e.g. :func:`neuroalign.geometry.run_geometry`); the module only parses,
calls and prints.

Help is instant: :func:`main` builds the options of the one command named on the command line
(the others appear by name and one-line help only), and building a command's options imports
its config, not torch or Brain-Score (they are imported inside ``run``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Iterable, Sequence

from neuroalign.errors import NeuroalignError

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

#: Sub-command (= module of this package, ``-`` written ``_``) -> its line in
#: ``neuroalign --help``, in the order of the pipeline.
SUBCOMMANDS: dict[str, str] = {
    "data": "list, fetch and verify data sets",
    "train": "train a backbone with CLAMP / SimCLR / VICReg / MMCR / DirectCLR / AdaDim",
    "plot-run": "plot a training run's loss, kNN and tracked quantities against step",
    "probe": "linear-probe top-1 accuracy of a trained checkpoint",
    "extract": "layer activations of a model to a stimulus set (netCDF assemblies)",
    "register": "write/install a Brain-Score model plugin, or install neuroalign's benchmarks",
    "score": "score a model's layers on a neural benchmark (V4, IT, Brain-Score ids)",
    "rsa": "RSA of a model's layers with monkey and human IT (92 images)",
    "geometry": "manifold geometry, dimension and capacity of a model's layers",
    "packing": "packing dynamics: BRO and particle SGD of spheres (phi_c, scaling)",
    "demo": "run the whole pipeline end to end (small)",
}

DESCRIPTION = """\
neuroalign: how well do self-supervised vision networks match the visual cortex?

Pipeline: train a backbone (CLAMP; baselines SimCLR, VICReg, MMCR, DirectCLR, AdaDim) ->
extract layer activations -> register it as a Brain-Score model -> score it against cortical
recordings (neural predictivity, RSA) -> measure the geometry of its representations, also
while it trains -> simulate the packing dynamics CLAMP rests on.

Data sets are fetched once into $NEUROALIGN_HOME (default: the user cache dir); set
$NEUROALIGN_MIRROR to a folder or URL that mirrors the public sources to work offline.
Run `neuroalign COMMAND --help` for each command's options.
"""


def build_parser(commands: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The ``neuroalign`` parser with the options of ``commands`` (default: all of them).

    Commands not in ``commands`` are listed by name and help line only, without importing
    their module.
    """
    full = set(SUBCOMMANDS) if commands is None else set(commands)
    parser = argparse.ArgumentParser(
        prog="neuroalign",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_line in SUBCOMMANDS.items():
        if name in full:
            module = importlib.import_module(f"neuroalign.cli.{name.replace('-', '_')}")
            module.add_parser(subparsers)
        else:
            subparsers.add_parser(name, help=help_line)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser([command] if command in SUBCOMMANDS else [])
    args = parser.parse_args(argv)
    if args.version:
        from neuroalign import __version__

        print(__version__)
        return 0
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (NeuroalignError, ValueError, FileNotFoundError, KeyError, RuntimeError) as err:
        if isinstance(err, NeuroalignError) or not _debug():
            print(f"neuroalign {args.command}: error: {err}", file=sys.stderr)
            return 2
        raise


def _debug() -> bool:
    import os

    return os.environ.get("NEUROALIGN_DEBUG", "") not in ("", "0")


if __name__ == "__main__":
    sys.exit(main())
