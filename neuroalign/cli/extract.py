"""`neuroalign extract`: placeholder until issue 4 (Extract and register) lands."""

from __future__ import annotations

from neuroalign.cli._common import add_subparser, not_landed

__all__ = ["add_parser"]


def add_parser(subparsers):
    parser = add_subparser(subparsers, "extract", help="(not yet available: issue 4 (Extract and register))", description="Not yet available: issue 4 (Extract and register).")
    not_landed(parser, "issue 4 (Extract and register)")
    return parser
