"""Layer activations of a network as Brain-Score ``NeuroidAssembly`` objects, in memory.

:func:`extract_activations` is the orchestration on top of the extraction modules: the stimuli
are normalised and decoded (:mod:`~neuroalign.extract.stimuli`), every requested layer comes
from ONE forward pass per batch (:func:`~neuroalign.extract.forward.run_extraction`), optional
reducers are fitted first (:mod:`~neuroalign.extract.reduce`), the features are packaged as
assemblies (:mod:`~neuroalign.extract.package`), and results are reused from the
content-addressed cache (:mod:`~neuroalign.extract.cache`) when asked. For results larger than
memory use :func:`neuroalign.extract.stream.stream_activations`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from neuroalign.errors import DataError
from neuroalign.extract.cache import ActivationCache, activation_cache_key, default_cache_root
from neuroalign.extract.forward import (
    check_layers,
    estimate_bytes_per_image,
    precision_name,
    resolve_device,
    run_extraction,
)
from neuroalign.extract.model_spec import LoadedModel
from neuroalign.extract.package import layer_attrs, package_layer
from neuroalign.extract.reduce import fit_reducers
from neuroalign.extract.stimuli import as_stimuli

__all__ = ["extract_activations"]


def extract_activations(
    model: LoadedModel,
    stimuli: Any,
    layers: Sequence[str],
    batch_size: int = 64,
    device: str | torch.device | None = None,
    *,
    num_workers: int | None = None,
    reduction: Any = None,
    cache: bool | str | Path = False,
    progress: bool = False,
    precision: str = "auto",
) -> dict[str, Any]:
    """Activations of ``layers`` of ``model`` to ``stimuli``, all layers from one forward pass.

    Args:
        model: a :class:`LoadedModel` (see :func:`neuroalign.extract.load_model`).
        stimuli: a Brain-Score ``StimulusSet``, an image folder, a list of image paths, or a
            uint8 tensor (N, 3, H, W).
        layers: module names (``model.layer_names()``); order is kept in the result.
        batch_size: images per forward pass.
        device: ``"cpu"``, ``"cuda"``...; default CUDA when available.
        num_workers: image-decoding worker processes (default min(4, CPUs - 1)).
        reduction: an optional :class:`neuroalign.extract.reduce.Reduction` (random projection or
            PCA to k features per layer).
        cache: ``True`` (under ``$NEUROALIGN_HOME/activations``) or a folder: reuse results keyed
            by the content hash of weights, preprocessing, layers, stimuli and reduction.
        progress: show a progress bar.
        precision: ``"auto"`` (bfloat16 autocast on CUDA, float32 on CPU), ``"float32"``,
            ``"bfloat16"``.

    Returns:
        layer -> ``NeuroidAssembly`` (presentation x neuroid, float32) in the order of ``layers``.
        For files larger than memory use :func:`neuroalign.extract.stream.stream_activations`.
    """
    layers = check_layers(model, layers)
    stim = as_stimuli(stimuli)
    if len(stim) == 0:
        raise DataError("no stimuli given")
    dev = resolve_device(device)

    entry = None
    if cache:
        root = default_cache_root() if cache is True else Path(cache)
        key = activation_cache_key(
            model, stim, layers, reduction, precision=precision_name(precision, dev)
        )
        entry = ActivationCache(root).entry(key)
        hit = entry.load(layers)
        if hit is not None:
            return hit

    shapes, _ = estimate_bytes_per_image(model, layers)
    reducers = fit_reducers(reduction, model, stim, layers, shapes, batch_size, dev, num_workers)
    widths = {name: reducers[name].k if reducers else int(np.prod(shapes[name])) for name in layers}
    buffers = {name: np.empty((len(stim), widths[name]), dtype=np.float32) for name in layers}

    def write(name: str, start: int, values: np.ndarray) -> None:
        buffers[name][start : start + values.shape[0]] = values

    run_extraction(
        model, stim, layers, write, batch_size=batch_size, device=dev,
        num_workers=num_workers, reducers=reducers, progress=progress, precision=precision,
    )  # fmt: skip
    result = {
        name: package_layer(
            buffers.pop(name),
            name,
            stim,
            shapes[name],
            attrs=layer_attrs(model, name, reduction, stim),
            reduced=bool(reducers),
        )
        for name in layers
    }
    if entry is not None:
        entry.save(result)
    return result
