"""The GPU verification suite: what a first H100 run must show, in one command.

Sections (each in its own try/except; the results are rewritten after every section, so a
failure or a kill loses nothing already measured):

- ``tests``: the ``gpu``-marked tests (``pytest -m gpu``);
- ``syncs``: host-device synchronisations per training step (CUDA: ``torch.cuda``'s sync debug
  mode over real steps; CPU: the step run on the ``meta`` device, where any host read raises);
- ``step:eager`` / ``step:compile`` / ``step:checkpointing``: one training step (default
  ResNet-50 at 224 px, 256 images x 4 views, bf16, channels-last) split into data / augment /
  forward / loss / backward / optimizer with CUDA events, view-images/s, peak memory next to the
  estimate the loop prints, eager, ``torch.compile`` and with activation checkpointing;
- ``loss``: the CLAMP loss in float64 vs float32 (time and difference);
- ``data``: ImageFolder JPEG decoding, images/s: the former path (full decode + resize in
  workers) vs draft decoding in persistent workers vs batched decoding on the device;
- ``cifar:clamp`` / ``cifar:simclr``: ResNet-18 on CIFAR-10 with ``--time-budget`` (the
  ``cifar10`` recipe, loss swapped for the baseline), then the linear probe's accuracy;
- ``extraction``: ResNet-50 at 224 px, the four stages, images/s from tensors and from JPEG
  files (``extract_activations``: features to host memory) and on the device (``layer_views``).

Targets (issue 11; in the output, not asserted): >= 4,000 view-images/s for the RN50 step with
< 10 % of it outside the model; CIFAR-10 CLAMP >= 80 % linear accuracy after 5 minutes
(``--cifar-budget 5m``; the default budget keeps the suite under 9 minutes); extraction
>= 10,000 images/s.

    python benchmarks/gpu_suite.py                      # on the GPU: ~8 minutes on an H100
    python benchmarks/gpu_suite.py --smoke --output-dir /tmp/suite   # every section, toy size
    python benchmarks/gpu_suite.py --device cpu --sections syncs,step:eager,loss,data \\
        --step resnet50:64:16:4 --name gpu_suite_cpu    # the CPU record in results/

CIFAR-10 is read through the data loaders: set ``NEUROALIGN_MIRROR`` (or ``--mirror``) to a
folder holding ``cifar10/cifar10-jpeg.tar.gz`` (``shared/data`` or ``../shared/data`` beside the
repository are found without it). Throughput sections use synthetic uint8 images.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
ALL_SECTIONS = (
    "tests",
    "syncs",
    "step:eager",
    "step:compile",
    "loss",
    "extraction",
    "data",
    "cifar:clamp",
    "cifar:simclr",
    "step:checkpointing",
)
#: rough duration of each section on an H100 (s): a section is skipped when it cannot fit
EXPECTED_S = {
    "tests": 90, "syncs": 15, "step:eager": 40, "step:compile": 150, "loss": 15,
    "extraction": 60, "data": 40, "cifar:clamp": 130, "cifar:simclr": 130,
    "step:checkpointing": 40,
}  # fmt: skip


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _images(n: int, side: int, device, seed: int = 0):
    """Synthetic uint8 photographs-like images: smooth colour fields plus texture."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, side), torch.linspace(0, 1, side), indexing="ij")
    phase = torch.rand(n, 3, 1, 1, generator=gen) * 6.28
    field = 0.5 + 0.35 * torch.sin(6 * xx * torch.rand(n, 3, 1, 1, generator=gen) + phase + 4 * yy)
    noise = 0.1 * torch.rand(n, 3, side, side, generator=gen)
    return ((field + noise).clamp(0, 1) * 255).to(torch.uint8).to(device)


def _write_jpegs(folder: Path, n: int, width: int, height: int) -> Path:
    """n JPEG files (quality 90) under folder/<class>/ (two classes)."""
    from PIL import Image

    side = max(width, height)
    images = _images(n, side, "cpu", seed=1).permute(0, 2, 3, 1).numpy()
    for i in range(n):
        cls = folder / f"class{i % 2}"
        cls.mkdir(parents=True, exist_ok=True)
        Image.fromarray(images[i][:height, :width]).save(cls / f"{i:05d}.jpg", quality=90)
    return folder


def _parse_step(text: str) -> tuple[str, int, int, int]:
    arch, size, batch, views = text.split(":")
    return arch, int(size), int(batch), int(views)


