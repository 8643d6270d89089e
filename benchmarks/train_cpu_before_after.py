"""Training-path items of issue 11 measured on the CPU, before vs after, side by side.

"Before" is the code of commit ``BEFORE`` (loaded from git history into throw-away modules,
never imported by the package); "after" is the working tree. Each figure is measured in this
one process, alternating the two versions, with the machine's load average recorded; ratios
are the comparable numbers on a shared machine.

- item 3: cost of one metrics.csv write at 39,000 rows (full rewrite + fsync vs append);
- item 4: host-device synchronisations per training step (counted by call: on a GPU each is a
  wait; the new step is also run on the ``meta`` device under the strict counter);
- item 5: LARS aten ops and time per ResNet-18 step;
- item 6: augmentation time and bytes allocated (ImageNet recipe at 224 px, CIFAR at 32 px);
- item 7: JPEG decoding, images/s (former: full decode in workers restarted every epoch; now:
  draft decoding in persistent workers; and torchvision's batched decoder in the process);
- item 8: CLAMP loss forward + backward, float64 vs float32;
- item 10: linear probe, float64 (former) vs float32 LBFGS.

    python benchmarks/train_cpu_before_after.py            # writes results/train_cpu_before_after.md
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import importlib.util
import io
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import torch
from torch.overrides import TorchFunctionMode

REPO = Path(__file__).resolve().parents[1]
BEFORE = "30618cf"  # the last commit before the issue-11 work
RESULTS = REPO / "benchmarks" / "results" / "train_cpu_before_after.md"


def old_module(path: str, name: str):
    """``path`` at commit BEFORE as a module named ``name`` (imports resolve to today's
    package, which these files only use for unchanged helpers)."""
    source = subprocess.run(
        ["git", "show", f"{BEFORE}:{path}"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    folder = Path(tempfile.mkdtemp())
    (folder / f"{name}.py").write_text(source)
    spec = importlib.util.spec_from_file_location(name, folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def best_of(fn, reps: int = 3) -> float:
    times = []
    for _ in range(reps):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return min(times)


# -- item 3 ------------------------------------------------------------------------------------


def metrics_writes(rows: int = 39_000) -> dict:
    from neuroalign.io import atomic_write
    from neuroalign.train.metrics import MetricsLog

    fields = ("step", "epoch", "loss", "lr", "view_images_per_s", "knn_top1", "elapsed_s")
    table = [{k: 0.123456 for k in fields} | {"step": i} for i in range(rows)]
    with tempfile.TemporaryDirectory() as tmp:

        def rewrite() -> None:  # the former _write_metrics, every 10 steps
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(table)
            with atomic_write(Path(tmp) / "old.csv") as handle:
                handle.write(buffer.getvalue())

        log = MetricsLog(Path(tmp), {"knn_top1": "knn/knn_top1"}, tensorboard=False)
        for row in table:
            log.write({k: v for k, v in row.items()})
        new = best_of(lambda: log.write(table[-1]), reps=20)
        log.close()
        old = best_of(rewrite)
    return {"rows": rows, "before_s_per_write": old, "after_s_per_write": new}


# -- item 4 ------------------------------------------------------------------------------------


class CountAsDevice(TorchFunctionMode):
    """Counts the calls that would wait for a GPU if the CPU tensors were on one."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter = Counter()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if name in ("__bool__", "item", "__float__", "tolist", "nonzero"):
            self.calls[name] += 1
        elif name == "tensor" and "device" in kwargs:
            self.calls["torch.tensor(list, device=...)"] += 1
        elif name == "to" and not kwargs.get("non_blocking") and len(args) > 1:
            if isinstance(args[1], torch.device | str):
                self.calls[".to(device)"] += 1
        return func(*args, **kwargs)


