"""`neuroalign data`: list, fetch and verify data sets."""

from __future__ import annotations

import argparse

from neuroalign.cli._common import add_subparser

__all__ = ["add_parser"]

DESCRIPTION = """\
List, fetch and verify the data sets neuroalign knows.

Files come from $NEUROALIGN_MIRROR (a folder or URL laid out as <folder>/<file>) when set, else
from each file's public origin; they are verified by sha256 and cached in $NEUROALIGN_HOME.
Several processes may fetch into one cache at once: each file is fetched and unpacked once.
Archives in a user's --data-root folder are read within limits derived from what they should
hold (e.g. N images of 112x112); NEUROALIGN_ARCHIVE_LIMIT_FACTOR=10 raises every limit tenfold.

examples:
  neuroalign data list
  neuroalign data fetch cowley2023          # verify and unpack the V4 data
  neuroalign data fetch all
  NEUROALIGN_MIRROR=../shared/data neuroalign data fetch kriegeskorte2008
"""


def add_parser(subparsers):
    parser = add_subparser(subparsers, "data", DESCRIPTION)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("list", help="the known data sets, their source and cache state")
    fetch = actions.add_parser("fetch", help="fetch, verify and unpack a data set (or 'all')")
    fetch.add_argument("name", help="data set name (see `neuroalign data list`) or 'all'")
    parser.set_defaults(func=run, _parser=parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from neuroalign.data import DATASETS, data_home, mirror_location
    from neuroalign.data.inventory import datasets_table, fetch_and_check

    if args.action == "list":
        print(datasets_table().to_string(index=False))
        print(f"\ncache: {data_home()}\nmirror: {mirror_location() or '(none: public origins)'}")
        return 0
    if args.action == "fetch":
        for name in list(DATASETS) if args.name == "all" else [args.name]:
            print(fetch_and_check(name))
        return 0
    args._parser.print_help()
    return 0