# --------------------------------------------------------------------------------------------
# sections
# --------------------------------------------------------------------------------------------


def section_tests(args, device) -> dict:
    """The gpu-marked tests, in a child pytest (counts and the summary line)."""
    paths = args.test_paths or (["tests/test_augment.py"] if args.smoke else ["tests"])
    cmd = [sys.executable, "-m", "pytest", "-m", "gpu", "-q", "-p", "no:cacheprovider", *paths]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=args.test_timeout)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    summary = lines[-1] if lines else done.stderr[-500:]
    counts = {
        w: int(n) for n, w in re.findall(r"(\d+) (passed|failed|skipped|deselected)", summary)
    }
    return {"command": " ".join(cmd[2:]), "returncode": done.returncode, "summary": summary,
            **counts, "output_tail": done.stdout[-3000:] if done.returncode else ""}  # fmt: skip


def _step_parts(args, device, arch: str, size: int, views: int, *, compiled: bool = False,
                checkpointing: bool = False, loss: str = "clamp"):  # fmt: skip
    """A TrainStep of the ImageNet recipe (at ``size`` px) with a StepTimer."""
    import torch

    from neuroalign.augment import get_recipe
    from neuroalign.backbones import create_ssl_model
    from neuroalign.losses import create_loss
    from neuroalign.preprocessing import Preprocessing
    from neuroalign.train.memory import enable_activation_checkpointing
    from neuroalign.train.optim import LARS, WarmupCosineSchedule, lars_param_groups
    from neuroalign.train.profile import StepTimer
    from neuroalign.train.step import TrainStep

    cuda = device.type == "cuda"
    cifar = size <= 32
    torch.manual_seed(0)
    head = (2048, 256) if cifar else (8192, 8192, 512)
    model = create_ssl_model(arch, head, cifar_stem=cifar)
    if checkpointing:
        enable_activation_checkpointing(model)
    model = model.to(device)
    if cuda:
        model = model.to(memory_format=torch.channels_last)
        torch.backends.cudnn.benchmark = True
    net = torch.compile(model, backend=args.compile_backend) if compiled else model
    opt = LARS(lars_param_groups(model, 1e-6), lr=0.3, momentum=0.9, weight_decay=1e-6)
    criterion = create_loss(loss, **({"r_s": 8.5} if loss == "clamp" else {}))
    criterion.check_finite = False
    timer = StepTimer(device)
    step = TrainStep(
        net, criterion, opt, WarmupCosineSchedule(opt, 10**6, 10, 0.3),
        recipe=get_recipe("cifar10" if cifar else "imagenet", size),
        preprocessing=Preprocessing.named("cifar10" if cifar else "imagenet", size, size),
        n_views=views, seed=0, amp=cuda, channels_last=cuda, timer=timer,
    )  # fmt: skip
    return model, step, timer


def _batches(images, batch: int) -> Iterator:
    """Endless training batches from a TensorSource (the loop's data path)."""
    from neuroalign.train.sources import TensorSource, epoch_batches

    source = TensorSource(images, None, images.device)
    epoch = 0
    while True:
        yield from source.epoch(epoch_batches(len(source), epoch, 0, batch))
        epoch += 1


def section_step(args, device, variant: str) -> dict:
    """One training step: throughput, split, peak memory and the estimate."""
    import torch

    from neuroalign.train.memory import estimate_training_memory

    arch, size, batch, views = _parse_step(args.step)
    model, step, timer = _step_parts(
        args, device, arch, size, views,
        compiled=variant == "compile", checkpointing=variant == "checkpointing",
    )  # fmt: skip
    source_side = round(size * 256 / 224) if size > 32 else size
    batches = _batches(_images(batch * 4, source_side, device), batch)
    began = time.perf_counter()
    for i in range(args.warmup):
        step(next(batches), i)
    _sync(device)
    warmup_s = time.perf_counter() - began
    timer.reset()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    began = time.perf_counter()
    for i in range(args.steps):
        with timer.section("data"):
            images = next(batches)
        step(images, args.warmup + i)
    _sync(device)
    wall = time.perf_counter() - began
    parts = timer.seconds()
    total = sum(parts.values())
    model_s = parts.get("forward", 0.0) + parts.get("backward", 0.0)
    out = {
        "config": {"arch": arch, "image_size": size, "batch": batch, "views": views,
                   "source_side": source_side, "amp_bf16": device.type == "cuda",
                   "channels_last": device.type == "cuda", "steps": args.steps,
                   "warmup_steps": args.warmup},
        "view_images_per_s": args.steps * batch * views / wall,
        "step_ms": 1000 * wall / args.steps,
        "warmup_s": warmup_s,
        "split_ms": {k: 1000 * v / args.steps for k, v in parts.items()},
        "host_split_ms": {k: 1000 * v / args.steps for k, v in timer.wall_seconds().items()},
        "outside_model_fraction": 1 - model_s / total if total else None,
        "estimated_peak_gb": estimate_training_memory(
            model, size, batch * views, amp=device.type == "cuda",
            activation_checkpointing=variant == "checkpointing",
            source_size=source_side, n_images=batch,
        ).total / 1e9,
    }  # fmt: skip
    if device.type == "cuda":
        out["peak_memory_gb"] = torch.cuda.max_memory_allocated(device) / 1e9
        out["syncs_per_step"] = _cuda_syncs(step, batches, args.warmup + args.steps, device)
    return out


