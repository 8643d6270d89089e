"""``create_model(name, **kw)``: the registry of backbones and full SSL models.

Every entry builds a randomly initialised network (no download). Backbones map images
(B, 3, H, W) to pooled features (B, feature_dim); :func:`create_ssl_model` adds the projection
head of a recipe.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from torch import nn

from neuroalign.backbones.heads import ProjectionHead, SSLModel
from neuroalign.backbones.resnet import resnet_backbone

__all__ = ["MODELS", "available_models", "create_model", "create_ssl_model"]

#: name -> factory(**kw) -> backbone module
MODELS: dict[str, Callable[..., nn.Module]] = {
    "resnet18": partial(resnet_backbone, "resnet18"),
    "resnet34": partial(resnet_backbone, "resnet34"),
    "resnet50": partial(resnet_backbone, "resnet50"),
}


def available_models() -> list[str]:
    """Names accepted by :func:`create_model`."""
    return sorted(MODELS)


def create_model(name: str, **kwargs) -> nn.Module:
    """A randomly initialised backbone by name (``"resnet18"``, ``"resnet34"``, ``"resnet50"``).

    Keyword arguments go to the factory, e.g. ``cifar_stem=True`` (3x3 stride-1 stem, no
    max-pool). The module has torchvision's layer names, ``fc`` replaced by an identity, and a
    ``feature_dim`` attribute. Unknown names raise ``ValueError`` listing the valid ones.
    """
    key = str(name).lower()
    if key not in MODELS:
        raise ValueError(
            f"unknown model architecture {name!r}; valid: {', '.join(available_models())}"
        )
    return MODELS[key](**kwargs)


def create_ssl_model(
    arch: str,
    head_dims: Sequence[int] = (2048, 256),
    *,
    cifar_stem: bool = False,
    head_batch_norm: bool = False,
) -> SSLModel:
    """Backbone ``arch`` followed by a projection head.

    Args:
        head_dims: widths *after* the backbone's feature width, e.g. ``(2048, 256)`` gives the
            512-2048-256 head of CLAMP's CIFAR-10 recipe on ResNet-18. An empty tuple gives no
            head (embeddings = backbone features).
    """
    backbone = create_model(arch, cifar_stem=cifar_stem)
    dims = (backbone.feature_dim, *[int(d) for d in head_dims])
    head = ProjectionHead(dims, batch_norm=head_batch_norm) if len(dims) > 1 else None
    return SSLModel(backbone, head)
