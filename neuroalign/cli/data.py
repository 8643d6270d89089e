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
    parser = add_subparser(
        subparsers, "data", help="list, fetch and verify data sets", description=DESCRIPTION
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("list", help="the known data sets, their source and cache state")
    fetch = actions.add_parser("fetch", help="fetch, verify and unpack a data set (or 'all')")
    fetch.add_argument("name", help="data set name (see `neuroalign data list`) or 'all'")
    parser.set_defaults(func=run, _parser=parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from neuroalign.data import DATASETS, data_home, mirror_location

    if args.action == "list":
        import pandas as pd

        rows = []
        for ds in DATASETS.values():
            cached = sum((data_home() / ds.folder / f.name).exists() for f in ds.files)
            rows.append(
                {
                    "name": ds.name,
                    "files": len(ds.files),
                    "cached": cached,
                    "description": ds.description.split(";")[0],
                }
            )
        print(pd.DataFrame(rows).to_string(index=False))
        print(f"\ncache: {data_home()}\nmirror: {mirror_location() or '(none: public origins)'}")
        return 0
    if args.action == "fetch":
        names = list(DATASETS) if args.name == "all" else [args.name]
        for name in names:
            print(_fetch(name))
        return 0
    args._parser.print_help()
    return 0


def _fetch(name: str) -> str:
    """Fetch one data set and load it once (which unpacks and checks its content)."""
    from neuroalign import data

    dataset = data.get_dataset(name)
    paths = data.fetch_dataset(dataset.name)
    if dataset.name == "cowley2023":
        assemblies = data.load_cowley2023()
        trials = data.load_cowley2023_trials()
        shapes = ", ".join(f"{s} {a.shape[1]}x{a.shape[0]}" for s, a in assemblies.items())
        detail = f"sessions (neurons x images): {shapes}; single trials: {sorted(trials)}"
    elif dataset.name == "kriegeskorte2008":
        k = data.load_kriegeskorte2008()
        detail = f"{len(k.stimulus_set)} images, RDMs {sorted(k.brain_rdms)} + {len(k.model_rdms)} model RDMs"
    else:
        splits = ("train", "test")
        sizes = {s: len(data.load_image_dataset(dataset.name, s)) for s in splits}
        detail = f"images per split: {sizes}"
    return f"{dataset.name}: {len(paths)} file(s) verified in {paths[0].parent}; {detail}"
