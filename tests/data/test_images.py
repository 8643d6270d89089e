"""Image data sets decoded once into uint8 tensors (real CIFAR-10 and Imagenette)."""

from __future__ import annotations

import io
import os
import tarfile

import numpy as np
import pytest
import torch
from PIL import Image

from neuroalign.data import ImageFolderDataset, load_image_dataset, load_image_folder
from neuroalign.errors import DataError


def test_cifar10_test_split():
    ds = load_image_dataset("cifar10", "test")
    assert ds.images.shape == (10_000, 3, 32, 32)
    assert ds.images.dtype == torch.uint8
    assert ds.labels.bincount().tolist() == [1000] * 10
    assert ds.classes[:3] == ("airplane", "automobile", "bird")
    sub = ds.subset([0, 5, 7])
    assert len(sub) == 3 and torch.equal(sub.images[1], ds.images[5])


def test_imagenette_val_is_test():
    ds = load_image_dataset("imagenette", "test")
    assert ds.split == "val"
    assert ds.images.shape == (3925, 3, 96, 96)
    assert len(ds.classes) == 10 and ds.classes[0] == "n01440764"


def test_unknown_names_and_splits():
    with pytest.raises(KeyError, match="unknown data set"):
        load_image_dataset("mnist")
    with pytest.raises(ValueError, match="splits"):
        load_image_dataset("cifar10", "val")


def _jpeg(color) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 30), color).save(buffer, "JPEG")
    return buffer.getvalue()


def test_image_folder_tree_and_corrupt_files(tmp_path):
    for cls, color in (("cat", (255, 0, 0)), ("dog", (0, 0, 255))):
        (tmp_path / cls).mkdir()
        for k in range(3):
            (tmp_path / cls / f"{k}.jpg").write_bytes(_jpeg(color))
    ds = load_image_folder(tmp_path, size=16)
    assert ds.images.shape == (6, 3, 16, 16)
    assert ds.labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert ds.images[0, 0].float().mean() > 200  # red channel of a red cat
    lazy = ImageFolderDataset(tmp_path)
    image, label = lazy[4]
    assert image.shape == (3, 30, 20) and label == 1
    (tmp_path / "dog" / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(DataError, match="broken.jpg"):
        load_image_folder(tmp_path)
    with pytest.raises(DataError, match="broken.jpg"):
        ImageFolderDataset(tmp_path)[6]


def test_corrupt_jpeg_inside_an_archive_is_named(tmp_path):
    archive = tmp_path / "imagenette96-val.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        for name, data in (("val/a/good.jpg", _jpeg((1, 2, 3))), ("val/a/bad.jpg", b"garbage")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    with pytest.raises(DataError, match="bad.jpg|val/a"):
        load_image_dataset("imagenette", "val", root=tmp_path)


def test_official_cifar_python_release_is_read(tmp_path):
    import pickle

    rng = np.random.default_rng(0)
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:

        def add(name, obj):
            data = pickle.dumps(obj)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))

        add("batches.meta", {b"label_names": [b"a", b"b"]})
        rows = rng.integers(0, 255, (4, 3072), dtype=np.uint8)
        add("data_batch_1", {b"data": rows, b"labels": [0, 1, 1, 0]})
        add("test_batch", {b"data": rows[:2], b"labels": [1, 0]})
    ds = load_image_dataset("cifar10", "train", root=tmp_path)
    assert ds.images.shape == (4, 3, 32, 32) and ds.classes == ("a", "b")
    assert torch.equal(ds.images[1].reshape(-1), torch.from_numpy(rows[1]))


def test_spread_indices_are_even_and_complete():
    from neuroalign.data import spread_indices

    assert spread_indices(10, 3).tolist() == [0, 4, 9]
    assert spread_indices(5, None).tolist() == [0, 1, 2, 3, 4]
    assert spread_indices(5, 50).tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match=">= 1"):
        spread_indices(5, 0)


def _add(tf: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tf.addfile(info, io.BytesIO(data))


def test_malicious_pickle_in_a_cifar_release_is_refused_not_run(tmp_path):
    import pickle

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'pwned'}",))

    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        _add(tf, "cifar-10-batches-py/batches.meta", pickle.dumps(Exploit()))
    with pytest.raises(DataError, match=r"batches.meta: not a CIFAR-10 python batch .*os"):
        load_image_dataset("cifar10", "train", root=tmp_path)
    assert not (tmp_path / "pwned").exists()


def test_image_archives_in_a_data_root_are_bounded(tmp_path):
    """An imagenette96 archive holds 96x96 images: a 5 MB member is refused unread."""
    archive = tmp_path / "imagenette96-val.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        _add(tf, "val/a/good.jpg", _jpeg((1, 2, 3)))
        _add(tf, "val/a/huge.jpg", bytes(5_000_000))
    with pytest.raises(
        DataError, match=r"'val/a/huge.jpg' declares 5.0 MB .* 3925 images of 96x96"
    ):
        load_image_dataset("imagenette", "val", root=tmp_path)
