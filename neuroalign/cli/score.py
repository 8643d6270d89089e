"""`neuroalign score`: placeholder until issue 5 (Score) lands."""

from __future__ import annotations

from neuroalign.cli._common import add_subparser, not_landed

__all__ = ["add_parser"]


def add_parser(subparsers):
    parser = add_subparser(subparsers, "score", help="(not yet available: issue 5 (Score))", description="Not yet available: issue 5 (Score).")
    not_landed(parser, "issue 5 (Score)")
    return parser