def _cuda_syncs(step, batches, first: int, device, n: int = 3) -> float:
    """Synchronisations per step reported by torch.cuda's sync debug mode."""
    import torch

    _sync(device)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            for i in range(n):
                step(next(batches), first + i)
        finally:
            torch.cuda.set_sync_debug_mode("default")
    return sum("synchroniz" in str(w.message) for w in caught) / n


def section_syncs(args, device) -> dict:
    """Host waits per step: CUDA sync debug mode, or the step on meta with the strict counter."""
    import torch

    from neuroalign.train.profile import count_host_syncs

    arch, size, batch, views = _parse_step(args.step)
    if device.type == "cuda":
        _, step, _ = _step_parts(args, device, arch, size, views)
        batches = _batches(_images(batch * 2, size, device), batch)
        step(next(batches), 0)
        return {"method": "torch.cuda.set_sync_debug_mode('warn') over 3 steps",
                "syncs_per_step": _cuda_syncs(step, batches, 1, device)}  # fmt: skip
    meta = torch.device("meta")
    _, step, _ = _step_parts(args, meta, arch, size, views)
    images = torch.zeros(batch, 3, size, size, dtype=torch.uint8, device=meta)
    step(images, 0)  # makes the per-device constants once
    with count_host_syncs(strict=True) as calls:
        for i in (1, 2, 3):
            step(images, i)
    return {"method": "3 steps on the meta device under count_host_syncs(strict=True) "
            "(any host read of device data raises)", "syncs_per_step": sum(calls.values()) / 3,
            "calls": dict(calls)}  # fmt: skip


def _timed(fn: Callable[[], Any], device, reps: int) -> float:
    fn()
    _sync(device)
    began = time.perf_counter()
    for _ in range(reps):
        fn()
    _sync(device)
    return (time.perf_counter() - began) / reps


