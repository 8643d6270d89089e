"""Activations of a network's layers to images, or to m augmented views of each image.

:func:`layer_views` is the one place where "run these images through this model and give me
these layers" is written for in-memory images: the linear probe and the kNN monitor call it
with ``n_views=0`` (the model's own evaluation preprocessing, one view per image), the geometry
of augmentation sub-manifolds (Zhang, Heeger & Martiniani 2025, CLAMP) and the training-time
trackers with ``n_views = m`` (the training augmentations of :func:`neuroalign.augment.augment_views`
drawn at the model's input size, then the model's own normalisation).

A layer's output keeps what distinguishes it: a conv map (C, H, W) is flattened whole unless
``pool="mean"`` asks for its channel means, so ``layer4`` (C x 7 x 7 at 224 px) and ``avgpool``
(C) are different features.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from neuroalign.augment import AugmentRecipe, augment_views
from neuroalign.extract.forward import (
    POOLS,
    feature_width,
    layer_features,
    model_device,
    probe_layers,
    resolve_device,
)
from neuroalign.extract.model_spec import LoadedModel
from neuroalign.extract.reduce import Reduction, make_reducer
from neuroalign.preprocessing import Preprocessing

__all__ = ["OUTPUT", "layer_views"]

#: The layer name that means "the model's output" (e.g. a backbone's pooled features).
OUTPUT = "output"


def layer_views(
    model: LoadedModel | nn.Module,
    images: torch.Tensor,
    layers: Sequence[str] = (OUTPUT,),
    n_views: int = 0,
    *,
    preprocessing: Preprocessing | None = None,
    recipe: str | AugmentRecipe = "imagenet",
    seed: int = 0,
    pool: str | None = None,
    max_features: int | None = None,
    batch_size: int = 256,
    device: str | torch.device | None = None,
    progress: bool = False,
) -> dict[str, torch.Tensor]:
    """Features of ``layers`` for every image, or for ``n_views`` augmented views of each.

    Args:
        model: a :class:`~neuroalign.extract.LoadedModel` (its preprocessing is used) or any
            ``nn.Module`` (then ``preprocessing`` is required).
        images: uint8 (N, 3, H, W), on any device.
        layers: module names (``model.layer_names()``; a checkpoint's ``backbone.`` prefix is
            implied) or :data:`OUTPUT` for the model's output; order is kept.
        n_views: 0 for one view per image through the model's preprocessing (resize, centre
            crop, normalise); m >= 1 for m augmented views per image (``recipe``, drawn at the
            model's input size, normalised with the model's statistics).
        preprocessing: overrides the model's own.
        recipe: augmentation recipe name or :class:`~neuroalign.augment.AugmentRecipe`.
        seed: seed of the augmentations and of the random projections (the same seed and
            ``batch_size`` give the same views and projections).
        pool: ``None`` keeps every feature of a layer (a (C, H, W) map flattened in C order, as
            Brain-Score does); ``"mean"`` averages conv maps over positions (C features).
        max_features: a layer with more features is mapped to this many by a seeded Gaussian
            random projection (:class:`~neuroalign.extract.Reduction`).
        batch_size: network inputs per forward pass (views included).
        device: where the network runs (default: the model's device).
        progress: show a progress bar.

    Returns:
        layer -> float32 tensor on ``device``: (N, d) for ``n_views=0``, (n_views, N, d) else.
        The model's train/eval mode is restored afterwards (it runs in eval mode).
    """
    net, prep = _unwrap(model, preprocessing)
    layers = list(layers)
    if not layers or len(set(layers)) != len(layers):
        raise ValueError(f"layers must be distinct and non-empty, got {layers}")
    if images.dtype != torch.uint8 or images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(
            f"images must be uint8 (N, 3, H, W), got {images.dtype} {tuple(images.shape)}"
        )
    if int(n_views) < 0:
        raise ValueError(f"n_views must be >= 0, got {n_views}")
    if pool not in POOLS:
        raise ValueError(f"pool must be one of {POOLS}, got {pool!r}")
    if images.shape[0] == 0:
        raise ValueError("no images given")
    dev = resolve_device(device) if device is not None else model_device(net)
    modules = {name: _module(model, net, name) for name in layers}
    m = max(int(n_views), 1)
    per_chunk = max(1, int(batch_size) // m)
    gen = torch.Generator(device=dev).manual_seed(int(seed))
    parts: dict[str, list[torch.Tensor]] = {name: [] for name in layers}

    starts = range(0, images.shape[0], per_chunk)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, total=math.ceil(images.shape[0] / per_chunk), desc="views")
    was_training = net.training
    net.eval()
    try:
        reducers = _projections(net, modules, prep.image_size, dev, pool, max_features, seed)
        for start in starts:
            chunk = images[start : start + per_chunk].to(dev, non_blocking=True)
            if n_views:
                views = augment_views(chunk, m, recipe, out_size=prep.image_size, generator=gen)
                x = prep.normalize(views.flatten(0, 1))
            else:
                x = prep(chunk)
            feats = layer_features(net, modules, x, pool=pool, reducers=reducers)
            for name in layers:
                parts[name].append(feats[name].view(m, -1, feats[name].shape[1]))
    finally:
        net.train(was_training)
    out = {name: torch.cat(chunks, dim=1) for name, chunks in parts.items()}
    return {name: (v[0] if n_views == 0 else v) for name, v in out.items()}


def _unwrap(
    model: LoadedModel | nn.Module, preprocessing: Preprocessing | None
) -> tuple[nn.Module, Preprocessing]:
    if isinstance(model, LoadedModel):
        return model.model, preprocessing or model.preprocessing
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a LoadedModel or an nn.Module, got {type(model).__name__}")
    if preprocessing is None:
        raise ValueError("a bare nn.Module needs preprocessing=Preprocessing(...)")
    return model, preprocessing


def _module(model: LoadedModel | nn.Module, net: nn.Module, name: str) -> nn.Module:
    if name == OUTPUT:
        return net
    if isinstance(model, LoadedModel):
        return model.get_module(name)
    modules = dict(net.named_modules())
    if name not in modules:
        top = [n for n in modules if n and "." not in n]
        raise ValueError(f"unknown layer {name!r}; top-level modules: {', '.join(top)}")
    return modules[name]


def _projections(
    net: nn.Module,
    modules: dict[str, nn.Module],
    image_size: int,
    device: torch.device,
    pool: str | None,
    max_features: int | None,
    seed: int,
) -> dict[str, Any]:
    """A seeded Gaussian projection to ``max_features`` for each layer wider than that."""
    if not max_features:
        return {}
    shapes, _ = probe_layers(net, modules, image_size, device)
    widths = {name: feature_width(shape, pool) for name, shape in shapes.items()}
    reduction = Reduction("gaussian", int(max_features), seed=int(seed))
    return {name: make_reducer(reduction, d) for name, d in widths.items() if d > int(max_features)}
