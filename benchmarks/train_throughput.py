"""Throughput of CLAMP training: on-device batched augmentation vs per-image torchvision.

Anchor: the per-image pipeline of the CLAMP reference and of SimCLR-style repositories
(solo-learn, the reference's albumentations/torchvision transforms): each view of each image
goes through ``torchvision.transforms.v2`` (RandomResizedCrop, flip, ColorJitter p=0.8,
grayscale p=0.2, Gaussian blur, solarize on ImageNet), normally inside DataLoader workers.
Ours: :func:`neuroalign.augment.augment_views`, all m x B views at once on the device.

For each configuration the script times whole CLAMP training steps (augmentation, forward,
loss, backward, LARS step) with both augmentation paths in the same process, and reports
view-images/s, the ratio, and where the time of our step goes (augmentation + loss vs
forward/backward). Real CIFAR-10 / Imagenette images are used when the data mirror is
reachable (``$NEUROALIGN_MIRROR``), random uint8 images otherwise.

Examples::

    python benchmarks/train_throughput.py                      # the CPU figures in results/
    python benchmarks/train_throughput.py --device cuda --configs resnet50:224:128:4 \
        --steps 20 --warmup 5                                  # the H100 target (> 3000 /s)
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import PROVISIONAL, load, results_path, speed_summary

from neuroalign.augment import augment_views, get_recipe
from neuroalign.backbones import create_ssl_model
from neuroalign.io import atomic_write
from neuroalign.losses import create_loss
from neuroalign.preprocessing import Preprocessing
from neuroalign.train.optim import LARS, lars_param_groups

RESULTS = Path(__file__).resolve().parent / "results" / "train_throughput.md"
NO_GPU_NOTE = (
    "No GPU was available for this run, so the GPU figure (ResNet-50, 224 px, target > 3000 "
    "view-images/s on one H100) is not measured here; reproduce it with `python "
    "benchmarks/train_throughput.py --device cuda --configs resnet50:224:128:4 --steps 20 "
    "--warmup 5`. On CPU the convolutions dominate, so the step ratio is close to 1 and the "
    "augmentation ratio (per core) is the figure to read; on a GPU the per-image anchor would "
    "need many DataLoader workers to keep up while the batched path stays on the device."
)


@dataclass(frozen=True)
class Config:
    arch: str
    size: int
    batch: int
    views: int

    @property
    def cifar(self) -> bool:
        return self.arch == "resnet18" and self.size <= 32

    @classmethod
    def parse(cls, text: str) -> Config:
        arch, size, batch, views = text.split(":")
        return cls(arch, int(size), int(batch), int(views))


def torchvision_pipeline(recipe):
    """The per-image anchor pipeline with the same parameters as ``recipe``."""
    from torchvision.transforms import v2

    ops = [
        v2.RandomResizedCrop(
            recipe.out_size, scale=recipe.crop_scale, ratio=recipe.crop_ratio, antialias=True
        ),
        v2.RandomHorizontalFlip(recipe.flip_p),
        v2.RandomApply(
            [v2.ColorJitter(recipe.brightness, recipe.contrast, recipe.saturation, recipe.hue)],
            p=recipe.jitter_p,
        ),
        v2.RandomGrayscale(recipe.gray_p),
    ]
    blur_p = max(recipe.blur_p)
    if blur_p > 0:
        ops.append(
            v2.RandomApply([v2.GaussianBlur(recipe.blur_kernel, recipe.blur_sigma)], p=blur_p)
        )
    sol_p = max(recipe.solarize_p)
    if sol_p > 0:
        ops.append(v2.RandomSolarize(threshold=128, p=sol_p))
    ops += [v2.ToDtype(torch.float32, scale=True)]  # views in [0, 1], as augment_views
    return v2.Compose(ops)


def anchor_views(images: torch.Tensor, n_views: int, pipeline) -> torch.Tensor:
    """Per-image, per-view torchvision augmentation (what DataLoader workers do), stacked."""
    cpu = images.cpu()
    views = [torch.stack([pipeline(img) for img in cpu]) for _ in range(n_views)]
    return torch.stack(views).to(images.device, non_blocking=True)


def load_images(cfg: Config, n: int) -> tuple[torch.Tensor, str]:
    try:
        from neuroalign.data import load_image_dataset

        name = "cifar10" if cfg.cifar else "imagenette"
        ds = load_image_dataset(name, "train")
        idx = torch.linspace(0, len(ds) - 1, n).long()
        return ds.images[idx], f"{name} train images ({ds.images.shape[-1]} px)"
    except Exception as err:
        side = 32 if cfg.cifar else 96
        gen = torch.Generator().manual_seed(0)
        images = torch.randint(0, 256, (n, 3, side, side), dtype=torch.uint8, generator=gen)
        return images, f"random uint8 images {side} px ({type(err).__name__})"


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_config(cfg: Config, args, device: torch.device) -> dict:
    recipe = get_recipe("cifar10" if cfg.cifar else "imagenet", cfg.size)
    prep = Preprocessing.named("cifar10" if cfg.cifar else "imagenet", cfg.size, cfg.size)
    images, source = load_images(cfg, cfg.batch * (args.steps + args.warmup))
    images = images.to(device)
    head = (2048, 256) if cfg.cifar else (8192, 8192, 512)
    if args.small_head:
        head = (2048, 256)
    torch.manual_seed(0)
    model = create_ssl_model(cfg.arch, head, cifar_stem=cfg.cifar).to(device)
    use_cuda = device.type == "cuda"
    if use_cuda:
        model = model.to(memory_format=torch.channels_last)
    net = torch.compile(model) if args.compile else model
    opt = LARS(lars_param_groups(model, 1e-6), lr=0.1, momentum=0.9, eta=0.001)
    loss_fn = create_loss("clamp", r_s=7.0 if cfg.cifar else 8.5)
    pipeline = torchvision_pipeline(recipe)
    gen = torch.Generator(device=device).manual_seed(0)
    autocast = (
        torch.autocast("cuda", dtype=torch.bfloat16)
        if use_cuda
        else torch.autocast("cpu", enabled=False)
    )
    results = {}
    for path in ("ours", "anchor"):
        parts = {"augment": 0.0, "forward": 0.0, "loss": 0.0, "backward": 0.0, "optimizer": 0.0}
        total = 0.0
        for step in range(args.warmup + args.steps):
            batch = images[step * cfg.batch : (step + 1) * cfg.batch]
            sync(device)
            t0 = time.perf_counter()
            if path == "ours":
                views = augment_views(batch, cfg.views, recipe, generator=gen)
            else:
                views = anchor_views(batch, cfg.views, pipeline)
            x = prep.normalize(views.view(cfg.views * cfg.batch, *views.shape[2:]))
            if use_cuda:
                x = x.contiguous(memory_format=torch.channels_last)
            sync(device)
            t1 = time.perf_counter()
            with autocast:
                z = net(x)
            sync(device)
            t2 = time.perf_counter()
            loss = loss_fn(z.float().view(cfg.views, cfg.batch, -1))
            sync(device)
            t3 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            sync(device)
            t4 = time.perf_counter()
            opt.step()
            sync(device)
            t5 = time.perf_counter()
            if step >= args.warmup:
                for key, dt in zip(
                    parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True
                ):
                    parts[key] += dt
                total += t5 - t0
        results[path] = {
            "view_images_per_s": cfg.views * cfg.batch * args.steps / total,
            "aug_view_images_per_s": cfg.views * cfg.batch * args.steps / parts["augment"],
            "fractions": {k: v / total for k, v in parts.items()},
        }
    results["source"] = source
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--configs",
        nargs="+",
        default=["resnet18:32:32:4", "resnet50:64:16:4"],
        help="ARCH:SIZE:BATCH:VIEWS (resnet18 at <= 32 px uses the CIFAR stem)",
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--steps", type=int, default=3, help="timed steps per path")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model")
    parser.add_argument(
        "--small-head",
        action="store_true",
        help="2048-256 head for every config (default: the recipe's head)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--quick", action="store_true", help="resnet18 at 32 px, batch 8 x 2 views, 1 step"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.configs, args.steps, args.warmup = ["resnet18:32:8:2"], 1, 0
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    rows, summary = [], []
    for text in args.configs:
        cfg = Config.parse(text)
        print(f"timing {text} on {device} ...", flush=True)
        before = load()
        res = run_config(cfg, args, device)
        ours, anchor = res["ours"], res["anchor"]
        sizes = f"{cfg.arch}, {cfg.size} px, batch {cfg.batch} x {cfg.views} views"
        machine_load = f"{before} -> {load()}"
        summary += [
            ("CLAMP training step", "torchvision v2 per-image augmentation", sizes,
             1 / anchor["view_images_per_s"], 1 / ours["view_images_per_s"], machine_load),
            ("view augmentation", "torchvision v2 per image", sizes,
             1 / anchor["aug_view_images_per_s"], 1 / ours["aug_view_images_per_s"],
             machine_load),
        ]  # fmt: skip
        f = ours["fractions"]
        row = (
            f"| {cfg.arch}{' (CIFAR stem)' if cfg.cifar else ''} | {cfg.size} | {cfg.batch} x "
            f"{cfg.views} | {ours['view_images_per_s']:.1f} | {anchor['view_images_per_s']:.1f} | "
            f"{ours['view_images_per_s'] / anchor['view_images_per_s']:.2f} | "
            f"{ours['aug_view_images_per_s']:.0f} | {anchor['aug_view_images_per_s']:.0f} | "
            f"{ours['aug_view_images_per_s'] / anchor['aug_view_images_per_s']:.1f} | "
            f"{100 * (f['augment'] + f['loss']):.1f} % | "
            f"{100 * (f['forward'] + f['backward']):.1f} % | {100 * f['optimizer']:.1f} % |"
        )
        print(row, "\n  data:", res["source"], flush=True)
        rows.append((row, res["source"]))
    device_text = (
        torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else f"CPU ({platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, {torch.get_num_threads()} torch threads)"
    )
    header = (
        "| model | px | batch x views | ours view-img/s | anchor view-img/s | step ratio | "
        "ours aug view-img/s | anchor aug view-img/s | aug ratio | ours aug + loss | "
        "ours fwd + bwd | ours LARS |\n|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    text = "\n".join(
        [
            "# CLAMP training throughput: batched on-device augmentation vs per-image torchvision",
            "",
            f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}",
            f"- device: {device_text}; torch {torch.__version__}",
            f"- command: `python {' '.join([Path(sys.argv[0]).name, *sys.argv[1:]])}`",
            f"- status: {PROVISIONAL}",
            f"- timed steps: {args.steps} per path after {args.warmup} warm-up step(s); a step = "
            "augment m x B views + forward + CLAMP loss + backward + LARS step",
            "- anchor: torchvision.transforms.v2 per image and view (single process, i.e. one "
            "DataLoader worker's work); ours: neuroalign.augment.augment_views on the whole batch",
            "- data: " + "; ".join(sorted({src for _, src in rows})),
            "",
            header,
            *[row for row, _ in rows],
            "",
            "Columns 'ours aug + loss' / 'ours fwd + bwd' / 'ours LARS' are fractions of our step "
            "time. The backward column includes the (small) backward of the loss.",
            "",
            *([] if device.type == "cuda" else [NO_GPU_NOTE, ""]),
            *speed_summary(summary),
        ]
    )
    if args.output:
        out = results_path(args.output, RESULTS, args.quick)
        with atomic_write(out) as handle:
            handle.write(text)
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