def section_loss(args, device) -> dict:
    """CLAMP loss forward + backward in float64 vs float32: time and difference (item 8)."""
    import torch

    from neuroalign.losses import CLAMPLoss

    shapes = [(2, 8, 16)] if args.smoke else [(4, 256, 512), (16, 128, 256), (4, 4096, 512)]
    rows = []
    for m, b, d in shapes:
        gen = torch.Generator().manual_seed(0)
        centres = torch.randn(b // 4 + 1, d, generator=gen)
        z0 = centres[torch.arange(b) % len(centres)] + 0.3 * torch.randn(m, b, d, generator=gen)
        z0 = z0.to(device)
        results = {}
        for name, dtype in (("float64", torch.float64), ("float32", torch.float32)):
            loss = CLAMPLoss(r_s=8.5, compute_dtype=dtype)
            loss.check_finite = False
            z = z0.clone().requires_grad_(True)

            def run(loss=loss, z=z):
                z.grad = None
                value = loss(z)
                value.backward()
                return value

            seconds = _timed(run, device, reps=2 if args.smoke else 10)
            value = run()
            results[name] = (seconds, float(value.detach()), z.grad.detach().double())
        (t64, v64, g64), (t32, v32, g32) = results["float64"], results["float32"]
        rows.append({"shape": [m, b, d], "float64_ms": 1000 * t64, "float32_ms": 1000 * t32,
                     "loss_abs_diff": abs(v64 - v32),
                     "grad_rel_diff": float((g64 - g32).norm() / g64.norm().clamp_min(1e-30))})  # fmt: skip
    return {"clustered embeddings (z = centre + 0.3 noise)": rows}


def section_data(args, device) -> dict:
    """ImageFolder JPEG decoding, images/s: the former path (full decode in the workers), draft
    decoding in the workers, batched decoding on the device."""
    import torch

    from neuroalign.data import ImageFolderDataset
    from neuroalign.preprocessing import Preprocessing
    from neuroalign.train.sources import FolderSource

    n, workers, batch = (16, 0, 4) if args.smoke else (args.data_images, args.workers, 32)
    out: dict[str, Any] = {"images": n, "file_size": "500x375 JPEG (ImageNet's median size)",
                           "load_size": 256, "workers": workers, "batch": batch}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        root = _write_jpegs(Path(tmp), n, 500, 375)

        def rate(batches: Iterator) -> float:
            next(batches)  # the first batch carries the workers' start-up: not timed
            _sync(device)
            began, count = time.perf_counter(), 0
            for images in batches:
                count += len(images)
            _sync(device)
            return count / max(time.perf_counter() - began, 1e-9)

        former = ImageFolderDataset(root, transform=Preprocessing(256, 256).resize_crop)
        loader = torch.utils.data.DataLoader(former, batch_size=batch, num_workers=workers)
        out["former_full_decode_in_workers"] = rate(images.to(device) for images, _ in loader)
        for decode in ("cpu", "device"):
            source = FolderSource.from_folder(root, 256, device, workers=workers, decode=decode)
            index = torch.arange(len(source))
            out[f"{decode}_decode"] = rate(iter(source.images(index, batch)))
            source.close()
    out["note"] = ("'device' decodes whole batches with torchvision.io.decode_jpeg on the "
                   f"training device ({device.type}); 'cpu' = draft decoding + PIL resampling "
                   "in the workers")  # fmt: skip
    return out


def section_cifar(args, device, loss: str) -> dict:
    """CIFAR-10 ResNet-18 for a fixed time budget, then the linear probe."""
    from neuroalign.train import ProbeConfig, resolve_train_config, run_probe, train

    with tempfile.TemporaryDirectory() as tmp:
        options = {
            "loss": loss, "time_budget": args.cifar_budget, "knn_every_epochs": 0,
            "progress": False, "tensorboard": False, "device": str(device),
            "output_dir": Path(tmp) / loss, "save_every_epochs": 10**6,
        }  # fmt: skip
        if args.smoke:
            options.update(train_subset=64, image_size=8, batch_size=16, views=2,
                           head_dims=(32, 16), warmup_epochs=1.0, epochs=10)  # fmt: skip
        cfg = resolve_train_config(options, recipe="cifar10")
        began = time.perf_counter()
        result = train(cfg)
        train_s = time.perf_counter() - began
        probe_cfg = ProbeConfig(
            device=str(device), output=Path(tmp) / "probe.json",
            **({"train_subset": 200, "test_subset": 100, "max_iter": 20} if args.smoke else {}),
        )  # fmt: skip
        began = time.perf_counter()
        probe = run_probe(result.checkpoint, probe_cfg)
        rows = result.metrics
    return {
        "loss": loss, "time_budget": args.cifar_budget, "train_wall_s": train_s,
        "steps": result.step, "epochs": rows[-1]["epoch"], "final_loss": result.final_loss,
        "mean_view_images_per_s": sum(r["view_images_per_s"] for r in rows) / len(rows),
        "linear_probe_top1": probe["test_top1"], "probe_train_top1": probe["train_top1"],
        "probe_wall_s": time.perf_counter() - began,
        "recipe": "cifar10 (ResNet-18, CIFAR stem, 16 views x 128, LARS)"
                  + (", toy size" if args.smoke else ""),
    }  # fmt: skip


def section_extraction(args, device) -> dict:
    """ResNet-50 at 224 px, the four stages: images/s from tensors, from JPEG files, and with
    features kept on the device."""

    from neuroalign.extract import extract_activations, layer_views, load_model

    arch, n, side = ("resnet18", 8, 40) if args.smoke else ("resnet50", args.extract_images, 256)
    layers = ["layer1", "layer2", "layer3", "layer4"]
    lm = load_model(arch, device=device)
    if args.smoke:
        from neuroalign.preprocessing import Preprocessing

        lm.preprocessing = Preprocessing(image_size=32, resize=36)
    batch = 8 if args.smoke else 256
    images = _images(n, side, "cpu", seed=2)
    out: dict[str, Any] = {"model": arch, "layers": layers, "images": n, "batch": batch,
                           "preprocessing": lm.preprocessing.describe()}  # fmt: skip
    extract_activations(lm, images[:batch], layers, batch_size=batch, device=device)  # warm-up
    began = time.perf_counter()
    acts = extract_activations(lm, images, layers, batch_size=batch, device=device)
    out["tensor_images_per_s"] = n / (time.perf_counter() - began)
    out["features_per_image"] = int(sum(acts[name].shape[1] for name in layers))
    del acts
    with tempfile.TemporaryDirectory() as tmp:
        folder = _write_jpegs(Path(tmp), n, side, side)
        began = time.perf_counter()
        extract_activations(lm, folder, layers, batch_size=batch, device=device,
                            num_workers=0 if args.smoke else args.workers)  # fmt: skip
        out["jpeg_images_per_s"] = n / (time.perf_counter() - began)
    on_device = images.to(device)
    layer_views(lm, on_device[:batch], layers, pool="mean", batch_size=batch)
    _sync(device)
    began = time.perf_counter()
    layer_views(lm, on_device, layers, pool="mean", batch_size=batch)
    _sync(device)
    out["on_device_pooled_images_per_s"] = n / (time.perf_counter() - began)
    out["note"] = ("extract_activations copies every feature to host memory (float32); "
                   "layer_views keeps channel-mean features on the device")  # fmt: skip
    return out


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------


def _environment(args, device) -> dict:
    import torch
    import torchvision

    env = {
        "date": f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}",
        "command": args.command,
        "device": str(device), "python": platform.python_version(), "torch": torch.__version__,
        "torchvision": torchvision.__version__, "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.cuda.is_available() else None,
        "cpu": f"{platform.machine()}, {os.cpu_count()} cores, "
               f"{torch.get_num_threads()} torch threads",
        "load_average": [round(x, 2) for x in os.getloadavg()], "smoke": bool(args.smoke),
    }  # fmt: skip
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        env["gpu"] = f"{props.name}, {props.total_memory / 2**30:.0f} GiB"
    return env


