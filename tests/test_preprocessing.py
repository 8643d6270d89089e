"""The one preprocessing path: geometry (resize / crop) and normalisation, known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neuroalign.errors import DataError
from neuroalign.preprocessing import IMAGENET_MEAN, IMAGENET_STD, Preprocessing


def _images(n: int = 2, h: int = 40, w: int = 52, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 3, h, w), dtype=torch.uint8, generator=gen)


def test_resize_shorter_side_then_centre_crop_known_answer():
    img = torch.zeros(1, 3, 8, 8, dtype=torch.uint8)
    img[..., 2:6, 2:6] = 255  # a white centre square
    prep = Preprocessing(image_size=4, resize=8, mean=(0, 0, 0), std=(1, 1, 1))
    out = prep(img)
    assert out.shape == (1, 3, 4, 4) and torch.equal(out, torch.ones(1, 3, 4, 4))
    geometry = Preprocessing(image_size=12, resize=16).resize_crop(_images(1, 20, 30))
    assert geometry.shape == (1, 3, 12, 12) and geometry.dtype == torch.uint8


def test_full_field_resizes_the_whole_image_without_cropping():
    img = torch.zeros(1, 3, 10, 20, dtype=torch.uint8)
    img[..., :, :2] = 255  # a white left border survives only without a crop
    prep = Preprocessing(image_size=10, resize=10)
    cropped, full = prep.resize_crop(img), prep.full_field().resize_crop(img)
    assert cropped.shape == full.shape == (1, 3, 10, 10)
    assert cropped[..., 0].max() == 0 and full[..., 0].min() > 128  # the border is kept
    assert prep.full_field().resize is None and prep.full_field().image_size == 10


def test_images_with_the_target_geometry_are_not_resampled():
    imgs = _images(3, 16, 16)
    assert Preprocessing(image_size=16, resize=16).resize_crop(imgs) is imgs
    assert Preprocessing(image_size=16, resize=None).resize_crop(imgs) is imgs


def test_tensor_and_pil_paths_agree_with_torchvision_on_pil():
    from PIL import Image
    from torchvision import transforms
    from torchvision.transforms.v2 import functional as tvf

    arr = np.asarray(_images(1, 112, 112)[0].permute(1, 2, 0))
    pil = Image.fromarray(arr)
    for prep in (Preprocessing(224, None), Preprocessing(224, 256)):
        ref = transforms.Compose(
            [transforms.Resize(prep.resize or (224, 224)), transforms.CenterCrop(224)]
        )(pil)
        ref = tvf.pil_to_tensor(ref)
        assert torch.equal(tvf.pil_to_tensor(prep.resize_crop(pil)), ref)  # PIL: exact
        # upsampling: torchvision's uint8 tensor kernel gives PIL's pixels
        assert torch.equal(prep.resize_crop(tvf.pil_to_tensor(pil)), ref)


def test_normalise_matches_to_tensor_and_normalize():
    from torchvision import transforms

    imgs = _images(2, 8, 8)
    out = Preprocessing(image_size=8, resize=8)(imgs)
    ref = transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)(imgs.float() / 255)
    assert out.dtype == torch.float32 and torch.allclose(out, ref, atol=1e-6)


def test_dict_round_trip_named_statistics_and_description():
    prep = Preprocessing.named("cifar10", 32, 32)
    assert Preprocessing.from_dict(prep.to_dict()) == prep
    assert Preprocessing.from_dict(Preprocessing(64, None).to_dict()).resize is None
    assert "cifar10 mean/std" in prep.describe()
    assert "no crop" in Preprocessing(224, None).describe()
    assert "centre-crop 224" in Preprocessing().describe()


def test_bad_values_raise_clear_errors():
    with pytest.raises(ValueError, match="resize"):
        Preprocessing(image_size=10, resize=8)
    with pytest.raises(ValueError, match="positive"):
        Preprocessing(image_size=0)
    with pytest.raises(ValueError, match="std"):
        Preprocessing(std=(0.0, 1.0, 1.0))
    with pytest.raises(ValueError, match="normalization"):
        Preprocessing.named("mnist", 28)
    with pytest.raises(DataError, match="unknown preprocessing keys"):
        Preprocessing.from_dict({"image_size": 8, "crop": 4})
    with pytest.raises(ValueError, match="uint8"):
        Preprocessing()(torch.zeros(1, 3, 8, 8))
    with pytest.raises(ValueError, match="shape"):
        Preprocessing().resize_crop(torch.zeros(1, 4, 8, 8, dtype=torch.uint8))
