"""Layer activations of any network neuroalign can build, as Brain-Score assemblies.

Example::

    from neuroalign.extract import load_model, extract_activations
    lm = load_model("resnet18:IMAGENET1K_V1")         # torchvision's pretrained weights
    # ("resnet18" alone is the architecture with RANDOM weights; see model_registry)
    acts = extract_activations(lm, stimulus_set, ["layer3", "layer4"])
    acts["layer4"]                                     # NeuroidAssembly (presentation x neuroid)

Large stimulus sets: :func:`stream_activations` writes one netCDF file per layer within a
memory budget, optionally reducing each layer to k features (:class:`Reduction`).

Modules, bottom to top: ``stimuli`` (inputs and decoding), ``forward`` (hooks, the per-batch
core :func:`layer_features`, the loop over stimuli), ``package`` (assemblies), ``reduce``
(projections, PCA), ``stream`` (netCDF files within a memory budget), ``cache``
(content-addressed results), ``activations`` (in-memory extraction) and ``views`` (features of
in-memory images or of m augmented views).
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> the module that defines it, imported on first use (so that importing a light
#: module such as ``neuroalign.extract.workflow`` for its config does not import torch's stack).
_EXPORTS: dict[str, str] = {
    "extract_activations": "activations",
    **dict.fromkeys(["ActivationCache", "activation_cache_key", "stimuli_fingerprint"], "cache"),
    **dict.fromkeys(["forward_layers", "layer_features", "resolve_device"], "forward"),
    "list_models": "model_registry",
    **dict.fromkeys(["LoadedModel", "load_model"], "model_spec"),
    "package_layer": "package",
    "Reduction": "reduce",
    "as_stimuli": "stimuli",
    **dict.fromkeys(["open_assembly", "save_assembly", "stream_activations"], "stream"),
    **dict.fromkeys(["OUTPUT", "layer_views"], "views"),
    **dict.fromkeys(["ExtractConfig", "run_extract"], "workflow"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'neuroalign.extract' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"neuroalign.extract.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