def _markdown(results: dict) -> str:
    env = results["environment"]
    lines = ["# GPU suite results", ""]
    lines += [f"- {key}: {value}" for key, value in env.items()]
    lines += ["", "| section | status | seconds |", "|---|---|---|"]
    for name, sec in results["sections"].items():
        lines.append(f"| {name} | {sec['status']} | {sec.get('seconds', 0):.1f} |")
    for name, sec in results["sections"].items():
        lines += ["", f"## {name}", ""]
        if sec["status"] != "ok":
            lines.append(f"{sec['status']}: {sec.get('reason') or sec.get('error', '')}")
            continue
        lines.append("```json")
        lines.append(json.dumps(sec["result"], indent=1, default=str))
        lines.append("```")
    lines += ["", "Targets (issue 11): RN50 step >= 4,000 view-images/s with < 10 % outside the "
              "model (forward + backward) on one H100; CIFAR-10 CLAMP >= 80 % linear accuracy "
              "after a 5-minute budget (85 % after 10); extraction >= 10,000 images/s.", ""]  # fmt: skip
    return "\n".join(lines)


def _write(results: dict, out_dir: Path, name: str) -> None:
    from neuroalign.io import atomic_write

    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_write(out_dir / f"{name}.json") as handle:
        json.dump(results, handle, indent=1, default=str)
    with atomic_write(out_dir / f"{name}.md") as handle:
        handle.write(_markdown(results))


def _find_mirror(explicit: str | None) -> None:
    if explicit:
        os.environ["NEUROALIGN_MIRROR"] = explicit
        return
    if os.environ.get("NEUROALIGN_MIRROR"):
        return
    for candidate in (REPO / "shared" / "data", REPO.parent / "shared" / "data"):
        if (candidate / "cifar10").is_dir():
            os.environ["NEUROALIGN_MIRROR"] = str(candidate)
            return


