"""neuroalign-resnet18-random: random initialisation (torch.manual_seed(0)) of torchvision's resnet18

Written by `neuroalign register` (neuroalign 0.1.0). Self-contained: torch, torchvision
and Brain-Score's model helpers. The weights come from the library that publishes them.
Stimuli are resized whole to IMAGE_SIZE (no crop) and normalised, Brain-Score's convention.
"""

from __future__ import annotations

import functools
import hashlib
import logging

import torch
import torchvision
from brainscore_vision.model_helpers.activations.pytorch import (
    PytorchWrapper,
    load_preprocess_images,
)
from brainscore_vision.model_helpers.brain_transformation import ModelCommitment

IDENTIFIER = 'neuroalign-resnet18-random'
SOURCE = {'library': 'torchvision', 'arch': 'resnet18', 'weights': None, 'seed': 0}
REGION_LAYER_MAP = {'V1': 'layer1', 'V2': 'layer2', 'V4': 'layer3', 'IT': 'layer4'}
REGION_LAYER_MAP_ORIGIN = 'default fixed map: the four ResNet stages in ventral-stream order (not scored)'
LAYERS = ['layer1', 'layer2', 'layer3', 'layer4']
VISUAL_DEGREES = 8
IMAGE_SIZE = 224
NORMALIZE_MEAN = [0.485, 0.456, 0.406]
NORMALIZE_STD = [0.229, 0.224, 0.225]
WEIGHTS_SHA256 = '210d4c243f092183434da3b940e9eff12bbff4ab8591fe87c57d355eda4f1b22'

BIBTEX = """@inproceedings{he2016resnet,
  title = {Deep Residual Learning for Image Recognition},
  author = {He, Kaiming and Zhang, Xiangyu and Ren, Shaoqing and Sun, Jian},
  booktitle = {IEEE Conference on Computer Vision and Pattern Recognition (CVPR)},
  year = {2016}
}"""

_logger = logging.getLogger(__name__)


def build_network() -> torch.nn.Module:
    """torchvision's ARCH with its WEIGHTS (torch hub cache / verified download), or random
    weights drawn under torch.manual_seed(SEED) when WEIGHTS is None."""
    if SOURCE["weights"] is not None:
        return torchvision.models.get_model(SOURCE["arch"], weights=SOURCE["weights"])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SOURCE["seed"])
        return torchvision.models.get_model(SOURCE["arch"], weights=None)


def weights_sha256(network: torch.nn.Module) -> str:
    """sha256 over the state dict (names, dtypes, shapes, bytes), as neuroalign computes it."""
    digest = hashlib.sha256()
    for key, tensor in sorted(network.state_dict().items()):
        t = tensor.detach().cpu().contiguous()
        digest.update(f"{key}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return digest.hexdigest()


def get_activations_model() -> PytorchWrapper:
    network = build_network().eval()
    digest = weights_sha256(network)
    if digest != WEIGHTS_SHA256:
        _logger.warning("weights of %s differ from the registered ones (sha256 %s, registered %s)",
                        IDENTIFIER, digest, WEIGHTS_SHA256)
    preprocessing = functools.partial(load_preprocess_images, image_size=IMAGE_SIZE,
                                      normalize_mean=NORMALIZE_MEAN, normalize_std=NORMALIZE_STD)
    # Brain-Score caches activations by this identifier: the weights' digest in it keeps a
    # re-registered network under the same name from reading the old network's activations
    wrapper = PytorchWrapper(identifier=f"{IDENTIFIER}-{digest[:12]}", model=network,
                             preprocessing=preprocessing)
    wrapper.image_size = IMAGE_SIZE
    return wrapper


def get_model(identifier: str = IDENTIFIER) -> ModelCommitment:
    assert identifier == IDENTIFIER, f"this plugin provides {IDENTIFIER}, not {identifier}"
    return ModelCommitment(identifier=IDENTIFIER, activations_model=get_activations_model(),
                           layers=list(LAYERS), region_layer_map=dict(REGION_LAYER_MAP),
                           visual_degrees=VISUAL_DEGREES)


def get_layers(identifier: str = IDENTIFIER) -> list[str]:
    return list(LAYERS)


def get_bibtex(identifier: str = IDENTIFIER) -> str:
    return BIBTEX
