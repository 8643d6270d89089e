"""On-device batched augmentations: known answers, references, determinism."""

from __future__ import annotations

import colorsys
import dataclasses

import pytest
import torch

import neuroalign  # noqa: F401  (before torchvision)
from neuroalign.augment import (
    AugmentRecipe,
    _gaussian_blur,
    _hsv_to_rgb,
    _rgb_to_hsv,
    augment_views,
)

# a recipe that changes nothing: full crop, no flip, no colour ops
IDENTITY = AugmentRecipe(
    out_size=16,
    crop_scale=(1.0, 1.0),
    crop_ratio=(1.0, 1.0),
    flip_p=0.0,
    jitter_p=0.0,
    gray_p=0.0,
    blur_p=(0.0,),
    solarize_p=(0.0,),
)


def _images(n: int = 4, size: int = 16, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8, generator=gen)


def test_shapes_dtype_and_range():
    out = augment_views(_images(5, 32), n_views=3, recipe="cifar10")
    assert out.shape == (3, 5, 3, 32, 32) and out.dtype == torch.float32
    assert torch.isfinite(out).all()
    assert out.min() >= 0.0 and out.max() <= 1.0  # normalising is the network's preprocessing
    resized = augment_views(_images(2, 32), 2, "imagenet", out_size=24)
    assert resized.shape == (2, 2, 3, 24, 24)


def test_identity_recipe_returns_the_image():
    imgs = _images()
    out = augment_views(imgs, 2, IDENTITY)
    expected = imgs.float() / 255
    assert torch.allclose(out[0], expected, atol=1e-5) and torch.allclose(
        out[1], expected, atol=1e-5
    )


def test_flip_and_solarize_and_grayscale_known_answers():
    imgs = _images()
    x = imgs.float() / 255
    flipped = augment_views(imgs, 1, dataclasses.replace(IDENTITY, flip_p=1.0))[0]
    assert torch.allclose(flipped, x.flip(-1), atol=1e-5)
    sol = augment_views(imgs, 2, dataclasses.replace(IDENTITY, solarize_p=(0.0, 1.0)))
    assert torch.allclose(sol[0], x, atol=1e-5)  # view 0: p = 0, view 1: p = 1
    assert torch.allclose(sol[1], torch.where(x >= 0.5, 1 - x, x), atol=1e-5)
    gray = augment_views(imgs, 1, dataclasses.replace(IDENTITY, gray_p=1.0))[0]
    luma = 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    for c in range(3):
        assert torch.allclose(gray[:, c], luma, atol=1e-5)


def test_seeded_generator_is_deterministic_and_views_differ():
    imgs = _images(4, 32)
    a = augment_views(imgs, 4, "cifar10", generator=torch.Generator().manual_seed(7))
    b = augment_views(imgs, 4, "cifar10", generator=torch.Generator().manual_seed(7))
    c = augment_views(imgs, 4, "cifar10", generator=torch.Generator().manual_seed(8))
    assert torch.equal(a, b) and not torch.equal(a, c)
    for i in range(4):
        for j in range(i + 1, 4):  # every pair of views of every image differs
            assert (a[i] - a[j]).flatten(1).abs().amax(1).min() > 1e-3


def test_hsv_conversion_matches_colorsys():
    gen = torch.Generator().manual_seed(3)
    rgb = torch.rand(1, 3, 5, 7, generator=gen)
    ours = _rgb_to_hsv(rgb)
    for y in range(5):
        for x in range(7):
            ref = colorsys.rgb_to_hsv(*rgb[0, :, y, x].tolist())
            assert torch.allclose(ours[0, :, y, x], torch.tensor(ref), atol=1e-5)
    assert torch.allclose(_hsv_to_rgb(ours), rgb, atol=1e-5)


def test_blur_matches_torchvision_per_image_sigma():
    import torchvision.transforms.functional as TF

    x = torch.rand(3, 3, 20, 20, generator=torch.Generator().manual_seed(0))
    sigmas = torch.tensor([0.3, 1.0, 2.0])
    ours = _gaussian_blur(x, sigmas, kernel=7)
    for i, s in enumerate(sigmas.tolist()):
        ref = TF.gaussian_blur(x[i : i + 1], kernel_size=[7, 7], sigma=[s, s])
        assert torch.allclose(ours[i : i + 1], ref, atol=1e-5)
    const = torch.full((2, 3, 9, 9), 0.4)
    assert torch.allclose(_gaussian_blur(const, torch.tensor([1.0, 2.0]), 5), const)


def test_bad_input():
    with pytest.raises(ValueError, match="B, 3, H, W"):
        augment_views(torch.zeros(2, 1, 8, 8, dtype=torch.uint8), 2)
    with pytest.raises(ValueError, match="n_views"):
        augment_views(_images(), 0)
    with pytest.raises(ValueError, match="recipe"):
        augment_views(_images(), 2, "mnist")


@pytest.mark.gpu
def test_cuda_views_stay_on_the_device_and_match_cpu_statistics():
    imgs = _images(64, 32)
    gen = torch.Generator(device="cuda").manual_seed(0)
    out = augment_views(imgs.cuda(), 4, "cifar10", generator=gen)
    assert out.device.type == "cuda" and out.shape == (4, 64, 3, 32, 32)
    cpu = augment_views(imgs, 4, "cifar10", generator=torch.Generator().manual_seed(0))
    assert abs(float(out.mean()) - float(cpu.mean())) < 0.1
    with pytest.raises(ValueError, match="generator"):
        augment_views(imgs, 2, generator=gen)