def run_suite(args: argparse.Namespace) -> dict:
    """Run the chosen sections; returns (and writes, after each section) the results."""
    import torch

    _find_mirror(args.mirror)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(args.device)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(sections) - set(ALL_SECTIONS)
    if unknown:
        raise SystemExit(f"unknown sections {sorted(unknown)}; valid: {', '.join(ALL_SECTIONS)}")
    runners: dict[str, Callable[[], dict]] = {
        "tests": lambda: section_tests(args, device),
        "syncs": lambda: section_syncs(args, device),
        "step:eager": lambda: section_step(args, device, "eager"),
        "step:compile": lambda: section_step(args, device, "compile"),
        "step:checkpointing": lambda: section_step(args, device, "checkpointing"),
        "loss": lambda: section_loss(args, device),
        "data": lambda: section_data(args, device),
        "cifar:clamp": lambda: section_cifar(args, device, "clamp"),
        "cifar:simclr": lambda: section_cifar(args, device, "simclr"),
        "extraction": lambda: section_extraction(args, device),
    }
    results = {"environment": _environment(args, device), "sections": {}}
    deadline = time.perf_counter() + 60 * args.max_minutes
    out_dir = Path(args.output_dir)
    for name in sections:
        left = deadline - time.perf_counter()
        if not args.smoke and left < EXPECTED_S.get(name, 60):
            results["sections"][name] = {"status": "skipped",
                                         "reason": f"{left:.0f} s left of --max-minutes"}  # fmt: skip
            _write(results, out_dir, args.name)
            continue
        print(f"[gpu_suite] {name} ...", flush=True)
        began = time.perf_counter()
        try:
            result = runners[name]()
            entry = {"status": "ok", "result": result}
        except Exception as err:  # one failing section must not lose the others
            entry = {"status": "error", "error": f"{type(err).__name__}: {err}",
                     "traceback": traceback.format_exc()[-4000:]}  # fmt: skip
        entry["seconds"] = time.perf_counter() - began
        results["sections"][name] = entry
        print(f"[gpu_suite] {name}: {entry['status']} ({entry['seconds']:.1f} s)", flush=True)
        with contextlib.suppress(Exception):
            if device.type == "cuda":
                torch.cuda.empty_cache()
        _write(results, out_dir, args.name)
    return results


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true",
                        help="every section at toy size (CPU, seconds): what CI runs")  # fmt: skip
    parser.add_argument("--device", default="auto", help="auto, cuda, cpu")
    parser.add_argument("--sections", default=",".join(ALL_SECTIONS),
                        help=f"comma-separated, in order (default: {','.join(ALL_SECTIONS)})")  # fmt: skip
    parser.add_argument("--step", default=None, metavar="ARCH:SIZE:BATCH:VIEWS",
                        help="the timed step (default resnet50:224:256:4; smoke resnet18:16:8:2)")  # fmt: skip
    parser.add_argument("--steps", type=int, default=None, help="timed steps (default 10)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps first (3)")
    parser.add_argument("--compile-backend", default=None,
                        help="torch.compile backend (default inductor; smoke: eager)")  # fmt: skip
    parser.add_argument("--cifar-budget", default=None,
                        help="--time-budget of each CIFAR-10 run (default 75s; smoke 2s)")  # fmt: skip
    parser.add_argument("--data-images", type=int, default=512, help="JPEGs decoded (data)")
    parser.add_argument("--extract-images", type=int, default=2048, help="images (extraction)")
    parser.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 2),
                        help="DataLoader workers")  # fmt: skip
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--test-paths", nargs="*", default=None, help="pytest paths (tests)")
    parser.add_argument("--test-timeout", type=int, default=300, help="seconds for the tests")
    parser.add_argument("--mirror", default=None, help="NEUROALIGN_MIRROR for CIFAR-10")
    parser.add_argument("--max-minutes", type=float, default=9.0,
                        help="skip sections that would not finish within this (not in smoke)")  # fmt: skip
    parser.add_argument("--output-dir", default=str(RESULTS), help="where the results go")
    parser.add_argument("--name", default="gpu_suite", help="file stem of the results")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.command = " ".join(["python benchmarks/gpu_suite.py", *argv])
    smoke = args.smoke
    args.step = args.step or ("resnet18:16:8:2" if smoke else "resnet50:224:256:4")
    args.steps = args.steps or (2 if smoke else 10)
    args.warmup = args.warmup if args.warmup is not None else (1 if smoke else 3)
    args.compile_backend = args.compile_backend or ("eager" if smoke else "inductor")
    args.cifar_budget = args.cifar_budget or ("2s" if smoke else "75s")
    results = run_suite(args)
    failed = [n for n, s in results["sections"].items() if s["status"] == "error"]
    print(f"[gpu_suite] wrote {Path(args.output_dir) / args.name}.json and .md; "
          f"{len(failed)} section(s) failed{': ' + ', '.join(failed) if failed else ''}")  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
