"""Image data sets as uint8 tensors: CIFAR-10, Imagenette, and any ImageFolder tree.

Small data sets are decoded once (from the archive, without unpacking thousands of files) into
uint8 arrays cached under ``$NEUROALIGN_HOME``; later loads memory-map them. The training
pipeline moves them to the GPU once and augments there. Large trees (ImageNet-100/1K) are read
lazily through :class:`ImageFolderDataset` and a multi-worker ``DataLoader``.
"""

from __future__ import annotations

import io
import json
import pickle
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import torch
from tqdm.auto import tqdm

from neuroalign.data.archives import ArchiveLimits, archive_members, image_archive_limits
from neuroalign.data.catalog import get_dataset
from neuroalign.data.fetch import data_home, fetch_file
from neuroalign.errors import DataError
from neuroalign.io import atomic_write, sha256_file

__all__ = [
    "IMAGE_EXTENSIONS",
    "ImageDataset",
    "ImageFolderDataset",
    "decode_image",
    "load_image_dataset",
    "load_image_folder",
    "open_image",
    "read_image",
    "spread_indices",
]

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")
_SPLITS = {"cifar10": ("train", "test"), "imagenette": ("train", "val")}
#: What each image archive holds: (images, side in pixels), for its limits (see data.archives).
_ARCHIVE_CONTENT = {
    "cifar10-jpeg.tar.gz": (60_000, 32),
    "imagenette96-train.tar.gz": (9_469, 96),
    "imagenette96-val.tar.gz": (3_925, 96),
}
#: The official CIFAR-10 python release: 5 train + 1 test batch of 10,000 rows of 3,072 bytes
#: (+ labels and file names), batches.meta and a readme.
_CIFAR_PYTHON_LIMITS = ArchiveLimits(
    max_members=16,
    max_member_bytes=10_000 * 3_200,
    max_total_bytes=60_000 * 3_200 + (1 << 20),
    content="the CIFAR-10 python release (6 batches of 10,000 32x32 images)",
)


@dataclass(frozen=True)
class ImageDataset:
    """Decoded images with labels.

    Attributes:
        images: uint8 tensor (N, 3, H, W).
        labels: int64 tensor (N,).
        classes: class names; ``labels`` index into it.
        name, split: where the images come from.
    """

    images: torch.Tensor
    labels: torch.Tensor
    classes: tuple[str, ...]
    name: str
    split: str

    def __post_init__(self) -> None:
        if self.images.dtype != torch.uint8 or self.images.ndim != 4 or self.images.shape[1] != 3:
            raise DataError(
                f"{self.name}/{self.split}: images must be uint8 (N, 3, H, W), "
                f"got {tuple(self.images.shape)} {self.images.dtype}"
            )
        if self.labels.shape != (self.images.shape[0],):
            raise DataError(
                f"{self.name}/{self.split}: {len(self.labels)} labels for "
                f"{self.images.shape[0]} images"
            )

    def __len__(self) -> int:
        return self.images.shape[0]

    def subset(self, indices: Sequence[int] | torch.Tensor) -> ImageDataset:
        """The images at ``indices`` (a new dataset sharing class names)."""
        index = torch.as_tensor(indices, dtype=torch.long)
        return ImageDataset(
            self.images[index], self.labels[index], self.classes, self.name, self.split
        )


