"""Cost of tracking alignment and packing during training, next to the cost of training itself.

For a training configuration (architecture, input size, batch x views) the script

1. trains a few steps with ``neuroalign.train.train`` (the real loop: on-device augmentation,
   forward, loss, backward, LARS) and takes the median step time;
2. times each tracker of :mod:`neuroalign.tracking` with its default settings on the network it
   trained: ``packing`` (128 images x m views, embedding + representation), ``dimension`` (512
   images, one view), ``alignment`` (640 V4 images of session 210325 + the 92 IT images, layer3
   ridge on a 256-d random projection, layer4 RSA); the one-off loading of the alignment probe
   is timed apart;
3. reports the cost of tracking every epoch as a fraction of an epoch's training time
   (steps per epoch = training images // batch), and each call in training steps.

Both are measured in one process, on the same threads, side by side, so the ratio is the
figure to read on a loaded machine. Defaults: the CIFAR-10 recipe's network (ResNet-18, CIFAR
stem, head 512-2048-256, 32 px) at a reduced batch of 64 x 4 views, and the 224-px ResNet-50
(head 2048-8192-8192-512) tracker calls with a batch 8 x 4 step to put them in step units.

Examples::

    python benchmarks/tracking_cost.py                 # both parts, writes results/tracking.md
    python benchmarks/tracking_cost.py --skip-large    # the CIFAR part only (minutes)
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from neuroalign.io import atomic_write

RESULTS = Path(__file__).resolve().parent / "results" / "tracking.md"
CIFAR_TRAIN_IMAGES = 50_000
IMAGENET100_TRAIN_IMAGES = 126_689


def parse_config(text: str) -> dict:
    arch, size, batch, views = text.split(":")
    return {"arch": arch, "size": int(size), "batch": int(batch), "views": int(views)}


def train_steps(cfg: dict, images: torch.Tensor | None, steps: int, out: Path):
    """Median seconds per training step (steps 2..N) and the trained SSLModel."""
    from neuroalign.train import TrainConfig, train

    cifar = cfg["size"] <= 32
    tc = TrainConfig(
        arch=cfg["arch"],
        cifar_stem=cifar,
        head_dims=(2048, 256) if cifar else (8192, 8192, 512),
        loss="clamp",
        r_s=7.0 if cifar else 8.5,
        dataset="cifar10",
        augment="cifar10" if cifar else "imagenet",
        views=cfg["views"],
        batch_size=cfg["batch"],
        epochs=1,
        max_steps=steps,
        warmup_epochs=0.0,
        device="cpu",
        output_dir=out,
        log_every_steps=1,
        knn_every_epochs=0,
        progress=False,
        tensorboard=False,
    )
    labels = None if images is None else torch.zeros(len(images), dtype=torch.long)
    result = train(tc, train_images=images, train_labels=labels)
    per_step = [cfg["batch"] * cfg["views"] / r["view_images_per_s"] for r in result.metrics[1:]]
    return statistics.median(per_step), result.model


def time_trackers(model, prep, probe, packed, views: int, recipe: str, repeats: int) -> dict:
    """Seconds per call of each tracker (median over ``repeats``) and of loading the probe;
    ``probe``: the dimension tracker's images, ``packed``: the packing tracker's."""
    from neuroalign.tracking import (
        AlignmentProbe,
        alignment_metrics,
        dimension_metrics,
        packing_metrics,
    )

    start = time.perf_counter()
    v4_probe = AlignmentProbe.load(prep)
    times = {"alignment probe (once)": time.perf_counter() - start}
    calls = {
        "packing": lambda: packing_metrics(
            model, packed, n_views=views, recipe=recipe,
            preprocessing=prep,
        ),
        "dimension": lambda: dimension_metrics(model, probe, preprocessing=prep),
        "alignment": lambda: alignment_metrics(model, v4_probe, preprocessing=prep),
    }  # fmt: skip
    for name, call in calls.items():
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            call()
            runs.append(time.perf_counter() - start)
        times[name] = statistics.median(runs)
    return times


def cifar_part(cfg: dict, steps: int, repeats: int) -> tuple[dict, float]:
    from neuroalign.data import load_image_dataset
    from neuroalign.defaults import TRACK_PACKING_IMAGES, TRACK_PROBE_IMAGES
    from neuroalign.preprocessing import Preprocessing
    from neuroalign.tracking import ProbeImages

    with tempfile.TemporaryDirectory() as tmp:
        step_s, model = train_steps(cfg, None, steps, Path(tmp) / "run")
    test = load_image_dataset("cifar10", split="test")
    probe = ProbeImages.spread(test.images, test.labels, TRACK_PROBE_IMAGES)
    packed = ProbeImages.spread(test.images, test.labels, TRACK_PACKING_IMAGES)
    prep = Preprocessing.named("cifar10", cfg["size"], cfg["size"])
    return time_trackers(model, prep, probe, packed, cfg["views"], "cifar10", repeats), step_s


def large_part(cfg: dict, steps: int) -> tuple[dict, float]:
    from neuroalign.defaults import TRACK_PACKING_IMAGES, TRACK_PROBE_IMAGES
    from neuroalign.preprocessing import Preprocessing
    from neuroalign.tracking import ProbeImages

    gen = torch.Generator().manual_seed(0)
    train_images = torch.randint(0, 256, (4 * cfg["batch"], 3, 256, 256), dtype=torch.uint8,
                                 generator=gen)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        step_s, model = train_steps(cfg, train_images, steps, Path(tmp) / "run")
    # ImageFolder runs store images at 256 px and evaluate them resized to 256, cropped to 224
    probe_images = torch.randint(0, 256, (TRACK_PROBE_IMAGES, 3, 256, 256), dtype=torch.uint8,
                                 generator=gen)  # fmt: skip
    prep = Preprocessing.named("imagenet", cfg["size"], round(cfg["size"] * 256 / 224))
    probe = ProbeImages(probe_images)
    times = time_trackers(
        model, prep, probe, probe.take(TRACK_PACKING_IMAGES), cfg["views"], "imagenet", 1
    )
    return times, step_s


def table(times: dict, step_s: float, cfg: dict, epoch_steps: int) -> list[str]:
    epoch_s = epoch_steps * step_s
    lines = [
        "| tracker | seconds per call | training steps per call | per epoch, tracked every epoch |",
        "|---|---|---|---|",
    ]
    total = 0.0
    for name, sec in times.items():
        if name.endswith("(once)"):
            lines.append(f"| {name} | {sec:.1f} | {sec / step_s:.1f} | (once per run) |")
            continue
        total += sec
        lines.append(f"| {name} | {sec:.1f} | {sec / step_s:.1f} | {100 * sec / epoch_s:.2f} % |")
    lines.append(
        f"| **all three** | **{total:.1f}** | **{total / step_s:.1f}** | "
        f"**{100 * total / epoch_s:.2f} %** |"
    )
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="resnet18:32:64:4", help="arch:px:batch:views")
    parser.add_argument("--large-config", default="resnet50:224:8:4", help="arch:px:batch:views")
    parser.add_argument("--steps", type=int, default=6, help="training steps timed (first dropped)")
    parser.add_argument("--repeats", type=int, default=2, help="calls per tracker (median)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--skip-large", action="store_true", help="skip the 224-px part")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()

    cfg = parse_config(args.config)
    times, step_s = cifar_part(cfg, args.steps, args.repeats)
    epoch_steps = CIFAR_TRAIN_IMAGES // cfg["batch"]
    recipe_step_s = step_s * (128 * 16) / (cfg["batch"] * cfg["views"])
    # at the recipe, packing draws m = 16 views of its 128 images: its cost scales with m
    recipe_total = times["packing"] * 16 / cfg["views"] + times["dimension"] + times["alignment"]
    recipe_pct = 100 * recipe_total / ((CIFAR_TRAIN_IMAGES // 128) * recipe_step_s)
    text = [
        "# Cost of tracking packing, dimension and alignment during training",
        "",
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- device: CPU ({platform.machine()}, {os.cpu_count()} cores, {args.threads} torch "
        f"thread(s)); torch {torch.__version__}; no GPU on this machine",
        f"- command: `python benchmarks/tracking_cost.py {' '.join(argv or sys.argv[1:])}`",
        f"- load average before / after: {load_before[0]:.1f} / {os.getloadavg()[0]:.1f} "
        "(the machine is shared: absolute seconds are noisy, the ratios measured side by side "
        "are the figures to read)",
        "- trackers at their defaults: packing 128 probe images x m views (embedding and "
        "representation, r_s 7), dimension 512 probe images (PR, effective rank, I(R;Z)), "
        "alignment 640 V4 images (session 210325, layer3, ridge on a 256-d Gaussian projection, "
        "Brain-Score's 10 splits) + 92 IT images (layer4 RSA vs monkey and human IT)",
        "",
        f"## CIFAR-10 recipe network, reduced batch: {cfg['arch']} (CIFAR stem), {cfg['size']} "
        f"px, batch {cfg['batch']} x {cfg['views']} views",
        "",
        f"Training step (augment + forward + CLAMP loss + backward + LARS, `neuroalign.train`): "
        f"**{step_s:.2f} s** (median of steps 2-{args.steps}); an epoch of CIFAR-10 at this "
        f"batch = {epoch_steps} steps = {epoch_steps * step_s / 60:.0f} min here.",
        "",
        *table(times, step_s, cfg, epoch_steps),
        "",
        f"At the published recipe (batch 128 x 16 views, {CIFAR_TRAIN_IMAGES // 128} steps per "
        f"epoch) a step processes {128 * 16 // (cfg['batch'] * cfg['views'])}x more views; with "
        "the step time scaled by the view count (CPU throughput is flat in the batch) and "
        f"packing at m = 16 views ({16 // cfg['views']}x its cost above), tracking all three "
        f"every epoch costs **{recipe_pct:.2f} %** of training time.",
    ]
    if not args.skip_large:
        large = parse_config(args.large_config)
        ltimes, lstep_s = large_part(large, max(3, args.steps // 2))
        steps_100 = IMAGENET100_TRAIN_IMAGES // 512
        recipe_step = lstep_s * (512 * 4) / (large["batch"] * large["views"])
        ltotal = sum(v for k, v in ltimes.items() if not k.endswith("(once)"))
        text += [
            "",
            f"## 224 px: {large['arch']} (head 2048-8192-8192-512), tracker calls on CPU",
            "",
            f"Training step at batch {large['batch']} x {large['views']} views on this CPU: "
            f"**{lstep_s:.1f} s**. Per-epoch percentages below use an epoch of "
            f"{IMAGENET100_TRAIN_IMAGES // large['batch']} such steps (ImageNet-100 at this "
            "batch).",
            "",
            *table(ltimes, lstep_s, large, IMAGENET100_TRAIN_IMAGES // large["batch"]),
            "",
            f"At the ImageNet-100 recipe (batch 512 x 4 views, {steps_100} steps per epoch) and "
            "with the step time scaled by the view count, tracking all three every epoch costs "
            f"{100 * ltotal / (steps_100 * recipe_step):.3f} % of training time; on ImageNet-1K "
            "(10x the images per epoch) a tenth of that. On a GPU both sides speed up by "
            "similar factors (the tracker is forward passes of the same network plus small "
            "ridge/SVD work on the CPU).",
        ]
    with atomic_write(args.output) as handle:
        handle.write("\n".join(text) + "\n")
    print("\n".join(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
