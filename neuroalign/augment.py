"""SimCLR/BYOL augmentations applied on the device, in batches, every view with its own draw.

Chen et al. 2020 (SimCLR, "A Simple Framework for Contrastive Learning of Visual
Representations") and Grill et al. 2020 (BYOL) define the recipe: random resized crop (scale
0.08-1, aspect 3/4-4/3), horizontal flip, colour jitter (brightness, contrast, saturation, hue)
with probability 0.8, grayscale with probability 0.2, Gaussian blur and (ImageNet) solarize.
CLAMP (Zhang, Heeger & Martiniani 2025) uses the same pipeline with m views per image.

Instead of running torchvision transforms image by image in DataLoader workers, every
operation here is tensor math on a whole batch of ``n_views x B`` images on the images'
device: the crop + flip is one ``affine_grid``/``grid_sample`` (bilinear) that samples every
view straight from its source image, colour jitter / grayscale / solarize are per-image
arithmetic, the blur is one grouped separable convolution with a per-image kernel. The same
code runs on CPU and GPU.

Every random number of a call is drawn in one go where the generator lives. With a CPU
generator (the training loop's) each decision is known on the host, so an operation runs only
on the views it selects (a 10 % blur blurs 10 % of the views) and the call never waits for
the device (no host-device synchronisation); with a generator on the device the operations
run on every view and are selected with masks.

Views come out as float32 in [0, 1]; normalising them is the network's preprocessing
(:meth:`neuroalign.preprocessing.Preprocessing.normalize`, applied here when
``preprocessing=`` is given, so that the views can leave in bfloat16 / channels_last, ready for
the network).

Differences from torchvision, by design: colour-jitter sub-operations run in the fixed order
brightness, contrast, saturation, hue (torchvision shuffles them); the crop is resampled
bilinearly without anti-aliasing; an out-of-range crop aspect is clipped instead of re-drawn.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

if TYPE_CHECKING:
    from neuroalign.preprocessing import Preprocessing

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


class _Selection:
    """The views (out of n) that one random operation applies to.

    Drawn on the host: ``index`` holds the selected views (on the images' device) and ``count``
    their number, so only those views are computed. Drawn on the device: ``mask`` (n,) bool and
    the operation runs on every view, then ``torch.where`` keeps the selected ones.
    """

    def __init__(self, selected: torch.Tensor, device: torch.device) -> None:
        """``selected``: (n,) bool, on the CPU (the host path) or already on ``device``."""
        self.n = int(selected.numel())
        self.count: int | None = None
        self.index: torch.Tensor | None = None
        self.mask: torch.Tensor | None = None
        if selected.device.type == "cpu":
            index = selected.nonzero().squeeze(1)
            self.count, self.index = int(index.numel()), _to_device(index, device)
        else:
            self.mask = selected

    def apply(
        self,
        y: torch.Tensor,
        fn: Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor],
    ) -> torch.Tensor:
        """``y`` (n, 3, S, S) with ``fn(selected views, their index or None for all)`` written
        over the selected views; ``fn`` returns a new tensor and leaves its input alone."""
        if self.index is None:
            return torch.where(self.mask.view(-1, 1, 1, 1), fn(y, None), y)
        if self.count == 0:
            return y
        if self.count == self.n:
            return fn(y, None)
        return y.index_copy_(0, self.index, fn(y.index_select(0, self.index), self.index))


def _to_device(t: torch.Tensor, device: torch.device) -> torch.Tensor:
    """A host tensor on ``device`` without waiting for the device (pinned, non-blocking)."""
    if t.device == device:
        return t
    if device.type == "cuda":
        t = t.pin_memory()
    return t.to(device, non_blocking=True)


def _per_view(u: torch.Tensor, probs: Sequence[float], n_views: int) -> torch.Tensor:
    """Bernoulli draws (n,) from uniforms u (n,) with view ``a`` at probability
    ``probs[a % len(probs)]`` (view-major order), without building a tensor of probabilities."""
    rows = u.view(n_views, -1)
    return torch.stack([rows[a] < float(probs[a % len(probs)]) for a in range(n_views)]).flatten()


class _Draws:
    """Every random number of one :func:`augment_views` call, drawn in one ``torch.rand`` where
    the generator lives (n = m x B views, view-major: view ``a`` of image ``i`` is row
    ``a * B + i``), turned into crop matrices, factors and selections on the images' device.

    The uniforms are used in a fixed order (crop area, log aspect, centre x, centre y, flip,
    jitter, brightness, contrast, saturation, hue, grayscale, blur, blur sigma, solarize; the
    operations a recipe switches off are skipped), so a CPU generator reproduces earlier
    releases' views exactly.
    """

    def __init__(
        self,
        r: AugmentRecipe,
        n_views: int,
        batch: int,
        height: int,
        width: int,
        generator: torch.Generator | None,
        device: torch.device,
    ) -> None:
        n = n_views * batch
        names = ["area", "log_ratio", "cx", "cy", "flip", "jitter"]
        names += [k for k in ("brightness", "contrast", "saturation", "hue") if getattr(r, k) > 0]
        names += ["gray"] if r.gray_p > 0 else []
        names += ["blur", "sigma"] if max(r.blur_p) > 0 else []
        names += ["solarize"] if max(r.solarize_p) > 0 else []
        where = generator.device if generator is not None else torch.device("cpu")
        u = dict(zip(names, torch.rand(len(names), n, generator=generator, device=where)))

        def uniform(key: str, low: float, high: float) -> torch.Tensor:
            return u[key] * (high - low) + low

        # crops: area fraction and aspect, centre uniform over positions inside the image
        area = uniform("area", r.crop_scale[0], r.crop_scale[1])
        log_ratio = uniform("log_ratio", math.log(r.crop_ratio[0]), math.log(r.crop_ratio[1]))
        ratio = torch.exp(log_ratio) * (height / width)  # w/h in fractions of the image sides
        frac_w = torch.sqrt(area * ratio).clamp(max=1.0)
        frac_h = torch.sqrt(area / ratio).clamp(max=1.0)
        cx = (1 - frac_w) * (2 * u["cx"] - 1)
        cy = (1 - frac_h) * (2 * u["cy"] - 1)
        flip = torch.where(u["flip"] < r.flip_p, -1.0, 1.0)
        zero = torch.zeros_like(cx)
        columns = [frac_w * flip, zero, cx, zero, frac_h, cy]  # the affine matrices (n, 2, 3)
        factors = {}
        for key in ("brightness", "contrast", "saturation"):
            if key in u:
                amount = getattr(r, key)
                factors[key] = len(columns)
                columns.append(uniform(key, max(0.0, 1 - amount), 1 + amount))
        if "hue" in u:
            factors["hue"] = len(columns)
            columns.append(uniform("hue", -r.hue, r.hue))
        if "sigma" in u:
            factors["sigma"] = len(columns)
            columns.append(uniform("sigma", r.blur_sigma[0], r.blur_sigma[1]))
        values = _to_device(torch.stack(columns, dim=1), device)  # one transfer per call
        self.theta = values[:, :6].reshape(n, 2, 3)
        self.factor = {key: values[:, col] for key, col in factors.items()}
        self.jitter = _Selection(u["jitter"] < r.jitter_p, device)
        self.gray = _Selection(u["gray"] < r.gray_p, device) if "gray" in u else None
        self.blur = (
            _Selection(_per_view(u["blur"], r.blur_p, n_views), device) if "blur" in u else None
        )
        self.solarize = (
            _Selection(_per_view(u["solarize"], r.solarize_p, n_views), device)
            if "solarize" in u
            else None
        )


def _gray(x: torch.Tensor) -> torch.Tensor:
    """ITU-R 601 luma (N, 1, H, W) of RGB images (N, 3, H, W) in [0, 1]."""
    return (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]).contiguous()


def _adjust_hue(x: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Rotate the hue of RGB images (N, 3, H, W) in [0, 1] by ``shift`` (N,) turns, keeping
    HSV saturation and value (torchvision's ``adjust_hue``, up to rounding).

    Without a round trip through HSV: with ``M = max(r, g, b)``, ``C = M - min(r, g, b)`` and
    the hue ``h6`` in sextants [0, 6), channel c is ``M - C * clamp(min(k, 4 - k), 0, 1)`` with
    ``k = (n_c + h6) mod 6`` and n = 5, 3, 1 for r, g, b (the HSV -> RGB formula).
    """
    r, g, b = x.unbind(1)
    maxc = torch.maximum(torch.maximum(r, g), b)
    chroma = maxc - torch.minimum(torch.minimum(r, g), b)
    safe = chroma.clamp(min=1e-12)
    h6 = torch.where(
        maxc == r,
        (g - b) / safe,
        torch.where(maxc == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0),
    )
    h6 = h6.add_(6.0 * shift.view(-1, 1, 1)).remainder_(6.0)
    channels = []
    for n in (5.0, 3.0, 1.0):
        k = (h6 + n).remainder_(6.0)
        weight = torch.minimum(k, 4.0 - k).clamp_(0.0, 1.0)
        channels.append(maxc - chroma * weight)
    return torch.stack(channels, dim=1).clamp_(0.0, 1.0)


def _color_jitter(
    x: torch.Tensor, idx: torch.Tensor | None, r: AugmentRecipe, factor: dict[str, torch.Tensor]
) -> torch.Tensor:
    """Brightness, contrast, saturation, hue (in this order) of the views ``x`` (k, 3, S, S)
    whose rows in the batch are ``idx`` (all rows when ``None``); a new tensor."""

    def pick(key: str) -> torch.Tensor:
        value = factor[key] if idx is None else factor[key].index_select(0, idx)
        return value.view(-1, 1, 1, 1)

    y = x
    if r.brightness > 0:
        y = (y * pick("brightness")).clamp_(0, 1)
    if r.contrast > 0:
        mean = _gray(y).mean(dim=(1, 2, 3), keepdim=True)
        y = (y - mean).mul_(pick("contrast")).add_(mean).clamp_(0, 1)
    if r.saturation > 0:
        gray = _gray(y)
        y = (y - gray).mul_(pick("saturation")).add_(gray).clamp_(0, 1)
    if r.hue > 0:
        y = _adjust_hue(y, pick("hue").view(-1))
    return y if y is not x else x.clone()


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
    *,
    preprocessing: Preprocessing | None = None,
    dtype: torch.dtype = torch.float32,
    channels_last: bool = False,
) -> torch.Tensor:
    """``n_views`` independently augmented views of every image of a batch, in [0, 1].

    Args:
        images: uint8 (B, 3, H, W) on any device (or float in [0, 1]).
        n_views: views per image m (>= 1).
        recipe: ``"cifar10"``, ``"imagenet"`` or an :class:`AugmentRecipe`.
        out_size: output side S (default: the recipe's; 32 for CIFAR-10, 224 for ImageNet).
        generator: a ``torch.Generator`` for reproducible draws, on the CPU (recommended: only
            the selected views are blurred / solarized / greyed and nothing waits for the
            device) or on the images' device; ``None`` draws from torch's default CPU generator.
        preprocessing: normalise the views with ``preprocessing.normalize`` (the network's
            statistics) before they leave.
        dtype: floating dtype of the result (e.g. ``torch.bfloat16`` for a bf16 network).
        channels_last: lay the views out channels-last (``result.flatten(0, 1)`` is then a
            channels-last (m x B, 3, S, S) batch).

    Returns:
        (n_views, B, 3, S, S) on the images' device: in [0, 1], or normalised when
        ``preprocessing`` is given. View ``a`` of image ``i`` is ``out[a, i]``.
    """
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"images must be (B, 3, H, W), got shape {tuple(images.shape)}")
    if int(n_views) < 1:
        raise ValueError(f"n_views must be >= 1, got {n_views}")
    if not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating dtype, got {dtype}")
    r = get_recipe(recipe, out_size)
    m, (b, _, h, w) = int(n_views), images.shape
    device, n, size = images.device, int(n_views) * images.shape[0], r.out_size
    if generator is not None and generator.device.type != "cpu" and generator.device != device:
        raise ValueError(f"generator is on {generator.device} but images are on {device}")
    draws = _Draws(r, m, b, h, w, generator, device)
    x = images.to(torch.float32)
    if images.dtype == torch.uint8:
        x = x / 255.0
    # crop + flip: every view sampled straight from its source image. The grids of image i's
    # m views are stacked along the output height, so one grid_sample reads each source once.
    theta = draws.theta.view(m, b, 2, 3).transpose(0, 1).reshape(n, 2, 3)
    grid = F.affine_grid(theta, [n, 3, size, size], align_corners=False)
    y = F.grid_sample(
        x,
        grid.view(b, m * size, size, 2),
        mode="bilinear",
        padding_mode="border",
        align_corners=False,
    )
    y = y.view(b, 3, m, size, size).permute(2, 0, 1, 3, 4).reshape(n, 3, size, size)
    y = y.clamp_(0, 1)  # view-major (n, 3, S, S)
    y = draws.jitter.apply(y, lambda v, idx: _color_jitter(v, idx, r, draws.factor))
    if draws.gray is not None:
        y = draws.gray.apply(y, lambda v, _idx: _gray(v).expand_as(v).clone())
    if draws.blur is not None:
        sigma = draws.factor["sigma"]

        def blur(v: torch.Tensor, idx: torch.Tensor | None) -> torch.Tensor:
            s = sigma if idx is None else sigma.index_select(0, idx)
            return _gaussian_blur(v, s, r.blur_kernel).clamp_(0, 1)

        y = draws.blur.apply(y, blur)
    if draws.solarize is not None:
        y = draws.solarize.apply(y, lambda v, _idx: torch.where(v >= 0.5, 1.0 - v, v))
    if preprocessing is not None:
        y = preprocessing.normalize(y)
    if channels_last or dtype != y.dtype:
        memory_format = torch.channels_last if channels_last else torch.contiguous_format
        y = y.to(dtype=dtype, memory_format=memory_format)
    return y.view(m, b, 3, size, size)
