"""Cheap deterministic 'model layers' for the benchmark tests: image thumbnails."""

from __future__ import annotations

import numpy as np
import xarray as xr


def thumbnails(stimulus_set, ids, size):
    """(n, size * size * 3) float64 RGB thumbnails of the stimuli ``ids`` of ``stimulus_set``."""
    from PIL import Image

    return np.stack(
        [
            np.asarray(
                Image.open(stimulus_set.get_stimulus(s)).convert("RGB").resize((size, size)),
                dtype=np.float64,
            ).ravel()
            for s in ids
        ]
    )


def pixel_layers(assembly, sizes=(3, 8)):
    """{layer: DataArray} of image thumbnails (cheap deterministic 'model layers')."""
    ids = assembly["stimulus_id"].values
    stimuli = assembly.attrs["stimulus_set"]
    return {
        f"px{size}": xr.DataArray(
            thumbnails(stimuli, ids, size),
            dims=("presentation", "neuroid"),
            coords={"stimulus_id": ("presentation", ids)},
        )
        for size in sizes
    }
