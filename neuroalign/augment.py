"""SimCLR/BYOL augmentations applied on the device, in batches, every view with its own draw.

Chen et al. 2020 (SimCLR, "A Simple Framework for Contrastive Learning of Visual
Representations") and Grill et al. 2020 (BYOL) define the recipe: random resized crop (scale
0.08-1, aspect 3/4-4/3), horizontal flip, colour jitter (brightness, contrast, saturation, hue)
with probability 0.8, grayscale with probability 0.2, Gaussian blur and (ImageNet) solarize.
CLAMP (Zhang, Heeger & Martiniani 2025) uses the same pipeline with m views per image.

Instead of running torchvision transforms image by image in DataLoader workers, every
operation here is tensor math on a whole batch of ``n_views x B`` images on the images'
device: the crop + flip is one ``affine_grid``/``grid_sample`` (bilinear) with a per-image
affine matrix, colour jitter / grayscale / solarize are per-image arithmetic selected with
masks, the blur is one grouped separable convolution with a per-image kernel. The same code
runs on CPU and GPU.

Views come out as float32 in [0, 1]; normalising them is the network's preprocessing
(:meth:`neuroalign.preprocessing.Preprocessing.normalize`), so the same views serve any model.

Differences from torchvision, by design: colour-jitter sub-operations run in the fixed order
brightness, contrast, saturation, hue (torchvision shuffles them); the crop is resampled
bilinearly without anti-aliasing; an out-of-range crop aspect is clipped instead of re-drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import torch
import torch.nn.functional as F

__all__ = ["RECIPES", "AugmentRecipe", "augment_views", "get_recipe"]


@dataclass(frozen=True)
class AugmentRecipe:
    """Parameters of one augmentation pipeline.

    Per-view probabilities (``blur_p``, ``solarize_p``) are tuples cycled over the views:
    view ``a`` uses entry ``a % len``, which reproduces BYOL's asymmetric pair
    (blur 1.0 / 0.1, solarize 0.0 / 0.2).
    """

    out_size: int = field(default=32, metadata={"help": "output side in pixels"})
    crop_scale: tuple[float, float] = (0.08, 1.0)
    crop_ratio: tuple[float, float] = (3 / 4, 4 / 3)
    flip_p: float = 0.5
    jitter_p: float = 0.8
    brightness: float = 0.4
    contrast: float = 0.4
    saturation: float = 0.4
    hue: float = 0.1
    gray_p: float = 0.2
    blur_p: tuple[float, ...] = (0.0,)
    blur_kernel: int = 3
    blur_sigma: tuple[float, float] = (0.1, 2.0)
    solarize_p: tuple[float, ...] = (0.0,)


#: The recipes of the CLAMP reference configurations (CIFAR-10 and ImageNet).
RECIPES: dict[str, AugmentRecipe] = {
    "cifar10": AugmentRecipe(
        out_size=32,
        brightness=0.8,
        contrast=0.8,
        saturation=0.8,
        hue=0.2,
        blur_p=(0.5,),
        blur_kernel=3,
    ),
    "imagenet": AugmentRecipe(
        out_size=224,
        brightness=0.4,
        contrast=0.4,
        saturation=0.2,
        hue=0.1,
        blur_p=(1.0, 0.1),
        blur_kernel=23,
        solarize_p=(0.0, 0.2),
    ),
}


def get_recipe(recipe: str | AugmentRecipe, out_size: int | None = None) -> AugmentRecipe:
    """A recipe by name (``"cifar10"``, ``"imagenet"``) or as given, optionally resized.

    For ImageNet-style recipes the blur kernel is scaled with the output (23 px at 224 px,
    i.e. about 10 % of the side, forced odd).
    """
    if isinstance(recipe, str):
        if recipe not in RECIPES:
            raise ValueError(f"unknown augmentation recipe {recipe!r}; valid: {sorted(RECIPES)}")
        base = RECIPES[recipe]
    else:
        base = recipe
    if out_size is not None and int(out_size) != base.out_size:
        out_size = int(out_size)
        if out_size < 4:
            raise ValueError(f"out_size must be >= 4 pixels, got {out_size}")
        kernel = base.blur_kernel
        if base.blur_kernel > 3:
            kernel = max(3, round(base.blur_kernel * out_size / base.out_size) | 1)
        base = replace(base, out_size=out_size, blur_kernel=kernel)
    return base


def _uniform(n: int, low: float, high: float, gen, device) -> torch.Tensor:
    return torch.rand(n, generator=gen, device=device) * (high - low) + low


def _bernoulli(p: torch.Tensor | float, n: int, gen, device) -> torch.Tensor:
    return torch.rand(n, generator=gen, device=device) < p


def _crop_flip_theta(
    n: int, height: int, width: int, r: AugmentRecipe, gen, device
) -> torch.Tensor:
    """Affine matrices (n, 2, 3) of random resized crops (+ flips) in normalised coordinates."""
    area = _uniform(n, r.crop_scale[0], r.crop_scale[1], gen, device)
    log_ratio = _uniform(n, math.log(r.crop_ratio[0]), math.log(r.crop_ratio[1]), gen, device)
    ratio = torch.exp(log_ratio) * (height / width)  # w/h in fractions of the image sides
    frac_w = torch.sqrt(area * ratio).clamp(max=1.0)
    frac_h = torch.sqrt(area / ratio).clamp(max=1.0)
    # centre of the crop, uniform over positions that keep it inside the image
    cx = (1 - frac_w) * (2 * torch.rand(n, generator=gen, device=device) - 1)
    cy = (1 - frac_h) * (2 * torch.rand(n, generator=gen, device=device) - 1)
    flip = torch.where(_bernoulli(r.flip_p, n, gen, device), -1.0, 1.0)
    theta = torch.zeros(n, 2, 3, device=device)
    theta[:, 0, 0] = frac_w * flip
    theta[:, 0, 2] = cx
    theta[:, 1, 1] = frac_h
    theta[:, 1, 2] = cy
    return theta


def _gray(x: torch.Tensor) -> torch.Tensor:
    """ITU-R 601 luma (N, 1, H, W) of RGB images (N, 3, H, W) in [0, 1]."""
    return (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]).contiguous()


def _rgb_to_hsv(x: torch.Tensor) -> torch.Tensor:
    r, g, b = x.unbind(1)
    maxc, _ = x.max(dim=1)
    minc, _ = x.min(dim=1)
    delta = maxc - minc
    v = maxc
    s = torch.where(maxc > 0, delta / maxc.clamp(min=1e-12), torch.zeros_like(maxc))
    safe = delta.clamp(min=1e-12)
    rc, gc, bc = (maxc - r) / safe, (maxc - g) / safe, (maxc - b) / safe
    h = torch.where(maxc == r, bc - gc, torch.where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc))
    h = torch.where(delta > 0, (h / 6.0) % 1.0, torch.zeros_like(h))
    return torch.stack((h, s, v), dim=1)


def _hsv_to_rgb(x: torch.Tensor) -> torch.Tensor:
    h, s, v = x.unbind(1)
    i = torch.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.long() % 6
    p = v * (1 - s)
    q = v * (1 - s * f)
    t = v * (1 - s * (1 - f))
    # rows: sector 0..5 -> (r, g, b)
    table_r = torch.stack((v, q, p, p, t, v), dim=1)
    table_g = torch.stack((t, v, v, q, p, p), dim=1)
    table_b = torch.stack((p, p, t, v, v, q), dim=1)
    idx = i.unsqueeze(1)
    return torch.cat(
        (table_r.gather(1, idx), table_g.gather(1, idx), table_b.gather(1, idx)), dim=1
    )


def _view_prob(probs: Sequence[float], n_views: int, batch: int, device) -> torch.Tensor:
    per_view = torch.tensor([probs[a % len(probs)] for a in range(n_views)], device=device)
    return per_view.repeat_interleave(batch)


def _color_jitter(x: torch.Tensor, r: AugmentRecipe, gen) -> torch.Tensor:
    n, device = x.shape[0], x.device
    apply = _bernoulli(r.jitter_p, n, gen, device).view(n, 1, 1, 1)

    def factor(amount: float) -> torch.Tensor:
        return _uniform(n, max(0.0, 1 - amount), 1 + amount, gen, device).view(n, 1, 1, 1)

    y = x
    if r.brightness > 0:
        y = (y * factor(r.brightness)).clamp(0, 1)
    if r.contrast > 0:
        mean = _gray(y).mean(dim=(1, 2, 3), keepdim=True)
        y = ((y - mean) * factor(r.contrast) + mean).clamp(0, 1)
    if r.saturation > 0:
        gray = _gray(y)
        y = ((y - gray) * factor(r.saturation) + gray).clamp(0, 1)
    if r.hue > 0:
        shift = _uniform(n, -r.hue, r.hue, gen, device).view(n, 1, 1)
        hsv = _rgb_to_hsv(y)
        hsv = torch.stack(((hsv[:, 0] + shift) % 1.0, hsv[:, 1], hsv[:, 2]), dim=1)
        y = _hsv_to_rgb(hsv).clamp(0, 1)
    return torch.where(apply, y, x)


def _gaussian_blur(x: torch.Tensor, sigma: torch.Tensor, kernel: int) -> torch.Tensor:
    """Blur each image (N, C, H, W) with its own sigma (N,): separable grouped convolution."""
    n, c, h, w = x.shape
    half = kernel // 2
    offsets = torch.arange(-half, half + 1, device=x.device, dtype=x.dtype)
    weights = torch.exp(-(offsets[None, :] ** 2) / (2 * sigma[:, None] ** 2))
    weights = weights / weights.sum(dim=1, keepdim=True)  # (N, K)
    weights = weights.repeat_interleave(c, dim=0)  # (N*C, K)
    pad_mode = "reflect" if half < min(h, w) else "replicate"
    y = x.reshape(1, n * c, h, w)
    y = F.pad(y, (half, half, 0, 0), mode=pad_mode)
    y = F.conv2d(y, weights.view(n * c, 1, 1, kernel), groups=n * c)
    y = F.pad(y, (0, 0, half, half), mode=pad_mode)
    y = F.conv2d(y, weights.view(n * c, 1, kernel, 1), groups=n * c)
    return y.view(n, c, h, w)


def augment_views(
    images: torch.Tensor,
    n_views: int,
    recipe: str | AugmentRecipe = "cifar10",
    out_size: int | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """``n_views`` independently augmented views of every image of a batch, in [0, 1].

    Args:
        images: uint8 (B, 3, H, W) on any device (or float in [0, 1]).
        n_views: views per image m (>= 1).
        recipe: ``"cifar10"``, ``"imagenet"`` or an :class:`AugmentRecipe`.
        out_size: output side S (default: the recipe's; 32 for CIFAR-10, 224 for ImageNet).
        generator: a ``torch.Generator`` on the images' device for reproducible draws.

    Returns:
        float32 (n_views, B, 3, S, S) in [0, 1] on the images' device (normalise with the
        network's :class:`~neuroalign.preprocessing.Preprocessing`). View ``a`` of image ``i``
        is ``out[a, i]``.
    """
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"images must be (B, 3, H, W), got shape {tuple(images.shape)}")
    if int(n_views) < 1:
        raise ValueError(f"n_views must be >= 1, got {n_views}")
    r = get_recipe(recipe, out_size)
    m, (b, _, h, w) = int(n_views), images.shape
    device, n, size = images.device, int(n_views) * images.shape[0], r.out_size
    if generator is not None and generator.device != device:
        raise ValueError(f"generator is on {generator.device} but images are on {device}")
    x = images.float()
    if images.dtype == torch.uint8:
        x = x / 255.0
    # crop + flip: one resampling of the repeated batch (view-major order)
    theta = _crop_flip_theta(n, h, w, r, generator, device)
    grid = F.affine_grid(theta, [n, 3, size, size], align_corners=False)
    source = x.unsqueeze(0).expand(m, b, 3, h, w).reshape(n, 3, h, w)
    y = F.grid_sample(source, grid, mode="bilinear", padding_mode="border", align_corners=False)
    y = y.clamp(0, 1)
    y = _color_jitter(y, r, generator)
    if r.gray_p > 0:
        to_gray = _bernoulli(r.gray_p, n, generator, device).view(n, 1, 1, 1)
        y = torch.where(to_gray, _gray(y).expand_as(y), y)
    if max(r.blur_p) > 0:
        do_blur = _bernoulli(_view_prob(r.blur_p, m, b, device), n, generator, device)
        sigma = _uniform(n, r.blur_sigma[0], r.blur_sigma[1], generator, device)
        blurred = _gaussian_blur(y, sigma, r.blur_kernel).clamp(0, 1)
        y = torch.where(do_blur.view(n, 1, 1, 1), blurred, y)
    if max(r.solarize_p) > 0:
        do_sol = _bernoulli(_view_prob(r.solarize_p, m, b, device), n, generator, device)
        y = torch.where(do_sol.view(n, 1, 1, 1) & (y >= 0.5), 1.0 - y, y)
    return y.view(m, b, 3, size, size)