def syncs_per_step() -> dict:
    from neuroalign.augment import get_recipe
    from neuroalign.backbones import create_ssl_model
    from neuroalign.losses import create_loss
    from neuroalign.preprocessing import Preprocessing
    from neuroalign.train.optim import LARS, WarmupCosineSchedule, lars_param_groups
    from neuroalign.train.profile import count_host_syncs
    from neuroalign.train.step import TrainStep

    old_aug = old_module("neuroalign/augment.py", "old_augment")
    old_pre = old_module("neuroalign/preprocessing.py", "old_preprocessing")
    old_opt = old_module("neuroalign/train/optim.py", "old_optim")
    torch.manual_seed(0)
    model = create_ssl_model("resnet18", (32, 16), cifar_stem=True)
    images = torch.randint(0, 256, (32, 3, 20, 20), dtype=torch.uint8)
    device = torch.device("cpu")
    prep = old_pre.Preprocessing.named("imagenet", 16, 16)
    opt = old_opt.LARS(old_opt.lars_param_groups(model, 1e-6), lr=0.1)
    loss = create_loss("clamp", r_s=3.0)  # check_finite on: the former behaviour
    gen = torch.Generator().manual_seed(0)
    with CountAsDevice() as counter:  # the former loop body, line for line
        idx = torch.randperm(32)[:8]
        batch = images[idx.to(device)]
        views = old_aug.augment_views(batch, 4, old_aug.get_recipe("imagenet", 16), generator=gen)
        x = prep.normalize(views.view(32, *views.shape[2:]))
        value = loss(model(x).float().view(4, 8, -1))
        opt.zero_grad(set_to_none=True)
        value.backward()
        opt.step()
    before = dict(counter.calls)
    meta = torch.device("meta")
    model = create_ssl_model("resnet18", (32, 16), cifar_stem=True).to(meta)
    opt = LARS(lars_param_groups(model, 1e-6), lr=0.1)
    loss = create_loss("clamp", r_s=3.0)
    loss.check_finite = False
    step = TrainStep(
        model, loss, opt, WarmupCosineSchedule(opt, 10, 2, 0.1),
        recipe=get_recipe("imagenet", 16), preprocessing=Preprocessing.named("imagenet", 16, 16),
        n_views=4, seed=0,
    )  # fmt: skip
    on_meta = torch.zeros(8, 3, 20, 20, dtype=torch.uint8, device=meta)
    step(on_meta, 0)
    with count_host_syncs(strict=True) as calls:
        for n in (1, 2, 3):
            step(on_meta, n)
    return {"before_calls_per_step": before, "before_total": sum(before.values()),
            "after_total": sum(calls.values())}  # fmt: skip


# -- item 5 ------------------------------------------------------------------------------------


def lars() -> dict:
    from torch.utils._python_dispatch import TorchDispatchMode

    from neuroalign.backbones import create_ssl_model
    from neuroalign.train import optim

    old = old_module("neuroalign/train/optim.py", "old_optim")

    class Ops(TorchDispatchMode):
        n = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.n += 1
            return func(*args, **(kwargs or {}))

    out = {}
    for label, module in (("before", old), ("after", optim)):
        torch.manual_seed(0)
        model = create_ssl_model("resnet18", (2048, 256), cifar_stem=True)
        opt = module.LARS(module.lars_param_groups(model, 1e-6), lr=0.3, weight_decay=1e-6)
        for p in model.parameters():
            p.grad = torch.randn_like(p)
        opt.step()
        with Ops() as ops:
            opt.step()
        out[f"{label}_aten_ops"] = ops.n
        out[f"{label}_s_per_step"] = best_of(opt.step, reps=5)
    return out


# -- item 6 ------------------------------------------------------------------------------------


def allocated_bytes(fn) -> int:
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU],
                                profile_memory=True) as prof:  # fmt: skip
        fn()
    return sum(max(0, e.self_cpu_memory_usage) for e in prof.key_averages())


def augmentation() -> list[dict]:
    from neuroalign import augment

    old = old_module("neuroalign/augment.py", "old_augment")
    rows = []
    for recipe, source, size, batch, views in (("imagenet", 256, 224, 16, 4),
                                               ("cifar10", 32, 32, 128, 16)):  # fmt: skip
        images = torch.randint(0, 256, (batch, 3, source, source), dtype=torch.uint8)
        row = {"recipe": recipe, "views": f"{batch} x {views} at {size} px from {source} px"}
        for label, module in (("before", old), ("after", augment), ("before", old)):
            gen = torch.Generator()

            def run(module=module, gen=gen, images=images, views=views, recipe=recipe, size=size):
                module.augment_views(images, views, recipe, size, gen.manual_seed(0))

            seconds = best_of(run)
            row[f"{label}_s"] = min(seconds, row.get(f"{label}_s", float("inf")))
            row[f"{label}_allocated_gb"] = allocated_bytes(run) / 1e9
        rows.append(row)
    return rows


# -- item 7 ------------------------------------------------------------------------------------


def decoding(workers: int, n: int) -> list[dict]:
    from PIL import Image

    from neuroalign.data import ImageFolderDataset
    from neuroalign.preprocessing import Preprocessing
    from neuroalign.train.sources import FolderSource, epoch_batches

    rows = []
    cpu = torch.device("cpu")
    for width, height in ((500, 375), (1200, 900)):
        with tempfile.TemporaryDirectory() as tmp:
            gen = torch.Generator().manual_seed(0)
            base = torch.rand(n, 3, 12, 16, generator=gen)
            for i in range(n):
                smooth = torch.nn.functional.interpolate(base[i : i + 1], (height, width),
                                                         mode="bicubic")[0]  # fmt: skip
                noise = 0.08 * torch.rand(3, height, width, generator=gen)
                pixels = ((smooth + noise).clamp(0, 1) * 255).byte().permute(1, 2, 0).numpy()
                folder = Path(tmp) / f"c{i % 2}"
                folder.mkdir(exist_ok=True)
                Image.fromarray(pixels).save(folder / f"{i}.jpg", quality=90)
            former = ImageFolderDataset(Path(tmp), transform=Preprocessing(256, 256).resize_crop)

            def old_epochs(epochs: int = 2, former=former) -> None:  # new workers per epoch
                for epoch in range(epochs):
                    batches = [b.tolist() for b in epoch_batches(n, epoch, 0, 16)]
                    loader = torch.utils.data.DataLoader(
                        former, batch_sampler=batches, num_workers=workers
                    )
                    for _ in loader:
                        pass

            source = FolderSource.from_folder(Path(tmp), 256, cpu, workers=workers, decode="cpu")

            def new_epochs(epochs: int = 2, source=source) -> None:
                for epoch in range(epochs):
                    for _ in source.epoch(epoch_batches(n, epoch, 0, 16)):
                        pass

            in_process = FolderSource.from_folder(Path(tmp), 256, cpu, workers=0, decode="device")

            def batched_decoder(in_process=in_process) -> None:
                for _ in in_process.images(torch.arange(n), 16):
                    pass

            new_epochs(1)  # start the persistent workers
            rows.append({
                "jpeg": f"{width}x{height}", "images": n, "workers": workers,
                "before_images_per_s": 2 * n / best_of(old_epochs, 2),
                "after_images_per_s": 2 * n / best_of(new_epochs, 2),
                "torchvision_batched_decode_in_process_images_per_s":
                    n / best_of(batched_decoder, 2),
            })  # fmt: skip
            source.close()
    return rows


