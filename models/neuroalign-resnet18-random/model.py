"""neuroalign-resnet18-random: a neuroalign model committed to Brain-Score regions.

Written by `neuroalign register` (neuroalign 0.1.0). The model is rebuilt with
`neuroalign.brainscore.build_brain_model` from MODEL_SPEC; a checkpoint is looked up beside this
file, then at its recorded path, and must match CHECKPOINT_SHA256.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

IDENTIFIER = 'neuroalign-resnet18-random'
MODEL_SPEC = 'resnet18'
IS_CHECKPOINT = False
CHECKPOINT_SHA256 = None
CHECKPOINT_URL = None
WEIGHTS_SHA256 = '210d4c243f092183434da3b940e9eff12bbff4ab8591fe87c57d355eda4f1b22'
REGION_LAYER_MAP = {'V1': 'layer1', 'V2': 'layer2', 'V4': 'layer3', 'IT': 'layer4'}
REGION_LAYER_MAP_ORIGIN = 'default fixed map: the four ResNet stages in ventral-stream order (not scored)'
LAYERS = ['layer1', 'layer2', 'layer3', 'layer4']
VISUAL_DEGREES = 8

BIBTEX = """@inproceedings{he2016resnet,
  title = {Deep Residual Learning for Image Recognition},
  author = {He, Kaiming and Zhang, Xiangyu and Ren, Shaoqing and Sun, Jian},
  booktitle = {IEEE Conference on Computer Vision and Pattern Recognition (CVPR)},
  year = {2016}
}"""

_logger = logging.getLogger(__name__)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def resolve_spec() -> str:
    """The model spec to build: the checkpoint file (verified) or the architecture name."""
    if not IS_CHECKPOINT:
        return MODEL_SPEC
    recorded = Path(MODEL_SPEC)
    for candidate in (Path(__file__).parent / recorded.name, recorded):
        if candidate.is_file():
            digest = _sha256(candidate)
            if digest != CHECKPOINT_SHA256:
                raise ValueError(
                    f"checkpoint {candidate} has sha256 {digest}, expected {CHECKPOINT_SHA256}"
                )
            return str(candidate)
    raise FileNotFoundError(
        f"checkpoint {recorded.name} (sha256 {CHECKPOINT_SHA256}) not found beside "
        f"{__file__} nor at {recorded}; get it from {CHECKPOINT_URL or 'its author'}"
    )


def get_model(identifier: str = IDENTIFIER):
    import neuroalign  # noqa: F401  (makes torchvision importable next to CPU torch)
    from neuroalign.brainscore import build_brain_model

    assert identifier == IDENTIFIER, f"this plugin provides {IDENTIFIER}, not {identifier}"
    model = build_brain_model(
        resolve_spec(), IDENTIFIER, REGION_LAYER_MAP, layers=LAYERS,
        visual_degrees=VISUAL_DEGREES,
    )
    if model.loaded.weights_sha256 != WEIGHTS_SHA256:
        _logger.warning(
            "weights of %s differ from the registered ones (sha256 %s, registered %s)",
            IDENTIFIER, model.loaded.weights_sha256, WEIGHTS_SHA256,
        )
    return model


def get_layers(identifier: str = IDENTIFIER) -> list[str]:
    return list(LAYERS)


def get_bibtex(identifier: str = IDENTIFIER) -> str:
    return BIBTEX
