"""Layer activations of any network neuroalign can build, as Brain-Score assemblies.

Example::

    from neuroalign.extract import load_model, extract_activations
    lm = load_model("resnet18")                       # torchvision arch, random init, seed 0
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

from neuroalign.extract.activations import extract_activations
from neuroalign.extract.cache import ActivationCache, activation_cache_key, stimuli_fingerprint
from neuroalign.extract.forward import forward_layers, layer_features, resolve_device
from neuroalign.extract.model_spec import LoadedModel, load_model
from neuroalign.extract.package import package_layer
from neuroalign.extract.reduce import Reduction
from neuroalign.extract.stimuli import as_stimuli
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
    "layer_features",
    "layer_views",
    "load_model",
    "open_assembly",
    "package_layer",
    "resolve_device",
    "save_assembly",
    "stimuli_fingerprint",
    "stream_activations",
]
