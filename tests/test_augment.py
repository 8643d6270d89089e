"""On-device batched augmentations: known answers, torchvision references, the statistics of
every random decision, determinism, output formats."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from neuroalign.augment import (
    RECIPES,
    AugmentRecipe,
    _adjust_hue,
    _Draws,
    _gaussian_blur,
    _Selection,
    augment_views,
    get_recipe,
)
from neuroalign.preprocessing import Preprocessing

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


def test_hue_rotation_matches_torchvision():
    from torchvision.transforms.v2 import functional as tvf

    gen = torch.Generator().manual_seed(3)
    rgb = torch.rand(5, 3, 6, 7, generator=gen)
    rgb[0, :, 0, 0] = 0.5  # a gray pixel (no hue) and a pure red one
    rgb[0, :, 0, 1] = torch.tensor([1.0, 0.0, 0.0])
    shifts = torch.tensor([-0.5, -0.2, 0.0, 0.13, 0.5])
    ours = _adjust_hue(rgb, shifts)
    for i, shift in enumerate(shifts.tolist()):
        ref = tvf.adjust_hue(rgb[i], shift)
        assert torch.allclose(ours[i], ref, atol=1e-5), shift
    assert torch.allclose(_adjust_hue(rgb, torch.zeros(5)), rgb, atol=1e-6)


def _only(**changes) -> AugmentRecipe:
    """The identity recipe with only ``changes`` switched on."""
    off = dict(brightness=0.0, contrast=0.0, saturation=0.0, hue=0.0)
    return dataclasses.replace(IDENTITY, **{**off, **changes})


@pytest.mark.parametrize(
    ("name", "recipe", "reference"),
    [
        ("brightness", _only(jitter_p=1.0, brightness=0.8), "adjust_brightness"),
        ("contrast", _only(jitter_p=1.0, contrast=0.8), "adjust_contrast"),
        ("saturation", _only(jitter_p=1.0, saturation=0.8), "adjust_saturation"),
        ("hue", _only(jitter_p=1.0, hue=0.4), "adjust_hue"),
    ],
)
def test_each_colour_operation_matches_torchvision_with_the_drawn_factor(name, recipe, reference):
    from torchvision.transforms.v2 import functional as tvf

    imgs = _images(6)
    views = augment_views(imgs, 2, recipe, generator=torch.Generator().manual_seed(4))
    draws = _Draws(recipe, 2, 6, 16, 16, torch.Generator().manual_seed(4), torch.device("cpu"))
    factors = draws.factor[name].view(2, 6)
    x = imgs.float() / 255
    for a in range(2):
        for i in range(6):
            expected = getattr(tvf, reference)(x[i], float(factors[a, i]))
            # torchvision's float luma weighs red 0.2989 where ITU-R 601 (ours) says 0.299
            assert torch.allclose(views[a, i], expected, atol=3e-4), (name, a, i)


def test_blur_uses_the_drawn_sigma_and_only_the_selected_views():
    from torchvision.transforms.v2 import functional as tvf

    recipe = _only(blur_p=(1.0, 0.0, 0.5), blur_kernel=5)
    imgs = _images(8)
    views = augment_views(imgs, 3, recipe, generator=torch.Generator().manual_seed(2))
    draws = _Draws(recipe, 3, 8, 16, 16, torch.Generator().manual_seed(2), torch.device("cpu"))
    sigma = draws.factor["sigma"].view(3, 8)
    blurred = torch.zeros(3 * 8, dtype=torch.bool)
    blurred[draws.blur.index] = True
    blurred = blurred.view(3, 8)
    assert blurred[0].all() and not blurred[1].any()  # p = 1 and p = 0 views
    x = imgs.float() / 255
    for a in range(3):
        for i in range(8):
            s = float(sigma[a, i])
            ref = tvf.gaussian_blur(x[i], [5, 5], [s, s]) if blurred[a, i] else x[i]
            assert torch.allclose(views[a, i], ref, atol=1e-5), (a, i)


def test_decisions_have_the_recipe_probabilities():
    """Every random decision of the ImageNet recipe at the rate the recipe gives it (4 sigma)."""
    m, b = 4, 5000
    r = RECIPES["imagenet"]
    draws = _Draws(r, m, b, 64, 64, torch.Generator().manual_seed(0), torch.device("cpu"))

    def rate_per_view(selection: _Selection) -> list[float]:
        chosen = torch.zeros(m * b)
        chosen[selection.index] = 1.0
        return chosen.view(m, b).mean(1).tolist()

    def close(rate: float, p: float) -> bool:
        return abs(rate - p) <= 4 * math.sqrt(p * (1 - p) / b) + 1e-9

    for rate, p in zip(rate_per_view(draws.blur), (1.0, 0.1, 1.0, 0.1), strict=True):
        assert close(rate, p)
    for rate, p in zip(rate_per_view(draws.solarize), (0.0, 0.2, 0.0, 0.2), strict=True):
        assert close(rate, p)
    assert all(close(rate, 0.8) for rate in rate_per_view(draws.jitter))
    assert all(close(rate, 0.2) for rate in rate_per_view(draws.gray))
    theta = draws.theta
    assert close(float((theta[:, 0, 0] < 0).float().mean()), 0.5)  # flips
    # crop sides: w * h = area ~ U(0.08, 1) wherever no side was clipped at the full image
    w, h = theta[:, 0, 0].abs(), theta[:, 1, 1]
    inside = (w < 1) & (h < 1)
    area = (w * h)[inside]
    assert area.min() >= 0.08 - 1e-6 and area.max() <= 1.0
    assert abs(float((w / h)[inside].log().mean())) < 0.02  # log aspect centred on 1
    factors = draws.factor
    for key, amount in (("brightness", 0.4), ("contrast", 0.4), ("saturation", 0.2)):
        assert factors[key].min() >= 1 - amount and factors[key].max() <= 1 + amount
        assert abs(float(factors[key].mean()) - 1.0) < 0.01
    assert factors["hue"].abs().max() <= 0.1 and abs(float(factors["hue"].mean())) < 0.005
    assert factors["sigma"].min() >= 0.1 and factors["sigma"].max() <= 2.0


def test_device_masks_and_host_indices_select_the_same_views():
    y = torch.rand(6, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    chosen = torch.tensor([True, False, True, True, False, False])
    host = _Selection(chosen, torch.device("cpu"))
    masked = _Selection(chosen, torch.device("cpu"))
    masked.index, masked.mask = None, chosen  # as if drawn on the device
    out_host = host.apply(y.clone(), lambda v, _idx: 1.0 - v)
    out_mask = masked.apply(y.clone(), lambda v, _idx: 1.0 - v)
    assert torch.equal(out_host, out_mask)
    assert torch.equal(out_host[1], y[1]) and torch.equal(out_host[0], 1.0 - y[0])


def test_normalised_bf16_channels_last_views_are_the_same_views():
    imgs = _images(4, 32)
    prep = Preprocessing.named("imagenet", 24, 24)
    plain = augment_views(imgs, 3, "imagenet", 24, torch.Generator().manual_seed(1))
    fast = augment_views(
        imgs,
        3,
        "imagenet",
        24,
        torch.Generator().manual_seed(1),
        preprocessing=prep,
        dtype=torch.bfloat16,
        channels_last=True,
    )
    assert fast.dtype == torch.bfloat16 and fast.shape == plain.shape
    batch = fast.flatten(0, 1)
    assert batch.is_contiguous(memory_format=torch.channels_last)
    expected = prep.normalize(plain).to(torch.bfloat16)
    assert torch.equal(fast, expected)
    assert get_recipe("imagenet", 24).blur_kernel == 3  # scaled with the output side


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
    with pytest.raises(ValueError, match="floating"):
        augment_views(_images(), 2, dtype=torch.uint8)


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


@pytest.mark.gpu
def test_cuda_views_from_a_cpu_generator_equal_the_cpu_views():
    """Draws made on the host: the GPU computes the very views the CPU computes."""
    imgs = _images(16, 64)
    cpu = augment_views(imgs, 4, "imagenet", 56, torch.Generator().manual_seed(3))
    cuda = augment_views(imgs.cuda(), 4, "imagenet", 56, torch.Generator().manual_seed(3))
    assert cuda.device.type == "cuda"
    assert torch.allclose(cuda.cpu(), cpu, atol=1e-4)
