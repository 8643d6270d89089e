"""Training data sources: sharded epoch permutations, in-memory batches, ImageFolder trees
decoded in persistent workers (draft mode) or in batches on the device."""

from __future__ import annotations

import pytest
import torch

from neuroalign.train.sources import FolderSource, TensorSource, epoch_batches

# torchvision 0.29 marks its image decoders deprecated (TorchCodec succeeds them); they work
pytestmark = pytest.mark.filterwarnings("ignore:The image decoding:DeprecationWarning")


def test_epoch_batches_shard_like_a_distributed_sampler():
    one = epoch_batches(23, epoch=2, seed=5, batch_size=3)
    again = epoch_batches(23, epoch=2, seed=5, batch_size=3)
    assert torch.equal(torch.cat(one), torch.cat(again))  # deterministic
    assert len(one) == 7 and len(set(torch.cat(one).tolist())) == 21
    ranks = [torch.cat(epoch_batches(23, 2, 5, 3, rank=r, world=2)) for r in range(2)]
    assert len(ranks[0]) == len(ranks[1]) == 9
    assert not set(ranks[0].tolist()) & set(ranks[1].tolist())
    assert not torch.equal(torch.cat(epoch_batches(23, 3, 5, 3)), torch.cat(one))


def test_tensor_source_yields_the_batches_in_order():
    images = torch.arange(10, dtype=torch.uint8).view(10, 1, 1, 1).expand(10, 3, 2, 2)
    source = TensorSource(images, torch.arange(10) % 3, torch.device("cpu"))
    batches = epoch_batches(10, 0, seed=1, batch_size=4)
    got = list(source.epoch(batches[1:]))
    assert [b[:, 0, 0, 0].tolist() for b in got] == [batches[1].tolist()]
    assert source.labels(torch.tensor([4, 5])).tolist() == [1, 2]
    evaluated = list(source.images(torch.tensor([9, 0, 3]), batch_size=2))
    assert [b[:, 0, 0, 0].tolist() for b in evaluated] == [[9, 0], [3]]
    with pytest.raises(ValueError, match="uint8"):
        TensorSource(images.float(), None, torch.device("cpu"))


@pytest.fixture(scope="module")
def jpeg_tree(tmp_path_factory):
    """Two classes of smooth photographs-like JPEGs (and one PNG) of odd sizes."""
    from PIL import Image

    root = tmp_path_factory.mktemp("tree")
    yy, xx = torch.meshgrid(torch.linspace(0, 1, 150), torch.linspace(0, 1, 200), indexing="ij")
    for c, cls in enumerate(("cat", "dog")):
        (root / cls).mkdir()
        for i in range(5):
            rgb = torch.stack([xx * (i + 1) / 5, yy, (xx + yy + c) / 3], dim=-1)
            pixels = (rgb.clamp(0, 1) * 255).to(torch.uint8).numpy()
            image = Image.fromarray(pixels[: 120 + 6 * i])
            if i == 4:
                image.save(root / cls / f"{i}.png")
            else:
                image.save(root / cls / f"{i}.jpg", quality=95)
    return root


def test_folder_source_decodes_in_workers_or_on_the_device_alike(jpeg_tree):
    cpu = FolderSource.from_folder(jpeg_tree, 32, torch.device("cpu"), workers=0, decode="cpu")
    dev = FolderSource.from_folder(jpeg_tree, 32, torch.device("cpu"), workers=0, decode="device")
    assert len(cpu) == 10 and cpu.labels(torch.tensor([0, 9])).tolist() == [0, 1]
    idx = torch.arange(10)
    a = torch.cat(list(cpu.images(idx, batch_size=4)))
    b = torch.cat(list(dev.images(idx, batch_size=4)))
    assert a.shape == b.shape == (10, 3, 32, 32) and a.dtype == b.dtype == torch.uint8
    # PIL draft decoding + PIL resampling vs full libjpeg decoding + torch resampling
    assert (a.float() - b.float()).abs().mean() < 3.0
    assert torch.equal(a[4], b[4]) and torch.equal(a[9], b[9])  # the PNGs: decoded alike


def test_jpeg_bytes_cross_from_the_workers(jpeg_tree):
    """decode="device" with workers (the CUDA default): the workers send the files' bytes."""
    source = FolderSource.from_folder(
        jpeg_tree, 16, torch.device("cpu"), workers=1, decode="device"
    )
    batches = list(source.epoch(epoch_batches(len(source), 0, seed=0, batch_size=5)))
    assert [b.shape for b in batches] == [(5, 3, 16, 16)] * 2
    source.close()


def test_folder_source_keeps_its_workers_across_epochs(jpeg_tree):
    source = FolderSource.from_folder(jpeg_tree, 16, torch.device("cpu"), workers=1)
    loaders = []
    for epoch in range(2):
        batches = epoch_batches(len(source), epoch, seed=0, batch_size=4)
        images = list(source.epoch(batches))
        assert [len(b) for b in images] == [4, 4]
        loaders.append(source._loader._iterator)
    assert loaders[0] is loaders[1]  # the same worker processes served both epochs
    source.close()


@pytest.mark.gpu
def test_jpegs_decoded_on_the_gpu_match_the_cpu_workers(jpeg_tree):
    cpu = FolderSource.from_folder(jpeg_tree, 32, torch.device("cpu"), workers=0, decode="cpu")
    gpu = FolderSource.from_folder(jpeg_tree, 32, torch.device("cuda"), workers=2)
    assert gpu.decode == "device"  # the default on CUDA
    a = torch.cat(list(cpu.images(torch.arange(10), 4)))
    b = torch.cat(list(gpu.epoch(epoch_batches(10, 0, 0, 5))))
    order = torch.cat(epoch_batches(10, 0, 0, 5))
    assert b.device.type == "cuda" and (a[order].float() - b.cpu().float()).abs().mean() < 3.0
