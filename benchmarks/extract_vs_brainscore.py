"""Activation extraction: neuroalign vs Brain-Score's ``PytorchWrapper``, side by side on CPU.

The same network (torchvision ResNet-50, random init under ``torch.manual_seed(0)``), the same
stimuli (the 1,200 V4 images of Cowley et al. 2023 session 201025, or the first ``--n``), the
same layers and the same preprocessing on both sides (resize 112 -> 224 with PIL bilinear,
ImageNet normalisation: Brain-Score's ``load_preprocess_images(image_size=224)``; neuroalign's
``Preprocessing(image_size=224, resize=224)``, identical on square images).

Each side runs in its own child process (so its peak resident memory is its own), writes its
activations to ``--workdir`` as .npy files, and reports the wall time of the extraction call
(model built and data loaded beforehand). The parent compares the arrays (max abs difference
per layer) and writes ``benchmarks/results/extract_vs_brainscore.md``.

    python benchmarks/extract_vs_brainscore.py                 # full run (1,200 images)
    python benchmarks/extract_vs_brainscore.py --n 128 --layers layer3,layer4   # quick
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _report import PROVISIONAL, load, results_path, speed_summary  # noqa: E402

RESULTS = HERE / "results" / "extract_vs_brainscore.md"
DEFAULT_LAYERS = "layer2,layer3,layer4,avgpool"


def _stimuli(session: str, n: int):
    from neuroalign.data import cowley2023_stimulus_set

    ss = cowley2023_stimulus_set(session)
    sub = ss.iloc[:n].reset_index(drop=True)
    sub.stimulus_paths = {k: ss.stimulus_paths[k] for k in sub["stimulus_id"]}
    sub.identifier = None  # no result caching on Brain-Score's side
    return sub


def worker(side: str, args: argparse.Namespace) -> None:
    """Run one side; print a JSON line with wall time, peak RSS and shapes."""
    os.environ["RESULTCACHING_DISABLE"] = "1"
    import torch

    from neuroalign.extract import extract_activations, load_model
    from neuroalign.preprocessing import Preprocessing

    layers = args.layers.split(",")
    stimuli = _stimuli(args.session, args.n)
    lm = load_model("resnet50")
    lm.preprocessing = Preprocessing(image_size=224, resize=224)
    out = Path(args.workdir)
    if side == "neuroalign":
        start = time.perf_counter()
        acts = extract_activations(lm, stimuli, layers, batch_size=args.batch_size, device="cpu")
        wall = time.perf_counter() - start
        arrays = {name: a.values for name, a in acts.items()}
        ids = list(acts[layers[0]]["stimulus_id"].values)
    else:
        import functools

        from brainscore_vision.model_helpers.activations.pytorch import (
            PytorchWrapper,
            load_preprocess_images,
        )

        wrapper = PytorchWrapper(
            model=lm.model,
            preprocessing=functools.partial(load_preprocess_images, image_size=224),
            identifier="resnet50-seed0-bench",
            batch_size=args.batch_size,
        )
        start = time.perf_counter()
        assembly = wrapper(stimuli, layers=layers)
        wall = time.perf_counter() - start
        layer_of = assembly["layer"].values
        arrays = {name: assembly.values[:, layer_of == name] for name in layers}
        ids = list(assembly["stimulus_id"].values)
    for name, values in arrays.items():
        np.save(out / f"{side}-{name}.npy", np.ascontiguousarray(values, dtype=np.float32))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "side": side,
        "wall_s": wall,
        "peak_rss_mb": peak_mb,
        "shapes": {k: list(v.shape) for k, v in arrays.items()},
        "ids": ids,
        "threads": torch.get_num_threads(),
    }
    print("RESULT " + json.dumps(result), flush=True)


def run_side(side: str, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--worker", side, "--n", str(args.n), "--layers", args.layers,
           "--batch-size", str(args.batch_size), "--session", args.session,
           "--workdir", args.workdir]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"{side} failed (exit {proc.returncode})")
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT ") :])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1200, help="number of stimuli (first n)")
    parser.add_argument("--layers", default=DEFAULT_LAYERS, help="comma-separated layers")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--session", default="201025")
    parser.add_argument("--workdir", default=None, help="where the .npy files go (default tmp)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--quick", action="store_true", help="128 images, the avgpool layer")
    parser.add_argument("--worker", choices=("neuroalign", "brainscore"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.layers = 128, "avgpool"
    os.environ.setdefault("NEUROALIGN_MIRROR", str(HERE.parents[1] / "shared" / "data"))
    if args.worker:
        worker(args.worker, args)
        return 0
    tmp = None
    if args.workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="extract-bench-")
        args.workdir = tmp.name
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = load()
    results = {}
    for side in ("brainscore", "neuroalign"):
        print(f"running {side} ...", flush=True)
        results[side] = run_side(side, args)
        print(
            f"  {side}: {results[side]['wall_s']:.1f} s, peak {results[side]['peak_rss_mb']:.0f} MB"
        )
    assert results["brainscore"]["ids"] == results["neuroalign"]["ids"], "stimulus order differs"
    diffs = {}
    for name in args.layers.split(","):
        a = np.load(Path(args.workdir) / f"neuroalign-{name}.npy", mmap_mode="r")
        b = np.load(Path(args.workdir) / f"brainscore-{name}.npy", mmap_mode="r")
        assert a.shape == b.shape, (name, a.shape, b.shape)
        diff = float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
        diffs[name] = {
            "shape": list(a.shape),
            "max_abs_diff": diff,
            "max_abs": float(np.max(np.abs(b))),
        }
    ratio = results["brainscore"]["wall_s"] / results["neuroalign"]["wall_s"]
    end_load = os.getloadavg()[0]
    lines = [
        "# Activation extraction: neuroalign vs Brain-Score `PytorchWrapper`",
        "",
        f"- date: {started:%Y-%m-%d %H:%M} UTC",
        f"- device: CPU, {platform.machine()}, {os.cpu_count()} cores visible (shared with other "
        f"jobs; load average {end_load:.1f} at the end), torch threads "
        f"{results['neuroalign']['threads']}",
        "- command: `python benchmarks/extract_vs_brainscore.py "
        + " ".join(a for a in (argv if argv is not None else sys.argv[1:]))
        + "`",
        f"- model: torchvision ResNet-50, random init (torch.manual_seed(0)); "
        f"stimuli: Cowley et al. 2023 session {args.session}, first {args.n} images (112 px "
        f"JPEGs); preprocessing: resize to 224 (PIL bilinear), ImageNet mean/std, both sides; "
        f"batch size {args.batch_size}; layers {args.layers}",
        f"- status: {PROVISIONAL}",
        "- each side in its own process; wall time of the extraction call only (model built, "
        "stimulus set loaded before); peak RSS of the whole process",
        "",
        "| tool | wall time (s) | images/s | peak RSS (MB) |",
        "| --- | --- | --- | --- |",
    ]
    for side, label in (("brainscore", "Brain-Score PytorchWrapper"), ("neuroalign", "neuroalign")):
        r = results[side]
        lines.append(
            f"| {label} | {r['wall_s']:.1f} | {args.n / r['wall_s']:.1f} | {r['peak_rss_mb']:.0f} |"
        )
    lines += [
        "",
        f"**Speed-up (Brain-Score time / neuroalign time): {ratio:.2f}x**; "
        f"peak memory ratio {results['brainscore']['peak_rss_mb'] / results['neuroalign']['peak_rss_mb']:.2f}x.",
        "",
        "| layer | presentations x features | max abs diff | max abs value |",
        "| --- | --- | --- | --- |",
    ]
    for name, d in diffs.items():
        lines.append(
            f"| {name} | {d['shape'][0]} x {d['shape'][1]} | {d['max_abs_diff']:.2e} | "
            f"{d['max_abs']:.2f} |"
        )
    lines += [
        "",
        "Where the time goes: both sides run the same float32 forward pass, which dominates on "
        "CPU. neuroalign decodes images in DataLoader workers, runs the network in channels-last "
        "memory format (oneDNN's faster convolution layout), stops the pass after the last "
        "requested layer, writes each batch into preallocated per-layer arrays and builds the "
        "neuroid coordinates vectorised; Brain-Score decodes in the main process, runs the "
        "contiguous (NCHW) layout, builds coordinates with Python loops and concatenates all "
        "layers into one more copy. Differences are float32 rounding of the two memory layouts.",
        "",
        f"Target (>= 5x faster): {'met' if ratio >= 5 else 'NOT met'} in this run.",
        "",
    ]
    if args.n < 1200:
        lines += [
            f"Subset run ({args.n} of 1,200 images): on this shared 2-core machine the full set "
            "takes well over the 10-minute budget; run without --n for the full comparison.",
            "",
        ]
    lines += speed_summary(
        [
            ("activation extraction", "Brain-Score `PytorchWrapper`",
             f"ResNet-50, {args.n} images, layers {args.layers}", results["brainscore"]["wall_s"],
             results["neuroalign"]["wall_s"], f"{load_before} -> {load()}")
        ]
    )  # fmt: skip
    from neuroalign.io import atomic_write

    out = results_path(args.out, RESULTS, args.quick)
    with atomic_write(out) as handle:
        handle.write("\n".join(lines))
    print("\n".join(lines))
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
