"""Stimuli for extraction: what the inputs are (ids, files or a tensor) and how they are decoded.

:func:`as_stimuli` normalises every accepted input (a Brain-Score ``StimulusSet``, an image
folder, a list of image paths, a uint8 tensor) into one :class:`Stimuli` record;
:func:`iter_batches` decodes it into preprocessed network input, batch by batch, in stimulus
order (files in ``DataLoader`` workers, PIL decoding, the model's
:class:`~neuroalign.preprocessing.Preprocessing`); :func:`load_images` decodes a list of files
at once (Brain-Score's activations wrapper calls it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from neuroalign.data.images import IMAGE_EXTENSIONS
from neuroalign.errors import DataError
from neuroalign.preprocessing import Preprocessing

__all__ = ["ImageFiles", "Stimuli", "as_stimuli", "iter_batches", "load_images"]


@dataclass(frozen=True)
class Stimuli:
    """A normalised view of the inputs: ids plus either image files or a uint8 tensor.

    Attributes:
        ids: one ``stimulus_id`` per image, in order.
        paths: image files (same order), or ``None`` for tensor input.
        tensor: uint8 images (N, 3, H, W), or ``None`` for file input.
        meta: extra per-stimulus columns (a StimulusSet's), indexed like ``ids``.
        identifier: the StimulusSet identifier, when there is one.
    """

    ids: tuple[str, ...]
    paths: tuple[Path, ...] | None = None
    tensor: torch.Tensor | None = None
    meta: pd.DataFrame | None = None
    identifier: str | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, indices: Sequence[int]) -> Stimuli:
        idx = list(indices)
        return Stimuli(
            ids=tuple(self.ids[i] for i in idx),
            paths=None if self.paths is None else tuple(self.paths[i] for i in idx),
            tensor=None if self.tensor is None else self.tensor[idx],
            meta=None if self.meta is None else self.meta.iloc[idx].reset_index(drop=True),
            identifier=None,
        )


def _folder_images(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS)
    if not files:
        raise DataError(f"{folder}: no image files ({', '.join(IMAGE_EXTENSIONS)}) found")
    return files


def as_stimuli(stimuli: Any) -> Stimuli:
    """Accept a StimulusSet, an image folder, a list of image paths or a uint8 (N, 3, H, W) tensor.

    Ids: a StimulusSet's ``stimulus_id``; for files, the path relative to the folder (or the
    file stem when all stems are distinct) without suffix; for a tensor, ``"image_00000"``...
    """
    if isinstance(stimuli, Stimuli):
        return stimuli
    # a Brain-Score StimulusSet (a DataFrame with stimulus paths)
    if isinstance(stimuli, pd.DataFrame):
        if "stimulus_id" not in stimuli.columns:
            raise DataError("stimulus set has no 'stimulus_id' column")
        ids = [str(s) for s in stimuli["stimulus_id"]]
        if len(set(ids)) != len(ids):
            raise DataError("stimulus set has duplicate stimulus_id values")
        getter = getattr(stimuli, "get_stimulus", None)
        if getter is None:
            raise DataError("stimulus set has no stimulus paths (get_stimulus)")
        paths = tuple(Path(getter(s)) for s in stimuli["stimulus_id"])
        meta = pd.DataFrame(stimuli).reset_index(drop=True)
        return Stimuli(
            ids=tuple(ids),
            paths=paths,
            meta=meta,
            identifier=getattr(stimuli, "identifier", None),
        )
    if isinstance(stimuli, torch.Tensor):
        if stimuli.dtype != torch.uint8 or stimuli.ndim != 4 or stimuli.shape[1] != 3:
            raise DataError(
                f"image tensor must be uint8 of shape (N, 3, H, W), got {stimuli.dtype} "
                f"{tuple(stimuli.shape)}"
            )
        ids = tuple(f"image_{i:05d}" for i in range(stimuli.shape[0]))
        return Stimuli(ids=ids, tensor=stimuli.detach().cpu())
    if hasattr(stimuli, "images") and isinstance(stimuli.images, torch.Tensor):
        return as_stimuli(stimuli.images)  # neuroalign.data.ImageDataset
    if isinstance(stimuli, (str, os.PathLike)):
        folder = Path(stimuli)
        if not folder.is_dir():
            raise FileNotFoundError(f"stimulus folder not found: {folder}")
        files = _folder_images(folder)
        ids = tuple(str(p.relative_to(folder).with_suffix("")) for p in files)
        return Stimuli(ids=ids, paths=tuple(files), identifier=None)
    if isinstance(stimuli, Sequence):
        files = [Path(p) for p in stimuli]
        missing = [str(p) for p in files if not p.is_file()]
        if missing:
            raise FileNotFoundError(f"image files not found: {', '.join(missing[:10])}")
        stems = [p.stem for p in files]
        ids = stems if len(set(stems)) == len(stems) else [str(p.with_suffix("")) for p in files]
        if len(set(ids)) != len(ids):
            raise DataError("the list of image paths has duplicates")
        return Stimuli(ids=tuple(ids), paths=tuple(files))
    raise TypeError(
        f"stimuli must be a StimulusSet, folder, list of paths or uint8 tensor, got "
        f"{type(stimuli).__name__}"
    )


class ImageFiles(torch.utils.data.Dataset):
    """Decode one image file and give it the model's input geometry ->
    ``(index, uint8 (3, S, S), error message or "")`` (a failed file gives zeros and its error)."""

    def __init__(self, paths: Sequence[str | Path], prep: Preprocessing):
        self.paths = [Path(p) for p in paths]
        self.prep = prep

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> tuple[int, torch.Tensor, str]:
        from torchvision.transforms.v2 import functional as tvf

        from neuroalign.data.images import open_image

        size = self.prep.image_size
        try:
            image = open_image(self.paths[i])
            return i, tvf.pil_to_tensor(self.prep.resize_crop(image)), ""
        except Exception as err:
            return i, torch.zeros(3, size, size, dtype=torch.uint8), f"{type(err).__name__}: {err}"


def _raise_undecodable(paths: Sequence[Path], indices: Sequence[int], errors: Sequence[str]):
    bad = [f"{paths[int(i)]} ({e})" for i, e in zip(indices, errors) if e]
    if bad:
        raise DataError(f"{len(bad)} image(s) failed to decode: " + "; ".join(bad))


def load_images(paths: Sequence[str | Path], prep: Preprocessing) -> torch.Tensor:
    """Image files -> float32 (B, 3, S, S) network input, decoded in this process.

    Raises :class:`DataError` naming every file that failed to decode.
    """
    data = ImageFiles(paths, prep)
    items = [data[i] for i in range(len(data))]
    _raise_undecodable(data.paths, [i for i, _, _ in items], [e for _, _, e in items])
    return _network_input(torch.stack([image for _, image, _ in items]), prep)


def iter_batches(
    stimuli: Stimuli,
    prep: Preprocessing,
    batch_size: int,
    num_workers: int | None = None,
    pin_memory: bool = False,
) -> Iterator[tuple[int, torch.Tensor]]:
    """Yield ``(start, images)``: preprocessed float32 (B, 3, S, S) batches in stimulus order.

    Files are decoded in ``num_workers`` DataLoader workers (default: min(4, CPUs - 1)).
    A batch with undecodable files raises :class:`DataError` naming every such file in it.
    """
    if stimuli.tensor is not None:
        for start in range(0, len(stimuli), batch_size):
            yield start, prep(stimuli.tensor[start : start + batch_size])
        return
    assert stimuli.paths is not None
    if num_workers is None:
        num_workers = min(4, max(0, (os.cpu_count() or 1) - 1))
    loader = torch.utils.data.DataLoader(
        ImageFiles(stimuli.paths, prep),
        batch_size=batch_size,
        shuffle=False,
        num_workers=num_workers,
        persistent_workers=False,
        pin_memory=pin_memory,
    )
    start = 0
    for indices, images, errors in loader:
        _raise_undecodable(stimuli.paths, indices, errors)
        yield start, _network_input(images, prep)
        start += len(indices)


def _network_input(images: torch.Tensor, prep: Preprocessing) -> torch.Tensor:
    """uint8 (B, 3, S, S) already at the input geometry -> normalised float32 input."""
    return prep.normalize(images.to(torch.float32).div_(255.0))
