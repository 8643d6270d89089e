"""Where training images come from: uint8 tensors held on the device, or an ImageFolder tree.

A source hands out batches of uint8 images (B, 3, H, W) on the training device in the order of
the index batches it is given (:func:`epoch_batches`: a seeded permutation per epoch, sharded
over the processes like ``DistributedSampler(shuffle=True, drop_last=True)``), images at given
indices for evaluation, and labels without decoding anything.

- :class:`TensorSource`: CIFAR-10, Imagenette or any in-memory set, already on the device; a
  batch is one indexing kernel (the epoch's permutation crosses to the device once per epoch).
- :class:`FolderSource`: a ``<class>/<image>`` tree read by persistent DataLoader workers (one
  loader for the whole run). Images are decoded either in the workers -- JPEG draft decoding
  (:func:`neuroalign.data.open_image`, ``min_side`` = the load size) and PIL's resampling to
  ``load_size`` x ``load_size`` (:meth:`Preprocessing.resize_crop`) -- or, with
  ``decode="device"`` (the default when training on CUDA), on the training device:
  the workers only read the JPEG bytes and ``torchvision.io.decode_jpeg`` decodes the whole
  batch at once (nvJPEG on a GPU), then :meth:`Preprocessing.resize_crop` runs on the device.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import torch

from neuroalign.preprocessing import Preprocessing
from neuroalign.train.config import DECODERS

__all__ = ["FolderSource", "ImageSource", "TensorSource", "epoch_batches"]

_JPEG_SUFFIXES = (".jpg", ".jpeg")


def epoch_batches(
    n_images: int, epoch: int, seed: int, batch_size: int, rank: int = 0, world: int = 1
) -> list[torch.Tensor]:
    """Index batches of one epoch for one rank: a seeded permutation, sharded, full batches.

    Like ``DistributedSampler(shuffle=True, drop_last=True)`` + ``drop_last`` batching: the
    permutation depends only on (seed, epoch); rank r takes positions r, r + world, ...
    """
    gen = torch.Generator().manual_seed(int(seed) * 10_007 + int(epoch))
    perm = torch.randperm(n_images, generator=gen)
    per_rank = n_images // world
    mine = perm[: per_rank * world][rank::world]
    n_batches = per_rank // batch_size
    return [mine[i * batch_size : (i + 1) * batch_size] for i in range(n_batches)]


class ImageSource:
    """Training or evaluation images; see the module docstring.

    Attributes:
        size: side of the images it yields (the in-memory side, or the load size).
        device: where its batches land.
    """

    size: int
    device: torch.device

    def __len__(self) -> int:  # pragma: no cover - interface
        raise NotImplementedError

    def epoch(self, batches: Sequence[torch.Tensor]) -> Iterator[torch.Tensor]:
        """uint8 (B, 3, size, size) on the device, one per index batch, in order."""
        raise NotImplementedError  # pragma: no cover - interface

    def images(self, indices: torch.Tensor, batch_size: int) -> Iterator[torch.Tensor]:
        """The images at ``indices`` (in order) in batches of ``batch_size``, on the device."""
        raise NotImplementedError  # pragma: no cover - interface

    def labels(self, indices: torch.Tensor) -> torch.Tensor:
        """int64 labels (CPU) of the images at ``indices``."""
        raise NotImplementedError  # pragma: no cover - interface

    def close(self) -> None:
        """Stop worker processes, if any."""


class TensorSource(ImageSource):
    """Images already in memory: uint8 (N, 3, H, W) (moved to ``device`` once) and labels."""

    def __init__(
        self, images: torch.Tensor, labels: torch.Tensor | None, device: torch.device
    ) -> None:
        if images.dtype != torch.uint8 or images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(
                f"training images must be uint8 (N, 3, H, W), got {images.dtype} "
                f"{tuple(images.shape)}"
            )
        self.device = torch.device(device)
        self._images = images.to(self.device)
        self._labels = labels.cpu().long() if labels is not None else None
        self.size = int(images.shape[-1])

    def __len__(self) -> int:
        return int(self._images.shape[0])

    def epoch(self, batches: Sequence[torch.Tensor]) -> Iterator[torch.Tensor]:
        if not batches:
            return
        size = len(batches[0])
        order = torch.cat(list(batches))
        if self.device.type == "cuda":  # one non-blocking copy per epoch, not one per step
            order = order.pin_memory()
        order = order.to(self.device, non_blocking=True)
        yield from (self._images[chunk] for chunk in order.split(size))

    def images(self, indices: torch.Tensor, batch_size: int) -> Iterator[torch.Tensor]:
        index = indices.to(self.device)
        yield from (self._images[chunk] for chunk in index.split(batch_size))

    def labels(self, indices: torch.Tensor) -> torch.Tensor:
        if self._labels is None:
            raise ValueError("these in-memory images have no labels")
        return self._labels[indices.cpu()]


class _FolderFiles(torch.utils.data.Dataset):
    """Item i -> (uint8 tensor, encoded?): the file's JPEG bytes (1-D) when ``encoded`` and
    the file is a JPEG, else the image decoded (draft mode) and resized/cropped to the load
    geometry (3, L, L). A corrupt file raises DataError naming it (in the worker)."""

    def __init__(
        self, samples: Sequence[tuple[Path, int]], geometry: Preprocessing, encoded: bool
    ) -> None:
        self.paths = [Path(p) for p, _ in samples]
        self.geometry = geometry
        self.encoded = encoded

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, bool]:
        from torchvision.transforms.v2 import functional as tvf

        from neuroalign.data import open_image

        path = self.paths[i]
        if self.encoded and path.suffix.lower() in _JPEG_SUFFIXES:
            # plain memory (torchvision.io.read_file's tensor cannot cross to the main process)
            return torch.frombuffer(bytearray(path.read_bytes()), dtype=torch.uint8), True
        image = open_image(path, min_side=self.geometry.image_size)
        return tvf.pil_to_tensor(self.geometry.resize_crop(image)), False


def _collate(items: list[tuple[torch.Tensor, bool]]) -> tuple[Any, list[bool]]:
    """Stack decoded images; keep a list when some items are still encoded bytes."""
    tensors, encoded = [t for t, _ in items], [bool(e) for _, e in items]
    return (tensors if any(encoded) else torch.stack(tensors)), encoded


class _IndexBatches(torch.utils.data.Sampler):
    """A batch sampler whose batches are set before each pass (the persistent loader's)."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []

    def __iter__(self) -> Iterator[list[int]]:
        return iter(list(self.batches))

    def __len__(self) -> int:
        return len(self.batches)


class FolderSource(ImageSource):
    """An ImageFolder tree (``<class>/<image>``) read lazily by DataLoader workers.

    Args:
        samples: (path, label) pairs (``ImageFolderDataset(root).samples``).
        load_size: side L the images are brought to (shorter side resized to L, centre crop).
        device: where batches land.
        workers: DataLoader worker processes (kept alive for the whole run).
        decode: "cpu" (in the workers, JPEG draft mode + PIL resampling), "device" (JPEG bytes
            decoded in batches on ``device`` with ``torchvision.io.decode_jpeg``; other formats
            still in the workers), "auto" ("device" on CUDA, else "cpu").
    """

    def __init__(
        self,
        samples: Sequence[tuple[Path, int]],
        load_size: int,
        device: torch.device,
        *,
        workers: int = 8,
        decode: str = "auto",
    ) -> None:
        if decode not in DECODERS:
            raise ValueError(f"decode must be one of {', '.join(DECODERS)}, got {decode!r}")
        self.device = torch.device(device)
        self.decode = (
            ("device" if self.device.type == "cuda" else "cpu") if decode == "auto" else decode
        )
        self.size = int(load_size)
        self.geometry = Preprocessing(image_size=self.size, resize=self.size)
        self._labels = torch.as_tensor([int(label) for _, label in samples], dtype=torch.long)
        self._files = _FolderFiles(samples, self.geometry, encoded=self.decode == "device")
        self.workers = int(workers)
        self._sampler = _IndexBatches()
        self._loader = self._make_loader(self._sampler, persistent=self.workers > 0)

    @classmethod
    def from_folder(cls, root: str | Path, load_size: int, device: torch.device, **kwargs: Any):
        """All images of a ``<class>/<image>`` tree (classes = sorted sub-folders)."""
        from neuroalign.data import ImageFolderDataset

        return cls(ImageFolderDataset(Path(root)).samples, load_size, device, **kwargs)

    def subset(self, indices: torch.Tensor) -> FolderSource:
        """The same tree restricted to ``indices`` (a new source with its own workers)."""
        samples = [(self._files.paths[i], int(self._labels[i])) for i in indices.tolist()]
        return FolderSource(
            samples, self.size, self.device, workers=self.workers, decode=self.decode
        )

    def _make_loader(self, batch_sampler: Any, persistent: bool) -> torch.utils.data.DataLoader:
        return torch.utils.data.DataLoader(
            self._files,
            batch_sampler=batch_sampler,
            num_workers=self.workers,
            collate_fn=_collate,
            pin_memory=self.device.type == "cuda",
            persistent_workers=persistent,
        )

    def __len__(self) -> int:
        return len(self._files)

    def epoch(self, batches: Sequence[torch.Tensor]) -> Iterator[torch.Tensor]:
        self._sampler.batches = [b.tolist() for b in batches]
        for batch in self._loader:
            yield self._on_device(batch)

    def images(self, indices: torch.Tensor, batch_size: int) -> Iterator[torch.Tensor]:
        chunks = [c.tolist() for c in indices.cpu().split(batch_size)]
        for batch in self._make_loader(chunks, persistent=False):
            yield self._on_device(batch)

    def labels(self, indices: torch.Tensor) -> torch.Tensor:
        return self._labels[indices.cpu()]

    def _on_device(self, batch: tuple[Any, list[bool]]) -> torch.Tensor:
        images, encoded = batch
        if not any(encoded):
            return images.to(self.device, non_blocking=True)
        from torchvision.io import ImageReadMode, decode_jpeg

        jpegs = [t for t, e in zip(images, encoded, strict=True) if e]
        decoded = iter(decode_jpeg(jpegs, mode=ImageReadMode.RGB, device=self.device))
        out = [
            self.geometry.resize_crop(next(decoded)) if e else t.to(self.device, non_blocking=True)
            for t, e in zip(images, encoded, strict=True)
        ]
        return torch.stack(out)

    def close(self) -> None:
        self._loader = None  # the persistent workers exit with their loader
