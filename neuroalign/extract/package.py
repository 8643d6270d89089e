"""Layer features as Brain-Score ``NeuroidAssembly`` objects: coordinates and attributes.

The layout follows Brain-Score's ``ActivationsExtractorHelper`` (github.com/brain-score/vision,
``model_helpers/activations/core.py``) so the assemblies drop into its benchmarks and metrics:
``presentation`` x ``neuroid``; a conv map of shape (C, H, W) is flattened in C order and gets
neuroid coords ``channel`` (c), ``channel_x`` (the row index h) and ``channel_y`` (the column
index w), exactly as Brain-Score's ``flatten``; a vector layer (C,) gets ``channel`` with
``channel_x``/``channel_y`` NaN. Every neuroid also has ``layer``, ``neuroid_num`` and
``neuroid_id`` (``"<layer>.<num>"``). Presentation coords: ``stimulus_id``, ``stimulus_num``
(+ ``stimulus_path`` and every column of a ``StimulusSet``).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

import neuroalign
from neuroalign.extract.model_spec import LoadedModel
from neuroalign.extract.stimuli import Stimuli

__all__ = [
    "layer_attrs",
    "neuroid_coords",
    "package_layer",
    "presentation_coords",
    "reduced_coords",
]


def neuroid_coords(layer: str, feature_shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Coordinates of the flattened features of one layer (Brain-Score's conventions).

    (C, H, W) -> channel, channel_x (row h), channel_y (column w); (C,) -> channel (x/y NaN);
    (T, D) (tokens) -> channel (t), embedding (d); other shapes: neuroid_num only.
    """
    n = int(np.prod(feature_shape)) if feature_shape else 1
    num = np.arange(n)
    coords: dict[str, np.ndarray] = {"neuroid_num": num}
    if len(feature_shape) == 3:
        c, h, w = np.unravel_index(num, feature_shape)
        coords.update(channel=c, channel_x=h, channel_y=w)
    elif len(feature_shape) == 1:
        nan = np.full(n, np.nan)
        coords.update(channel=num, channel_x=nan, channel_y=nan)
    elif len(feature_shape) == 2:
        t, d = np.unravel_index(num, feature_shape)
        coords.update(channel=t, embedding=d)
    coords["layer"] = np.full(n, layer, dtype=object)
    coords["neuroid_id"] = np.char.add(f"{layer}.", num.astype(str)).astype(object)
    return coords


def reduced_coords(layer: str, k: int) -> dict[str, np.ndarray]:
    """Coordinates of ``k`` reduced features (random-projection / PCA components)."""
    num = np.arange(k)
    return {
        "neuroid_num": num,
        "component": num,
        "layer": np.full(k, layer, dtype=object),
        "neuroid_id": np.char.add(f"{layer}.", num.astype(str)).astype(object),
    }


def presentation_coords(stimuli: Stimuli) -> dict[str, np.ndarray]:
    """``stimulus_id``, ``stimulus_num``, ``stimulus_path`` (files) and a StimulusSet's columns."""
    coords: dict[str, np.ndarray] = {
        "stimulus_id": np.asarray(stimuli.ids, dtype=object),
        "stimulus_num": np.arange(len(stimuli)),
    }
    if stimuli.paths is not None:
        coords["stimulus_path"] = np.asarray([str(p) for p in stimuli.paths], dtype=object)
    if stimuli.meta is not None:
        for col in stimuli.meta.columns:
            if col in coords or col in ("presentation", "neuroid"):
                continue
            values = stimuli.meta[col].to_numpy()
            if values.dtype == object:
                values = np.asarray([str(v) for v in values], dtype=object)
            coords[str(col)] = values
    return coords


def layer_attrs(loaded: LoadedModel, layer: str, reduction: Any, stimuli: Stimuli) -> dict:
    """The attributes every layer assembly carries: model identity, preprocessing, reduction."""
    return {
        "model_identifier": loaded.identifier,
        "model_spec": loaded.spec,
        "weights_sha256": loaded.weights_sha256,
        "layer": layer,
        "preprocessing": json.dumps(loaded.preprocessing.to_dict()),
        "preprocessing_description": loaded.preprocessing.describe(),
        "reduction": json.dumps(None if reduction is None else reduction.to_dict()),
        "stimulus_set_identifier": stimuli.identifier or "",
        "neuroalign_version": neuroalign.__version__,
    }


def package_layer(
    values: np.ndarray,
    layer: str,
    stimuli: Stimuli,
    feature_shape: tuple[int, ...] | None = None,
    attrs: dict[str, Any] | None = None,
    reduced: bool = False,
):
    """Wrap (N, n_features) ``values`` of one layer as a ``NeuroidAssembly`` (presentation x neuroid)."""
    from brainscore_core.supported_data_standards.brainio.assemblies import NeuroidAssembly

    values = values.reshape(values.shape[0], -1)
    if values.shape[0] != len(stimuli):
        raise ValueError(f"{values.shape[0]} rows for {len(stimuli)} stimuli in layer {layer}")
    if reduced or feature_shape is None:
        ncoords = reduced_coords(layer, values.shape[1])
    else:
        ncoords = neuroid_coords(layer, feature_shape)
    coords = {k: ("presentation", v) for k, v in presentation_coords(stimuli).items()}
    coords.update({k: ("neuroid", v) for k, v in ncoords.items()})
    assembly = NeuroidAssembly(values, coords=coords, dims=["presentation", "neuroid"])
    assembly.attrs.update(attrs or {})
    assembly.name = layer
    return assembly
