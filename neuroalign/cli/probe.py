"""`neuroalign probe`: placeholder until issue 3 (Train) lands."""

from __future__ import annotations

from neuroalign.cli._common import add_subparser, not_landed

__all__ = ["add_parser"]


def add_parser(subparsers):
    parser = add_subparser(subparsers, "probe", help="(not yet available: issue 3 (Train))", description="Not yet available: issue 3 (Train).")
    not_landed(parser, "issue 3 (Train)")
    return parser
