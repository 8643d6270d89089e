"""Forward passes with hooks: the outputs of several layers from ONE pass, batch by batch.

* :func:`forward_layers` runs a network once and returns the output of every requested module
  (a forward hook copies it; the pass stops as soon as the last requested module has run, so
  layers after it are never computed).
* :func:`layer_features` is the per-batch core every extraction shares: forward the layers,
  flatten each output to (B, d) (a conv map (C, H, W) in C order, as Brain-Score does, or its
  channel means), optionally map it to k features with a fitted reducer.
  :func:`neuroalign.extract.extract_activations`, :func:`neuroalign.extract.stream_activations`
  and :func:`neuroalign.extract.layer_views` all call it.
* :func:`run_extraction` is the loop over a :class:`~neuroalign.extract.stimuli.Stimuli`
  (decoding in workers, channels-last, bfloat16 autocast on CUDA) that hands each batch's
  features to a writer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from neuroalign.extract.model_spec import LoadedModel
from neuroalign.extract.stimuli import Stimuli, iter_batches

__all__ = [
    "POOLS",
    "autocast_dtype",
    "check_layers",
    "estimate_bytes_per_image",
    "feature_width",
    "forward_layers",
    "layer_features",
    "model_device",
    "precision_name",
    "probe_layers",
    "resolve_device",
    "run_extraction",
]

#: How a layer's output becomes a feature vector: ``None`` flattens it whole, ``"mean"``
#: averages a conv map over positions (C features).
POOLS = (None, "mean")


class _StopForward(Exception):
    """Raised by the last hook so the rest of the network is skipped."""


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``device`` as a ``torch.device``; ``None`` means CUDA when available, else the CPU."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def model_device(model: nn.Module) -> torch.device:
    """Where ``model``'s parameters live (the CPU for a model without parameters)."""
    param = next(iter(model.parameters()), None)
    return param.device if param is not None else torch.device("cpu")


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype of a precision name: ``"auto"`` (bfloat16 on CUDA, none elsewhere),
    ``"float32"`` (none) or ``"bfloat16"``."""
    if precision == "auto":
        return torch.bfloat16 if device.type == "cuda" else None
    if precision == "float32":
        return None
    if precision == "bfloat16":
        return torch.bfloat16
    raise ValueError(f"precision must be auto, float32 or bfloat16, got {precision!r}")


def precision_name(precision: str, device: torch.device) -> str:
    """The precision actually used on ``device``: ``"bfloat16"`` or ``"float32"``."""
    return "bfloat16" if autocast_dtype(precision, device) is not None else "float32"


def check_layers(model: LoadedModel, layers: Sequence[str] | str) -> list[str]:
    """Requested layers as a list (a comma-separated string is split), each one checked to exist
    in ``model`` (unknown names raise ``ValueError`` listing the valid ones), no duplicates."""
    if isinstance(layers, str):
        layers = [s.strip() for s in layers.split(",") if s.strip()]
    layers = list(layers)
    if not layers:
        raise ValueError("no layers requested; see model.layer_names()")
    if len(set(layers)) != len(layers):
        raise ValueError(f"duplicate layers requested: {layers}")
    for name in layers:
        model.resolve_layer(name)
    return layers


def forward_layers(
    model: nn.Module,
    modules: Mapping[str, nn.Module],
    images: torch.Tensor,
    *,
    stop_early: bool = True,
    autocast_dtype: torch.dtype | None = None,
) -> dict[str, torch.Tensor]:
    """Run ``model`` once on ``images`` and return the output of every module in ``modules``.

    Args:
        model: the network (eval mode).
        modules: output name -> sub-module of ``model`` to record (``model`` itself for its output).
        images: (B, 3, S, S) input on the model's device.
        stop_early: stop the forward pass once every requested module has produced its output.
        autocast_dtype: run under ``torch.autocast`` with this dtype (e.g. bfloat16 on CUDA).

    Returns:
        name -> float32 tensor (B, ...) on the model's device. A tuple output keeps its first item.
        A module called several times in one pass keeps its first output when ``stop_early``.
    """
    outputs: dict[str, torch.Tensor] = {}
    pending = set(modules)

    def make_hook(name: str) -> Callable:
        def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
            if isinstance(output, (tuple, list)):
                output = output[0]
            if name in outputs and stop_early:
                return
            outputs[name] = output.detach().float()
            pending.discard(name)
            if stop_early and not pending:
                raise _StopForward

        return hook

    handles = [m.register_forward_hook(make_hook(n)) for n, m in modules.items()]
    try:
        with torch.inference_mode():
            if autocast_dtype is not None:
                with torch.autocast(images.device.type, dtype=autocast_dtype):
                    model(images)
            else:
                model(images)
    except _StopForward:
        pass
    finally:
        for h in handles:
            h.remove()
    missing = set(modules) - set(outputs)
    if missing:
        raise RuntimeError(f"layers {sorted(missing)} did not run in the forward pass")
    return outputs


def _flatten(output: torch.Tensor, pool: str | None) -> torch.Tensor:
    if pool == "mean" and output.ndim > 2:
        return output.flatten(2).mean(dim=2)
    return output.flatten(1)


def feature_width(shape: Sequence[int], pool: str | None = None) -> int:
    """Number of features of a layer output of per-image ``shape`` under ``pool``."""
    if pool == "mean" and len(shape) > 1:
        return int(shape[0])
    return int(np.prod(shape)) if len(shape) else 1


def layer_features(
    model: nn.Module,
    modules: Mapping[str, nn.Module],
    images: torch.Tensor,
    *,
    pool: str | None = None,
    reducers: Mapping[str, Any] | None = None,
    autocast_dtype: torch.dtype | None = None,
) -> dict[str, torch.Tensor]:
    """The features of one batch: every layer of ``modules`` from ONE forward pass.

    Args:
        model, modules, images, autocast_dtype: as :func:`forward_layers`.
        pool: ``None`` flattens each output whole (a (C, H, W) map in C order, Brain-Score's
            ``flatten``); ``"mean"`` takes a conv map's channel means (C features).
        reducers: layer -> fitted reducer (``transform(x (B, d)) -> (B, k)``, see
            :mod:`neuroalign.extract.reduce`); layers without one keep their d features.

    Returns:
        layer -> float32 (B, d_layer) on the model's device, in the order of ``modules``.
    """
    if pool not in POOLS:
        raise ValueError(f"pool must be one of {POOLS}, got {pool!r}")
    outs = forward_layers(model, modules, images, autocast_dtype=autocast_dtype)
    feats = {}
    for name in modules:
        x = _flatten(outs.pop(name), pool)
        if reducers and name in reducers:
            x = reducers[name].transform(x)
        feats[name] = x.float()
    return feats


def probe_layers(
    model: nn.Module, modules: Mapping[str, nn.Module], image_size: int, device: torch.device
) -> tuple[dict[str, tuple[int, ...]], int]:
    """Run one blank image: (output shape per module without the batch axis, bytes per image).

    The second number sums the float32 outputs of every leaf module that runs (the pass stops
    after the last requested module) plus the input: an upper bound of the activation memory an
    image needs during inference (intermediate tensors are freed as the pass goes).
    """
    x = torch.zeros(1, 3, image_size, image_size, device=device)
    total = 0

    def count(_m: nn.Module, _i: Any, out: Any) -> None:
        nonlocal total
        if isinstance(out, torch.Tensor):
            total += out.numel() * 4

    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(count) for m in leaves]
    try:
        outs = forward_layers(model, modules, x)
    finally:
        for h in handles:
            h.remove()
    return {name: tuple(t.shape[1:]) for name, t in outs.items()}, total + x.numel() * 4


def estimate_bytes_per_image(
    loaded: LoadedModel, layers: Sequence[str], device: torch.device | None = None
) -> tuple[dict[str, tuple[int, ...]], int]:
    """:func:`probe_layers` for named layers of a :class:`LoadedModel` at its input size."""
    device = device or model_device(loaded.model)
    modules = {name: loaded.get_module(name) for name in layers}
    return probe_layers(loaded.model, modules, loaded.preprocessing.image_size, device)


def run_extraction(
    loaded: LoadedModel,
    stimuli: Stimuli,
    layers: Sequence[str],
    write: Callable[[str, int, np.ndarray], None],
    *,
    batch_size: int,
    device: torch.device,
    num_workers: int | None = None,
    reducers: Mapping[str, Any] | None = None,
    progress: bool = False,
    precision: str = "auto",
) -> None:
    """One pass over ``stimuli``: for each batch, ``write(layer, start, (B, d) float32 array)``.

    The features are :func:`layer_features` of each batch (``reducers`` map them to k dims on
    the way). ``precision``: see :func:`autocast_dtype`.
    """
    autocast = autocast_dtype(precision, device)
    # channels-last suits cuDNN and oneDNN convolutions alike (about 1.3x faster on CPU here)
    model = loaded.model.to(device=device, memory_format=torch.channels_last)
    modules = {name: loaded.get_module(name) for name in layers}
    batches = iter_batches(
        stimuli, loaded.preprocessing, batch_size, num_workers, pin_memory=device.type == "cuda"
    )
    if progress:
        from tqdm.auto import tqdm

        batches = tqdm(batches, total=math.ceil(len(stimuli) / batch_size), desc="activations")
    for start, images in batches:
        images = images.to(device, non_blocking=True)
        images = images.contiguous(memory_format=torch.channels_last)
        feats = layer_features(model, modules, images, reducers=reducers, autocast_dtype=autocast)
        for name in layers:
            write(name, start, feats.pop(name).cpu().numpy())
