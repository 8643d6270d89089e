"""Every default that more than one part of neuroalign uses, written once.

Commands, configs and library functions take their defaults from here, so that
``neuroalign score``, ``rsa``, ``geometry``, ``extract`` and ``register`` pick the same layers,
the same CLAMP radius scale, the same splits and the same V4 session unless told otherwise.
"""

from __future__ import annotations

__all__ = [
    "BRAINSCORE_SEED",
    "CAPACITY_N_T",
    "COLLAPSE_THRESHOLD",
    "DEFAULT_LAYERS",
    "REGION_LAYER_MAP",
    "R_S",
    "TRACK_IT_LAYERS",
    "TRACK_PACKING_IMAGES",
    "TRACK_PACKING_LAYERS",
    "TRACK_PROBE_IMAGES",
    "TRACK_V4_FEATURES",
    "TRACK_V4_LAYERS",
    "V4_SESSION",
    "VISUAL_DEGREES",
]

#: Layers analysed when none are named: the four residual stages of a ResNet and its pooled
#: output, shallow to deep (checkpoints: the ``backbone.`` prefix is implied). A model without
#: them falls back to its top-level modules (:meth:`neuroalign.extract.LoadedModel.default_layers`).
DEFAULT_LAYERS: tuple[str, ...] = ("layer1", "layer2", "layer3", "layer4", "avgpool")

#: CLAMP's radius scale r_s (Zhang, Heeger & Martiniani 2025; CIFAR-10 recipe 7.0, ImageNet
#: recipes 8.5). Geometry of a neuroalign checkpoint uses the r_s it was trained with instead.
R_S: float = 7.0

#: Gaussian t vectors per manifold of the mean-field capacity, as the reference's analysis entry
#: point (replicaMFT, ``mftma.utils.analyze_pytorch.analyze(..., n_t=300)``). The Monte-Carlo
#: error of a capacity falls as 1/sqrt(n_t): about 1.5 % over 50 manifolds at 300.
CAPACITY_N_T: int = 300

#: A covariance eigenvalue below this fraction of the largest counts as a collapsed dimension
#: (Jing, Vincent, LeCun & Tian, ICLR 2022).
COLLAPSE_THRESHOLD: float = 1e-5

#: Seed of Brain-Score's cross-validation splits (``random_state=1`` in its metrics): with it
#: neuroalign's 10 x 90/10 splits are Brain-Score's own.
BRAINSCORE_SEED: int = 1

#: The Cowley et al. (2023) V4 session used when one session is enough: 210325 is the only one
#: with single trials, hence the only one with a split-half noise ceiling.
V4_SESSION: str = "210325"

#: Degrees of visual angle a model's input spans (Brain-Score's default for vision models).
VISUAL_DEGREES: int = 8

#: Region -> layer commitment of a ResNet when none was measured: the four residual stages in
#: ventral-stream order (V1 <- layer1 ... IT <- layer4).
REGION_LAYER_MAP: dict[str, str] = {"V1": "layer1", "V2": "layer2", "V4": "layer3", "IT": "layer4"}

# -- training-time trackers (neuroalign.tracking; neuroalign train --track ...) -----------------

#: Probe images chosen at the start of a run (the dimension tracker uses them all; with N
#: images every dimension is at most N - 1).
TRACK_PROBE_IMAGES: int = 512

#: Images whose augmentation sub-manifolds the packing tracker measures (CLAMP's CIFAR-10 batch),
#: spread over the same split as the probe images.
TRACK_PACKING_IMAGES: int = 128

#: Layers the packing tracker measures: the embedding (the model's output) and the
#: representation (an SSLModel's backbone output).
TRACK_PACKING_LAYERS: tuple[str, ...] = ("output", "backbone")

#: Layers the alignment tracker scores against V4 and IT: the ventral-stream commitment.
TRACK_V4_LAYERS: tuple[str, ...] = (REGION_LAYER_MAP["V4"],)
TRACK_IT_LAYERS: tuple[str, ...] = (REGION_LAYER_MAP["IT"],)

#: Dimensions of the seeded Gaussian random projection of a layer before the V4 ridge.
TRACK_V4_FEATURES: int = 256
