"""The ``neuroalign`` command line: one sub-command per pipeline stage.

Each sub-command lives in its own module of this package and exposes
``add_parser(subparsers) -> argparse.ArgumentParser``; the parser's ``func`` default is called
with the parsed arguments and returns the process exit code. Heavy imports (torch, Brain-Score)
happen inside those functions so that ``neuroalign --help`` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from neuroalign.errors import NeuroalignError

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

#: Sub-command name -> module in this package, in the order of the pipeline.
SUBCOMMANDS: dict[str, str] = {
    "data": "data",
    "train": "train",
    "plot-run": "plot_run",
    "probe": "probe",
    "extract": "extract",
    "register": "register",
    "score": "score",
    "rsa": "rsa",
    "geometry": "geometry",
    "demo": "demo",
}

DESCRIPTION = """\
neuroalign: how well do self-supervised vision networks match the visual cortex?

Pipeline: train a backbone (CLAMP, SimCLR, VICReg, MMCR) -> extract layer activations ->
register it as a Brain-Score model -> score it against cortical recordings (neural
predictivity, RSA) -> measure the geometry of its representations.

Data sets are fetched once into $NEUROALIGN_HOME (default: the user cache dir); set
$NEUROALIGN_MIRROR to a folder or URL that mirrors the public sources to work offline.
Run `neuroalign COMMAND --help` for each command's options.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neuroalign",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for _name, module_name in SUBCOMMANDS.items():
        module = importlib.import_module(f"neuroalign.cli.{module_name}")
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
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
