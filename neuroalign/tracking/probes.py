"""The fixed probe images a tracker measures a network on, chosen once at the start of training.

Every call of a tracker during training must see the same inputs, so that a change of a tracked
value is a change of the network: :class:`ProbeImages` holds N images (and their labels, if
any), picked once (:meth:`ProbeImages.spread`: evenly spread over a data set, which keeps a
class-ordered data set's class balance) and kept on the CPU; the trackers draw the same
augmented views of them at every call (a fixed seed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from neuroalign.data import spread_indices

__all__ = ["ProbeImages"]


@dataclass(frozen=True)
class ProbeImages:
    """A fixed set of probe images.

    Attributes:
        images: uint8 (N, 3, H, W), on the CPU.
        labels: int64 (N,) class labels, or ``None``.
        indices: (N,) positions of the images in the data set they were taken from.
    """

    images: torch.Tensor
    labels: torch.Tensor | None = None
    indices: torch.Tensor | None = None

    def __post_init__(self) -> None:
        images = self.images
        if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8:
            got = images.dtype if isinstance(images, torch.Tensor) else type(images).__name__
            raise ValueError(f"probe images must be a uint8 tensor (N, 3, H, W), got {got}")
        if images.ndim != 4 or images.shape[1] != 3 or images.shape[0] < 2:
            raise ValueError(
                f"probe images must have shape (N >= 2, 3, H, W), got {tuple(images.shape)}"
            )
        for name in ("labels", "indices"):
            value = getattr(self, name)
            if value is not None and tuple(value.shape) != (images.shape[0],):
                raise ValueError(
                    f"probe {name} must have shape ({images.shape[0]},) (one per image), got "
                    f"{tuple(value.shape)}"
                )
        object.__setattr__(self, "images", images.detach().cpu().contiguous())
        for name in ("labels", "indices"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, value.detach().cpu().long())

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @classmethod
    def spread(cls, images: Any, labels: Any = None, n: int | None = None) -> ProbeImages:
        """``n`` images evenly spread over ``images`` (uint8 (N_total, 3, H, W)); all if ``n`` is
        None or larger. ``labels`` (N_total,) are taken along."""
        index = spread_indices(int(images.shape[0]), n)
        picked = images[index.to(images.device)]
        chosen = None if labels is None else torch.as_tensor(labels)[index]
        return cls(picked, chosen, index)

    def take(self, n: int | None) -> ProbeImages:
        """``n`` of the probe images, evenly spread over them (all if ``n`` is None or larger),
        so that a smaller probe keeps the class balance of the larger one."""
        if n is None or n >= len(self):
            return self
        if n < 2:
            raise ValueError(f"a probe needs >= 2 images, got n={n}")
        index = spread_indices(len(self), int(n))
        return ProbeImages(
            self.images[index],
            None if self.labels is None else self.labels[index],
            None if self.indices is None else self.indices[index],
        )
