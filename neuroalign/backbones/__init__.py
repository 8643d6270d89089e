"""Backbones, projection heads and checkpoints of the self-supervised models.

``create_model("resnet18", cifar_stem=True)`` builds a randomly initialised backbone
(torchvision names, ``fc`` = identity, output = pooled features); ``SSLModel(backbone, head)``
adds a projection head; ``load_checkpoint(path)`` rebuilds a trained model from a
neuroalign checkpoint (see :mod:`neuroalign.backbones.checkpoint`).
"""

from __future__ import annotations

from neuroalign.backbones.checkpoint import (
    CHECKPOINT_FORMAT,
    build_model_from_spec,
    load_checkpoint,
    read_checkpoint,
    write_checkpoint,
)
from neuroalign.backbones.heads import ProjectionHead, SSLModel
from neuroalign.backbones.registry import MODELS, available_models, create_model, create_ssl_model
from neuroalign.backbones.resnet import FEATURE_DIMS, resnet_backbone

__all__ = [
    "CHECKPOINT_FORMAT",
    "FEATURE_DIMS",
    "MODELS",
    "ProjectionHead",
    "SSLModel",
    "available_models",
    "build_model_from_spec",
    "create_model",
    "create_ssl_model",
    "load_checkpoint",
    "read_checkpoint",
    "resnet_backbone",
    "write_checkpoint",
]
