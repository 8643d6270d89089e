"""Any neuroalign model as a Brain-Score ``BrainModel``.

Built on Brain-Score's own model helpers (github.com/brain-score/vision, ``model_helpers``):

* :class:`NeuroalignActivations` is a ``PytorchWrapper`` (so Brain-Score's
  ``ActivationsExtractorHelper`` does batching, stimulus-set metadata, microsaccades and
  result caching) whose image loading uses the model's own normalisation and input size and
  whose ``get_activations`` is :func:`neuroalign.extract.forward_layers` (all layers in one
  pass, early stop after the last requested layer). A Brain-Score stimulus is the model's
  whole field of view (8 degrees once ``place_on_screen`` has run), so it is resized to the
  input size without the training-time centre crop (as Brain-Score's own
  ``load_preprocess_images``).
* :class:`NeuroalignBrainModel` is a ``ModelCommitment`` with an EXPLICIT region-to-layer map.
  Brain-Score's own layer selection (used when no map is given) downloads ImageNet images and
  public benchmarks and fits PCA(1000): it cannot run offline, so it is never used here: a
  region without a committed layer raises a clear error instead.

``look_at`` returns Brain-Score's assemblies (presentation x neuroid [x time_bin], with
``stimulus_path``, ``stimulus_id``, ``layer``, ``region``, ``channel``...); ``start_recording``
accepts V1, V2, V4 and IT with any time bins; the model spans 8 degrees of visual angle,
Brain-Score's default.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from brainscore_vision.model_helpers.activations.pytorch import PytorchWrapper
from brainscore_vision.model_helpers.brain_transformation import ModelCommitment

from neuroalign.defaults import V4_SESSION, VISUAL_DEGREES
from neuroalign.extract.forward import forward_layers
from neuroalign.extract.model_spec import LoadedModel, load_model
from neuroalign.extract.stimuli import load_images

__all__ = [
    "REGIONS",
    "VISUAL_DEGREES",
    "NeuroalignActivations",
    "NeuroalignBrainModel",
    "build_brain_model",
    "parse_region_layer_map",
    "select_v4_layer",
]

REGIONS: tuple[str, ...] = ("V1", "V2", "V4", "IT")


def parse_region_layer_map(text: str | Mapping[str, str]) -> dict[str, str]:
    """``"V1=layer1,V4=layer3"`` (or a dict) -> ``{"V1": "layer1", "V4": "layer3"}``, checked."""
    if isinstance(text, Mapping):
        pairs = dict(text)
    else:
        pairs = {}
        for item in filter(None, (s.strip() for s in str(text).split(","))):
            if "=" not in item:
                raise ValueError(f"region-layer map item {item!r} is not REGION=LAYER")
            region, layer = (s.strip() for s in item.split("=", 1))
            pairs[region] = layer
    bad = sorted(set(pairs) - set(REGIONS))
    if bad:
        raise ValueError(f"unknown region(s) {bad} in region-layer map; valid: {list(REGIONS)}")
    if not pairs:
        raise ValueError("the region-layer map is empty")
    return pairs


class CommittedRegionLayerMap(dict):
    """A region -> layer dict that refuses regions without a committed layer (no silent fallback)."""

    def __getitem__(self, region: str) -> str:
        if region not in self:
            raise KeyError(
                f"region {region!r} has no committed layer (committed: {dict(self)}); neuroalign "
                f"never falls back to Brain-Score's online layer selection"
            )
        return super().__getitem__(region)


def _load_images(paths: Sequence[str], prep: Any) -> np.ndarray:
    """Image files -> float32 (B, 3, S, S), decoded and preprocessed with ``prep``."""
    return load_images(paths, prep).numpy()


class NeuroalignActivations(PytorchWrapper):
    """A Brain-Score activations model (``PytorchWrapper`` API) for a :class:`LoadedModel`.

    Call it like any Brain-Score activations model: ``wrapper(stimuli, layers=[...])`` returns a
    ``NeuroidAssembly`` of all layers (presentation x neuroid).
    """

    def __init__(self, loaded: LoadedModel, identifier: str | None = None, batch_size: int = 64):
        import functools

        self.loaded = loaded
        # Brain-Score's images are the model's whole visual field (visual_degrees wide): resize
        # them to the input size without the centre crop used on training-style images.
        prep = loaded.preprocessing.full_field()
        self.preprocessing = prep
        # Brain-Score caches activations by this identifier (result_caching): the weights'
        # digest in it keeps new weights under an old name from reading the old activations
        name = identifier or loaded.identifier
        super().__init__(
            model=loaded.model,
            preprocessing=functools.partial(_load_images, prep=prep),
            identifier=f"{name}-{loaded.weights_sha256[:12]}",
            batch_size=batch_size,
        )
        self.image_size = prep.image_size
        self._model = self._model.to(memory_format=torch.channels_last)

    def get_layer(self, layer_name: str) -> torch.nn.Module:
        return self.loaded.get_module(layer_name)

    def get_activations(self, images: Any, layer_names: Sequence[str]) -> OrderedDict:
        x = torch.as_tensor(np.asarray(images), dtype=torch.float32).to(self._device)
        x = x.contiguous(memory_format=torch.channels_last)
        modules = {name: self.loaded.get_module(name) for name in layer_names}
        outs = forward_layers(self._model, modules, x)
        return OrderedDict((name, outs[name].cpu().numpy()) for name in layer_names)


def build_brain_model(
    model: str | LoadedModel,
    identifier: str,
    region_layer_map: Mapping[str, str] | str,
    layers: Sequence[str] | None = None,
    visual_degrees: float = VISUAL_DEGREES,
    batch_size: int = 64,
):
    """A Brain-Score ``BrainModel`` (a :class:`NeuroalignBrainModel`) for ``model``.

    Args:
        model: a spec for :func:`neuroalign.extract.load_model` or a loaded model.
        identifier: the Brain-Score model identifier.
        region_layer_map: region -> layer for the regions it commits to (V1, V2, V4, IT).
        layers: candidate layers (default: the committed ones); the last one is the
            behavioural read-out layer.
        visual_degrees: degrees of visual angle the input image spans (default 8).
    """
    loaded = load_model(model) if isinstance(model, str) else model
    return NeuroalignBrainModel(
        identifier=identifier,
        loaded=loaded,
        region_layer_map=region_layer_map,
        layers=layers,
        visual_degrees=visual_degrees,
        batch_size=batch_size,
    )


class NeuroalignBrainModel(ModelCommitment):
    """``ModelCommitment`` with an explicit, checked region -> layer map (see module docstring)."""

    def __init__(
        self,
        identifier: str,
        loaded: LoadedModel,
        region_layer_map: Mapping[str, str] | str,
        layers: Sequence[str] | None = None,
        visual_degrees: float = VISUAL_DEGREES,
        batch_size: int = 64,
    ):
        rlm = CommittedRegionLayerMap(parse_region_layer_map(region_layer_map))
        for layer in rlm.values():
            loaded.resolve_layer(layer)  # unknown layer -> ValueError listing valid ones
        layers = list(layers) if layers else list(dict.fromkeys(rlm.values()))
        for layer in layers:
            loaded.resolve_layer(layer)
        self.loaded = loaded
        activations = NeuroalignActivations(loaded, identifier=identifier, batch_size=batch_size)
        super().__init__(
            identifier=identifier,
            activations_model=activations,
            layers=layers,
            region_layer_map=rlm,
            visual_degrees=visual_degrees,
        )
        self.region_layer_map = rlm

    def start_recording(self, recording_target: str, time_bins: Sequence[tuple[int, int]]):
        if recording_target not in self.region_layer_map:
            raise ValueError(
                f"model {self.identifier} has no layer committed to region {recording_target!r}; "
                f"committed: {dict(self.region_layer_map)}"
            )
        return super().start_recording(recording_target, time_bins)


def select_v4_layer(
    loaded: LoadedModel,
    layers: Sequence[str],
    session: str = V4_SESSION,
    method: str = "pls",
    reduction: Any = None,
    cache: bool = True,
) -> tuple[str, Any]:
    """The candidate layer that best predicts Cowley et al. (2023) V4 responses of ``session``.

    A thin call of the V4 benchmark's many-layer path
    (:meth:`neuroalign.neural_benchmarks.Cowley2023V4.score_model`: Brain-Score's
    preprocessing, splits and metric; the layer chosen on training splits only). Returns
    ``(layer, table)`` with the benchmark's per-layer table. ``cache``: reuse activations from
    the content-hashed cache.
    """
    from neuroalign.neural_benchmarks.cowley2023 import Cowley2023V4

    result = Cowley2023V4(method, sessions=[session]).score_model(
        loaded, list(layers), reduction=reduction, cache=cache
    )
    return str(result.selected["layer"]), result.table
