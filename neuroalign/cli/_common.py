"""Helpers shared by the sub-command modules."""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["add_subparser", "not_landed"]


def add_subparser(
    subparsers: Any, name: str, help: str, description: str
) -> argparse.ArgumentParser:
    """A sub-command parser with the house formatting (description shown verbatim)."""
    return subparsers.add_parser(
        name,
        help=help,
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def not_landed(parser: argparse.ArgumentParser, issue: str) -> None:
    """Make a sub-command say plainly that its issue has not landed, and exit non-zero."""

    def run(args: argparse.Namespace) -> int:
        print(
            f"neuroalign {parser.prog.split()[-1]}: not available yet ({issue} has not landed)",
            file=sys.stderr,
        )
        return 3

    parser.set_defaults(func=run)