def decode_image(data: bytes, source: str, size: int | None = None) -> np.ndarray:
    """Decode image bytes to an RGB uint8 array (H, W, 3); optional centre-crop + resize to
    ``size`` x ``size`` (bicubic). A corrupt image raises :class:`DataError` naming ``source``."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image = image.convert("RGB")
            if size is not None and image.size != (size, size):
                w, h = image.size
                side = min(w, h)
                left, top = (w - side) // 2, (h - side) // 2
                image = image.crop((left, top, left + side, top + side))
                image = image.resize((size, size), Image.BICUBIC)
            return np.array(image, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise DataError(f"{source}: corrupt or unreadable image ({err})") from None


def spread_indices(n_total: int, n: int | None) -> torch.Tensor:
    """``n`` indices spread evenly over ``range(n_total)`` (all if ``n`` is None or larger).

    Data sets stored class by class (CIFAR-10, Imagenette) keep their class balance this way.
    """
    if n is None or n >= n_total:
        return torch.arange(n_total)
    if n < 1:
        raise ValueError(f"subset size must be >= 1, got {n}")
    return torch.linspace(0, n_total - 1, int(n)).round().long()


def open_image(path: str | Path, min_side: int | None = None):
    """An image file as an RGB ``PIL.Image`` (decoded); corrupt files raise :class:`DataError`.

    ``min_side``: a JPEG may be decoded at a reduced scale (PIL's draft mode: 1/2, 1/4 or 1/8,
    in the DCT) as long as its shorter side stays >= ``min_side`` -- several times faster for
    photographs much larger than the network input; other formats decode in full.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            if min_side is not None and image.format == "JPEG":
                w, h = image.size
                scale = max(1, min(w, h) // int(min_side))
                if scale >= 2:
                    image.draft("RGB", (w // scale, h // scale))
            return image.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise DataError(f"{path}: corrupt or unreadable image ({err})") from None


def read_image(path: str | Path, min_side: int | None = None) -> torch.Tensor:
    """An image file as an RGB uint8 tensor (3, H, W) (see :func:`open_image`)."""
    array = np.asarray(open_image(path, min_side), dtype=np.uint8)
    return torch.from_numpy(array.copy()).permute(2, 0, 1)


def _tree_members(archive: Path) -> Iterator[tuple[str, str, bytes]]:
    """Yield (split, class, bytes) for every image ``<split>/<class>/<file>`` in a tar archive."""
    n_images, side = _ARCHIVE_CONTENT[archive.name]
    for name, handle in archive_members(archive, image_archive_limits(n_images, side, side)):
        parts = PurePosixPath(name).parts
        if len(parts) >= 3 and parts[-1].lower().endswith(IMAGE_EXTENSIONS):
            yield parts[-3], parts[-2], handle.read()


def _decode_tree_archive(archive: Path, size: int | None, label: str):
    """Decode an archive of ``<split>/<class>/<image>`` into {split: (images, class names)}."""
    per_split: dict[str, dict[str, list[np.ndarray]]] = {}
    for split, cls, data in tqdm(
        _tree_members(archive), desc=f"decode {label}", unit="img", leave=False
    ):
        image = decode_image(data, f"{archive}:{split}/{cls}", size)
        per_split.setdefault(split, {}).setdefault(cls, []).append(image)
    return per_split


def _stack(per_class: dict[str, list[np.ndarray]], classes: Sequence[str], source: str):
    images, labels = [], []
    for index, cls in enumerate(classes):
        for image in per_class.get(cls, []):
            images.append(image)
            labels.append(index)
    shapes = {im.shape for im in images}
    if len(shapes) != 1:
        raise DataError(f"{source}: images of different sizes {sorted(shapes)[:4]}; give a size")
    return np.stack(images), np.asarray(labels, dtype=np.int64)


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists, bytes and numpy arrays only: a pickle that names any other
    global (e.g. ``os.system``) is refused instead of run."""

    _ALLOWED = {
        (module, name)
        for module in ("numpy.core.multiarray", "numpy._core.multiarray")
        for name in ("_reconstruct", "scalar")
    } | {("numpy", "ndarray"), ("numpy", "dtype")}

    def find_class(self, module: str, name: str):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")
        return super().find_class(module, name)


def _unpickle(data: bytes, source: str):
    try:
        return _ArrayUnpickler(io.BytesIO(data), encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as err:
        raise DataError(f"{source}: not a CIFAR-10 python batch ({err})") from None


def _decode_cifar_python(archive: Path) -> dict[str, tuple[np.ndarray, np.ndarray, list[str]]]:
    """The official CIFAR-10 python release: pickled batches of 3072-byte rows."""
    out: dict[str, list] = {"train": [[], []], "test": [[], []]}
    classes: list[str] = []
    for member, handle in archive_members(archive, _CIFAR_PYTHON_LIMITS):
        name = PurePosixPath(member).name
        if name == "batches.meta":
            meta = _unpickle(handle.read(), f"{archive}:{member}")
            classes = [c.decode() for c in meta[b"label_names"]]
        elif name.startswith(("data_batch_", "test_batch")):
            batch = _unpickle(handle.read(), f"{archive}:{member}")
            split = "test" if name.startswith("test") else "train"
            out[split][0].append(np.asarray(batch[b"data"], np.uint8).reshape(-1, 3, 32, 32))
            out[split][1].append(np.asarray(batch[b"labels"], np.int64))
    return {
        split: (np.concatenate(x).transpose(0, 2, 3, 1), np.concatenate(y), classes)
        for split, (x, y) in out.items()
    }


def _cache_folder(archive: Path) -> Path:
    return archive.parent / f"decoded-{archive.name.split('.')[0]}-{sha256_file(archive)[:12]}"


def _save_split(
    folder: Path, split: str, images: np.ndarray, labels: np.ndarray, classes: Sequence[str]
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for kind, array in (("images", images), ("labels", labels)):
        with atomic_write(folder / f"{split}_{kind}.npy", "wb") as handle:
            np.save(handle, array)
    with atomic_write(folder / f"{split}_classes.json") as handle:
        json.dump(list(classes), handle)


def _load_split(folder: Path, split: str, name: str) -> ImageDataset | None:
    paths = [folder / f"{split}_{k}" for k in ("images.npy", "labels.npy", "classes.json")]
    if not all(p.exists() for p in paths):
        return None
    images = np.load(paths[0])
    labels = np.load(paths[1])
    classes = tuple(json.loads(paths[2].read_text()))
    return ImageDataset(
        torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(),
        torch.from_numpy(labels),
        classes,
        name,
        split,
    )


def _archive_for(name: str, split: str, root: Path | None) -> Path:
    dataset = get_dataset(name)
    if name == "cifar10":
        candidates = ["cifar10-jpeg.tar.gz", "cifar-10-python.tar.gz"]
    else:
        candidates = [f"imagenette96-{split}.tar.gz"]
    if root is not None:
        for c in candidates:
            if (root / c).is_file():
                return root / c
        raise DataError(f"{root}: none of {candidates} found (or give an ImageFolder tree)")
    return fetch_file(dataset.folder, dataset.file(candidates[0]))


def load_image_dataset(
    name: str, split: str = "train", root: str | Path | None = None
) -> ImageDataset:
    """Load a named image data set as uint8 tensors.

    Args:
        name: ``"cifar10"`` (splits train/test, 32x32) or ``"imagenette"`` (train/val, 96x96;
            ``"test"`` means val).
        split: which split.
        root: a folder holding the archives, or an unpacked ``<split>/<class>/<image>`` tree;
            None fetches into the cache from ``$NEUROALIGN_MIRROR`` or the public origin.
    """
    key = get_dataset(name).name
    if key not in _SPLITS:
        raise ValueError(f"{name!r} is not an image data set; choose from {sorted(_SPLITS)}")
    if key == "imagenette" and split == "test":
        split = "val"
    if split not in _SPLITS[key]:
        raise ValueError(f"{key} has splits {_SPLITS[key]}, not {split!r}")
    root_path = None if root is None else Path(root).expanduser()
    if root_path is not None and (root_path / split).is_dir():
        return load_image_folder(
            root_path / split, size=96 if key == "imagenette" else None, name=key, split=split
        )
    archive = _archive_for(key, split, root_path)
    cache = data_home() / get_dataset(key).folder / _cache_folder(archive).name
    cached = _load_split(cache, split, key)
    if cached is not None:
        return cached
    if archive.name == "cifar-10-python.tar.gz":
        for s, (images, labels, classes) in _decode_cifar_python(archive).items():
            _save_split(cache, s, images, labels, classes)
    else:
        size = 96 if key == "imagenette" else None
        decoded = _decode_tree_archive(archive, size, f"{key} {archive.name}")
        if not decoded:
            raise DataError(f"{archive}: no <split>/<class>/<image> files inside")
        for s, per_class in decoded.items():
            classes = sorted(per_class)
            images, labels = _stack(per_class, classes, f"{archive}:{s}")
            _save_split(cache, s, images, labels, classes)
    loaded = _load_split(cache, split, key)
    if loaded is None:
        raise DataError(f"{archive}: no {split!r} split inside")
    return loaded


def _folder_files(root: Path) -> tuple[list[str], list[tuple[Path, int]]]:
    if not root.is_dir():
        raise DataError(f"{root}: no such folder")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir())
    if not classes:
        raise DataError(f"{root}: expected one sub-folder per class (ImageFolder layout)")
    samples = [
        (path, index)
        for index, cls in enumerate(classes)
        for path in sorted((root / cls).rglob("*"))
        if path.suffix.lower() in IMAGE_EXTENSIONS
    ]
    if not samples:
        raise DataError(f"{root}: no images ({', '.join(IMAGE_EXTENSIONS)}) in its class folders")
    return classes, samples


def load_image_folder(
    root: str | Path, size: int | None = None, *, name: str | None = None, split: str = "all"
) -> ImageDataset:
    """Decode a whole ``<class>/<image>`` tree into memory (centre-crop + resize to ``size``).

    Corrupt images raise :class:`DataError` listing every file that failed.
    """
    root = Path(root)
    classes, samples = _folder_files(root)
    images, labels, failed = [], [], []
    for path, label in tqdm(samples, desc=f"decode {root.name}", unit="img", leave=False):
        try:
            images.append(decode_image(path.read_bytes(), str(path), size))
            labels.append(label)
        except DataError:
            failed.append(str(path))
    if failed:
        raise DataError(f"{len(failed)} image(s) could not be decoded: {failed[:10]}")
    stacked, label_array = _stack(
        {c: [] for c in classes} | _group(images, labels, classes), classes, str(root)
    )
    return ImageDataset(
        torch.from_numpy(stacked).permute(0, 3, 1, 2).contiguous(),
        torch.from_numpy(label_array),
        tuple(classes),
        name or root.name,
        split,
    )


def _group(images, labels, classes):
    grouped: dict[str, list[np.ndarray]] = {c: [] for c in classes}
    for image, label in zip(images, labels):
        grouped[classes[label]].append(image)
    return grouped


class ImageFolderDataset(torch.utils.data.Dataset):
    """A lazily-decoded ``<class>/<image>`` tree (ImageNet-100/1K) for multi-worker loading.

    Items are ``(uint8 tensor (3, H, W), label)``; ``transform`` (optional) is applied to the
    uint8 tensor. A corrupt image raises :class:`DataError` naming the file.
    """

    def __init__(self, root: str | Path, transform=None) -> None:
        self.root = Path(root)
        classes, self.samples = _folder_files(self.root)
        self.classes = tuple(classes)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int):
        path, label = self.samples[index]
        image = read_image(path)
        if self.transform is not None:
            image = self.transform(image)
        return image, label
