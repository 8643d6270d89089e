"""What ``neuroalign data`` shows: the known data sets and their cache state; fetch and check one.

:func:`datasets_table` lists every data set of the catalog with how many of its files are in
the cache; :func:`fetch_and_check` fetches one (verifying each file's sha256), loads it once
(which unpacks it and checks its content) and returns one line saying what it holds.
"""

from __future__ import annotations

from typing import Any

__all__ = ["datasets_table", "fetch_and_check"]


def datasets_table() -> Any:
    """One row per known data set: name, files, files cached, description (pandas)."""
    import pandas as pd

    from neuroalign.data.catalog import DATASETS
    from neuroalign.data.fetch import data_home

    rows = [
        {
            "name": ds.name,
            "files": len(ds.files),
            "cached": sum((data_home() / ds.folder / f.name).exists() for f in ds.files),
            "description": ds.description.split(";")[0],
        }
        for ds in DATASETS.values()
    ]
    return pd.DataFrame(rows)


def fetch_and_check(name: str) -> str:
    """Fetch data set ``name``, load it once, and describe what it holds in one line."""
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
        detail = (
            f"{len(k.stimulus_set)} images, RDMs {sorted(k.brain_rdms)} + "
            f"{len(k.model_rdms)} model RDMs"
        )
    else:
        sizes = {s: len(data.load_image_dataset(dataset.name, s)) for s in ("train", "test")}
        detail = f"images per split: {sizes}"
    return f"{dataset.name}: {len(paths)} file(s) verified in {paths[0].parent}; {detail}"