# -- item 8 and 10 -----------------------------------------------------------------------------


def loss_precision() -> list[dict]:
    from neuroalign.losses import CLAMPLoss

    rows = []
    for m, b, d in ((4, 256, 512), (16, 128, 256)):
        z0 = torch.randn(m, b, d, generator=torch.Generator().manual_seed(0))
        row = {"shape": [m, b, d]}
        for dtype in (torch.float64, torch.float32):
            loss = CLAMPLoss(r_s=8.5, compute_dtype=dtype)
            z = z0.clone().requires_grad_(True)
            row[f"{dtype}_ms"] = 1000 * best_of(lambda loss=loss, z=z: loss(z).backward(), 5)
        rows.append(row)
    return rows


def probe_precision() -> dict:
    from neuroalign.train.probe import fit_linear_probe

    gen = torch.Generator().manual_seed(0)
    centres = torch.randn(10, 512, generator=gen)
    labels = torch.arange(10).repeat(1000)
    feats = centres[labels] + 2.0 * torch.randn(10_000, 512, generator=gen)
    test = centres[labels[:2000]] + 2.0 * torch.randn(2000, 512, generator=gen)
    old = old_module("neuroalign/train/probe.py", "old_probe")
    out = {"features": "10,000 x 512 train, 2,000 test, 10 classes; LBFGS max_iter 100"}
    for label, fit in (
        ("before_float64", old.fit_linear_probe),
        ("after_float32", fit_linear_probe),
    ):
        began = time.perf_counter()
        result = fit(feats, labels, test, labels[:2000], max_iter=100)
        out[f"{label}_s"] = time.perf_counter() - began
        out[f"{label}_test_top1"] = result.test_top1
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--images", type=int, default=96, help="JPEGs per decoding test")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    load = [round(x, 1) for x in os.getloadavg()]
    figures = {}
    for name, fn in (
        ("item 3: metrics.csv write at 39,000 rows", metrics_writes),
        ("item 4: host-device syncs per step", syncs_per_step),
        ("item 5: LARS on ResNet-18 + 512-2048-256 head", lars),
        ("item 6: augmentation", augmentation),
        ("item 7: JPEG decoding to 256 px", lambda: decoding(args.workers, args.images)),
        ("item 8: CLAMP loss forward + backward", loss_precision),
        ("item 10: linear probe", probe_precision),
    ):
        print(f"measuring {name} ...", flush=True)
        began = time.perf_counter()
        with contextlib.suppress(KeyboardInterrupt):
            figures[name] = fn()
        print(f"  {figures.get(name)} ({time.perf_counter() - began:.1f} s)", flush=True)
    lines = [
        "# Training path on the CPU: before vs after (issue 11)", "",
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}",
        f"- before: commit {BEFORE}; after: this tree",
        f"- machine: {os.cpu_count()} cores, torch {torch.__version__}, {args.threads} torch "
        f"thread(s); load average at start {load}, at end "
        f"{[round(x, 1) for x in os.getloadavg()]} (a shared machine: read the ratios)",
        f"- command: `python benchmarks/train_cpu_before_after.py "
        f"{' '.join(argv if argv is not None else sys.argv[1:])}`", "",
    ]  # fmt: skip
    for name, value in figures.items():
        lines += [f"## {name}", "", "```", _pretty(value), "```", ""]
    from neuroalign.io import atomic_write

    with atomic_write(args.output) as handle:
        handle.write("\n".join(lines))
    print(f"wrote {args.output}")
    return 0


def _pretty(value) -> str:
    import json

    def rounded(v):
        if isinstance(v, float):
            return float(f"{v:.4g}")
        if isinstance(v, dict):
            return {str(k): rounded(x) for k, x in v.items()}
        if isinstance(v, list):
            return [rounded(x) for x in v]
        return v

    return json.dumps(rounded(value), indent=1)


if __name__ == "__main__":
    sys.exit(main())
