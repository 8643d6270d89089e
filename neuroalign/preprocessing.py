"""How images become network input: the one home of resize, crop and normalisation.

A :class:`Preprocessing` turns uint8 images (B, 3, H, W) -- on the CPU or the GPU -- into the
float32 tensors a network expects, in two steps that can also be used apart:

1. :meth:`Preprocessing.resize_crop` (uint8 -> uint8, the geometry): either resize the shorter
   side to ``resize`` and centre-crop ``image_size`` x ``image_size`` (the ImageNet evaluation
   transform: ``Resize(256)`` + ``CenterCrop(224)``), or, with ``resize=None``, resize the whole
   image to ``image_size`` x ``image_size`` with no crop (Brain-Score's model-helper convention:
   a stimulus fills the model's visual field; :meth:`Preprocessing.full_field`).
   Bilinear with anti-aliasing on uint8, as torchvision's ``Resize`` on PIL images.
2. :meth:`Preprocessing.normalize` (float in [0, 1] -> float): ``(x - mean) / std`` per channel.

``preprocessing(images)`` does both (and the uint8 -> [0, 1] scaling between them). The object
is saved into every checkpoint (:meth:`to_dict` / :meth:`from_dict`) and used by extraction, the
linear probe, the kNN monitor, training data sources, the views of a layer and the Brain-Score
model; :meth:`describe` is the sentence written into outputs.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from neuroalign.errors import DataError

__all__ = [
    "CIFAR10_MEAN",
    "CIFAR10_STD",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "NORMALIZATIONS",
    "Preprocessing",
]

IMAGENET_MEAN: tuple[float, float, float] = (0.485, 0.456, 0.406)
IMAGENET_STD: tuple[float, float, float] = (0.229, 0.224, 0.225)
CIFAR10_MEAN: tuple[float, float, float] = (0.4914, 0.4822, 0.4465)
CIFAR10_STD: tuple[float, float, float] = (0.2470, 0.2435, 0.2616)

#: Per-channel (mean, std) by name: the statistics a network was trained with.
NORMALIZATIONS: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "imagenet": (IMAGENET_MEAN, IMAGENET_STD),
    "cifar10": (CIFAR10_MEAN, CIFAR10_STD),
}


@dataclass(frozen=True)
class Preprocessing:
    """Resize / crop / normalise images for a network (see the module docstring).

    Attributes:
        image_size: side S of the square network input, in pixels.
        resize: shorter side before the centre crop (>= ``image_size``), or ``None`` to resize
            the whole image to S x S without cropping (a stimulus fills the visual field).
        mean, std: per-channel statistics (RGB) subtracted / divided after scaling to [0, 1].
    """

    image_size: int = 224
    resize: int | None = 256
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD

    def __post_init__(self) -> None:
        if int(self.image_size) <= 0 or (self.resize is not None and int(self.resize) <= 0):
            raise ValueError(f"preprocessing sizes must be positive, got {self}")
        if self.resize is not None and int(self.resize) < int(self.image_size):
            raise ValueError(
                f"preprocessing resize ({self.resize}) must be >= image_size ({self.image_size})"
            )
        if len(self.mean) != 3 or len(self.std) != 3 or min(self.std) <= 0:
            raise ValueError(f"mean/std must be 3 values (std > 0), got {self.mean}, {self.std}")
        object.__setattr__(self, "image_size", int(self.image_size))
        object.__setattr__(self, "resize", None if self.resize is None else int(self.resize))
        object.__setattr__(self, "mean", tuple(float(m) for m in self.mean))
        object.__setattr__(self, "std", tuple(float(s) for s in self.std))

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def named(cls, normalization: str, image_size: int, resize: int | None = None) -> Preprocessing:
        """Preprocessing with the statistics of a named data set (``"imagenet"``, ``"cifar10"``)."""
        if normalization not in NORMALIZATIONS:
            raise ValueError(
                f"unknown normalization {normalization!r}; valid: {', '.join(NORMALIZATIONS)}"
            )
        mean, std = NORMALIZATIONS[normalization]
        return cls(image_size=image_size, resize=resize, mean=mean, std=std)

    def full_field(self) -> Preprocessing:
        """The same input size and statistics, the whole image resized to S x S (no crop)."""
        return dataclasses.replace(self, resize=None)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Preprocessing:
        """Build from a checkpoint's ``"preprocessing"`` dict (unknown keys are an error)."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - names
        if unknown:
            raise DataError(f"unknown preprocessing keys {sorted(unknown)}; valid: {sorted(names)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})

    def to_dict(self) -> dict[str, Any]:
        """Plain values (YAML / JSON / checkpoint friendly); inverse of :meth:`from_dict`."""
        return {
            "image_size": self.image_size,
            "resize": self.resize,
            "mean": list(self.mean),
            "std": list(self.std),
        }

    def describe(self) -> str:
        """One sentence for outputs, e.g. "resize the shorter side to 256 px, centre-crop 224 px,
        normalise (ImageNet mean/std)"."""
        if self.resize is None:
            geometry = f"resize the whole image to {self.image_size}x{self.image_size} px (no crop)"
        elif self.resize == self.image_size:
            geometry = f"resize the shorter side to {self.image_size} px, centre-crop (square)"
        else:
            geometry = (
                f"resize the shorter side to {self.resize} px, centre-crop {self.image_size} px"
            )
        stats = next(
            (name for name, ms in NORMALIZATIONS.items() if ms == (self.mean, self.std)), None
        )
        norm = f"{stats} mean/std" if stats else f"mean {list(self.mean)}, std {list(self.std)}"
        return f"{geometry}, normalise ({norm})"

    # -- the two steps -----------------------------------------------------------------------
    def resize_crop(self, images: Any) -> Any:
        """The geometry: uint8 (..., 3, H, W) -> uint8 (..., 3, S, S) on the same device, or a
        ``PIL.Image`` -> a ``PIL.Image`` of S x S (decoded files: PIL's own resampling, so
        files give exactly what torchvision's transforms and Brain-Score's loader give).

        Images that already have the target geometry are returned unchanged (no resampling).
        """
        from torchvision.transforms.v2 import functional as tvf

        if isinstance(images, torch.Tensor):
            _check_images(images)
            h, w = images.shape[-2:]
        else:  # a PIL image
            w, h = images.size
        size = self.image_size
        if self.resize is None:
            if (h, w) == (size, size):
                return images
            return _resize(images, [size, size], tvf)
        if min(h, w) != self.resize:
            images = _resize(images, [self.resize], tvf)
        if tuple(tvf.get_size(images)) == (size, size):
            return images
        return tvf.center_crop(images, [size, size])

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """(x - mean) / std per channel of float images (..., 3, H, W) in [0, 1]."""
        mean, std = _statistics(self.mean, self.std, x.device, x.dtype)
        return (x - mean) / std

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 (..., 3, H, W) -> float32 (..., 3, S, S), resized, cropped and normalised."""
        x = self.resize_crop(images).to(torch.float32).div_(255.0)
        return self.normalize(x)


@functools.lru_cache(maxsize=32)
def _statistics(
    mean: tuple[float, ...], std: tuple[float, ...], device: torch.device, dtype: torch.dtype
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and std as (3, 1, 1) tensors on ``device``, made once per device and dtype: making
    them from Python numbers is a host-to-device copy that waits for a GPU (in every step)."""
    with torch.inference_mode(False):
        return (
            torch.tensor(mean, dtype=dtype, device=device).view(3, 1, 1),
            torch.tensor(std, dtype=dtype, device=device).view(3, 1, 1),
        )


def _check_images(images: torch.Tensor) -> None:
    if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8:
        got = images.dtype if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"images must be a uint8 tensor (..., 3, H, W), got {got}")
    if images.ndim < 3 or images.shape[-3] != 3:
        raise ValueError(f"images must have shape (..., 3, H, W), got {tuple(images.shape)}")


def _resize(images: Any, size: Sequence[int], tvf: Any) -> Any:
    """Anti-aliased bilinear resize of PIL images (PIL) or uint8 tensors (torchvision's uint8
    kernel on the CPU, float32 rounded back to uint8 where the device has no uint8 kernel)."""
    if not isinstance(images, torch.Tensor) or images.device.type == "cpu":
        return tvf.resize(images, list(size), antialias=True)
    out = tvf.resize(images.to(torch.float32), list(size), antialias=True)
    return out.round_().clamp_(0, 255).to(torch.uint8)
