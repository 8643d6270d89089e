"""Helpers shared by the sub-command modules."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from typing import Any

__all__ = ["add_subparser", "loud_model_warnings", "not_landed", "print_table"]


def add_subparser(
    subparsers: Any, name: str, description: str, help: str | None = None
) -> argparse.ArgumentParser:
    """A sub-command parser with the house formatting (description shown verbatim).

    ``help`` (the one line in ``neuroalign --help``) defaults to the command's line in
    :data:`neuroalign.cli.SUBCOMMANDS`.
    """
    from neuroalign.cli import SUBCOMMANDS

    return subparsers.add_parser(
        name,
        help=help or SUBCOMMANDS[name],
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def print_table(table: Any, digits: int = 3) -> None:
    """Print a DataFrame without its index, floats to ``digits`` decimals."""
    print(table.to_string(index=False, float_format=lambda v: f"{v:.{digits}f}"))


def not_landed(parser: argparse.ArgumentParser, issue: str) -> None:
    """Make a sub-command say plainly that its issue has not landed, and exit non-zero."""

    def run(args: argparse.Namespace) -> int:
        print(
            f"neuroalign {parser.prog.split()[-1]}: not available yet ({issue} has not landed)",
            file=sys.stderr,
        )
        return 3

    parser.set_defaults(func=run)


@contextlib.contextmanager
def loud_model_warnings(command: str) -> Iterator[None]:
    """Print neuroalign's model warnings (random weights, unverified weights files) as plain
    ``WARNING:`` lines on stderr instead of Python's file:line format; others pass through."""
    import warnings

    from neuroalign.extract.model_registry import RandomWeightsWarning, UnverifiedWeightsWarning

    ours = (RandomWeightsWarning, UnverifiedWeightsWarning)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RandomWeightsWarning)
        warnings.simplefilter("always", UnverifiedWeightsWarning)
        try:
            yield
        finally:
            for w in caught:
                if issubclass(w.category, ours):
                    print(f"neuroalign {command}: WARNING: {w.message}", file=sys.stderr)
                else:
                    warnings.showwarning(w.message, w.category, w.filename, w.lineno)
