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

from neuroalign._lazy import lazy_exports

# names are imported on first use (a config or a light module costs no torch)
__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "activations": ("extract_activations",),
        "cache": ("ActivationCache", "activation_cache_key", "stimuli_fingerprint"),
        "forward": ("forward_layers", "layer_features", "resolve_device"),
        "model_registry": ("list_models",),
        "model_spec": ("LoadedModel", "load_model"),
        "package": ("package_layer",),
        "reduce": ("Reduction",),
        "stimuli": ("as_stimuli",),
        "stream": ("open_assembly", "save_assembly", "stream_activations"),
        "views": ("OUTPUT", "layer_views"),
        "workflow": ("ExtractConfig", "run_extract"),
    },
)
