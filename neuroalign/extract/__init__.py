"""Layer activations of any network neuroalign can build, as Brain-Score assemblies.

Example::

    from neuroalign.extract import load_model, extract_activations
    lm = load_model("resnet18")                       # torchvision arch, random init, seed 0
    acts = extract_activations(lm, stimulus_set, ["layer3", "layer4"])
    acts["layer4"]                                     # NeuroidAssembly (presentation x neuroid)

Large stimulus sets: :func:`stream_activations` writes one netCDF file per layer within a
memory budget, optionally reducing each layer to k features (:class:`Reduction`).
"""

from __future__ import annotations

from neuroalign.extract.activations import (
    as_stimuli,
    extract_activations,
    forward_layers,
    package_layer,
)
from neuroalign.extract.cache import ActivationCache, activation_cache_key, stimuli_fingerprint
from neuroalign.extract.model_spec import LoadedModel, load_model
from neuroalign.extract.reduce import Reduction
from neuroalign.extract.stream import open_assembly, save_assembly, stream_activations
from neuroalign.extract.views import OUTPUT, layer_views

__all__ = [
    "OUTPUT",
    "ActivationCache",
    "LoadedModel",
    "Reduction",
    "activation_cache_key",
    "as_stimuli",
    "extract_activations",
    "forward_layers",
    "layer_views",
    "load_model",
    "open_assembly",
    "package_layer",
    "save_assembly",
    "stimuli_fingerprint",
    "stream_activations",
]
