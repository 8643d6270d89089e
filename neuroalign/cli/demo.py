"""`neuroalign demo`: list, fetch and verify data sets (placeholder until the data layer lands)."""

from __future__ import annotations

from neuroalign.cli._common import add_subparser, not_landed

__all__ = ["add_parser"]


def add_parser(subparsers):
    parser = add_subparser(subparsers, "demo", help="list and fetch data sets", description="")
    not_landed(parser, "the data layer")
    return parser
