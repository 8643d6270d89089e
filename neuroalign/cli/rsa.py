"""`neuroalign rsa`: placeholder until issue 6 (Geometry and RSA) lands."""

from __future__ import annotations

from neuroalign.cli._common import add_subparser, not_landed

__all__ = ["add_parser"]


def add_parser(subparsers):
    parser = add_subparser(subparsers, "rsa", help="(not yet available: issue 6 (Geometry and RSA))", description="Not yet available: issue 6 (Geometry and RSA).")
    not_landed(parser, "issue 6 (Geometry and RSA)")
    return parser
