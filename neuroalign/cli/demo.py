"""`neuroalign demo`: the whole pipeline, end to end, on the default data (small settings).

train (CLAMP, ResNet-18, CIFAR-10) -> linear probe -> register as a Brain-Score model (and load
it back through Brain-Score's own API) -> V4 predictivity (Cowley 2023) -> RSA against monkey and
human IT (Kriegeskorte 2008) -> sub-manifold geometry (CIFAR-10), each for the trained network
and for the same architecture at random initialisation; then one summary table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from neuroalign.cli._common import add_subparser
from neuroalign.config import add_config_arguments, config_from_args, save_config

__all__ = ["DemoConfig", "add_parser", "run_demo"]

DESCRIPTION = """\
Run the whole pipeline on the default data with small settings (minutes on a laptop CPU):

  1. train      CLAMP on a CIFAR-10 subset (ResNet-18, CIFAR stem, m views)
  2. probe      linear probe of the frozen backbone on CIFAR-10
  3. register   write a Brain-Score plugin for the checkpoint, install it, and load it back
                with brainscore_vision.load_model
  4. score      V4 neural predictivity per layer (Cowley 2023), trained vs random init
  5. rsa        layer RDMs vs monkey and human IT on the 92 images, trained vs random init
  6. geometry   sub-manifold radii, overlaps, dimension and capacity, trained vs random init

Everything lands in --out (default outputs/demo): one folder per step and summary.csv.
The same steps at full size are the individual commands (see each `--help`).

examples:
  neuroalign demo
  neuroalign demo --train-steps 200 --device cuda --out outputs/demo-gpu
"""


@dataclass(frozen=True)
class DemoConfig:
    out: Path = field(default=Path("outputs/demo"), metadata={"help": "output folder"})
    train_steps: int = field(
        default=24, metadata={"help": "CLAMP training steps (one epoch of warm-up + cosine)"}
    )
    batch_size: int = field(default=32, metadata={"help": "images per training step"})
    views: int = field(default=4, metadata={"help": "augmentations per image"})
    sessions: tuple[str, ...] = field(
        default=("210325", "201025"),
        metadata={"help": "Cowley 2023 V4 sessions to score (the first also picks the V4 layer)"},
    )
    geometry_images: int = field(default=200, metadata={"help": "images for the geometry step"})
    identifier: str = field(
        default="neuroalign-demo-clamp-resnet18", metadata={"help": "Brain-Score identifier"}
    )
    install: bool = field(
        default=True, metadata={"help": "install the plugin into brainscore_vision"}
    )
    device: str = field(default="cpu", metadata={"help": "cpu, cuda, ..."})


def add_parser(subparsers):
    parser = add_subparser(
        subparsers,
        "demo",
        help="run the whole pipeline end to end (small)",
        description=DESCRIPTION,
    )
    add_config_arguments(parser, DemoConfig)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    return run_demo(config_from_args(DemoConfig, args))


def _step(title: str, argv: list[str]) -> None:
    from neuroalign.cli import main

    print(f"\n=== {title}\n$ neuroalign {' '.join(argv)}", flush=True)
    start = time.perf_counter()
    code = main(argv)
    if code != 0:
        raise RuntimeError(f"demo step {title!r} failed (exit {code}): neuroalign {' '.join(argv)}")
    print(f"--- {title}: {time.perf_counter() - start:.0f} s", flush=True)


def run_demo(cfg: DemoConfig) -> int:
    """Run every stage; returns 0 on success (a failing stage raises with its command)."""
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    save_config(cfg, out / "config.yaml")
    started = time.perf_counter()
    sessions = ",".join(cfg.sessions)
    ckpt = out / "train" / "checkpoints" / "last.pt"
    models = {"clamp": str(ckpt), "random": "resnet18"}

    _step("fetch data", ["data", "fetch", "cowley2023"])
    train = [
        "train",
        "--recipe",
        "cifar10",
        "--arch",
        "resnet18",
        "--loss",
        "clamp",
        "--views",
        str(cfg.views),
        "--batch-size",
        str(cfg.batch_size),
        # one short epoch over train_steps x batch images, so that the warm-up and the
        # cosine schedule fit in the run
        "--train-subset",
        str(cfg.train_steps * cfg.batch_size),
        "--epochs",
        "1",
        "--warmup-epochs",
        "0.2",
        "--max-steps",
        str(cfg.train_steps),
        "--device",
        cfg.device,
        "--output-dir",
        str(out / "train"),
        "--knn-every-epochs",
        "1",
        "--knn-train-size",
        "2000",
        "--knn-test-size",
        "1000",
    ]
    if ckpt.exists():
        train.append("--resume")
    _step("train", train)
    _step(
        "probe",
        [
            "probe",
            str(ckpt),
            "--train-subset",
            "2000",
            "--test-subset",
            "1000",
            "--device",
            cfg.device,
            "--output",
            str(out / "probe.json"),
        ],
    )
    register = [
        "register",
        "--model",
        str(ckpt),
        "--identifier",
        cfg.identifier,
        "--out",
        str(out / "models"),
        "--select-v4",
        "--v4-session",
        cfg.sessions[0],
        "--force",
    ]
    _step("register", [*register, "--install" if cfg.install else "--no-install"])
    if cfg.install:
        code = (
            "import brainscore_vision as b; m = b.load_model(%r); "
            "print('brainscore_vision.load_model ->', m.identifier, m.visual_degrees())"
        )
        subprocess.run([sys.executable, "-c", code % cfg.identifier], check=True)
    for name, spec in models.items():
        _step(
            f"score V4 ({name})",
            [
                "score",
                "--model",
                spec,
                "--benchmark",
                "V4",
                "--sessions",
                sessions,
                "--n-boot",
                "100",
                "--device",
                cfg.device,
                "--out",
                str(out / "score" / f"{name}.json"),
            ],
        )
        _step(
            f"rsa IT ({name})",
            [
                "rsa",
                "--model",
                spec,
                "--benchmark",
                "IT",
                "--n-bootstrap",
                "200",
                "--device",
                cfg.device,
                "--out",
                str(out / "rsa" / name),
            ],
        )
        _step(
            f"geometry ({name})",
            [
                "geometry",
                "--model",
                spec,
                "--dataset",
                "cifar10",
                "--n-images",
                str(cfg.geometry_images),
                "--device",
                cfg.device,
                "--out",
                str(out / "geometry" / name),
            ],
        )

    summary = summarise(out, list(models))
    print("\n=== summary (trained CLAMP vs random init)\n" + summary.to_string(index=False))
    print(f"\nprobe: {json.loads((out / 'probe.json').read_text()).get('top1', 'see probe.json')}")
    print(f"all outputs in {out} ({time.perf_counter() - started:.0f} s)")
    return 0


def summarise(out: Path, names: list[str]):
    """One row per (model, layer): V4 score, IT RSA (monkey, human), dimension, capacity."""
    import pandas as pd

    rows = []
    for name in names:
        score = pd.read_csv(out / "score" / f"{name}.csv")
        rsa = pd.read_csv(out / "rsa" / name / "rsa_scores.csv")
        geometry = pd.read_csv(out / "geometry" / name / "summary.csv")
        table = _by_layer(score, "V4").join(_by_layer(rsa, "IT"), how="outer")
        table = table.join(_by_layer(geometry, "geometry"), how="outer")
        table.insert(0, "model", name)
        rows.append(table.reset_index())
    return pd.concat(rows, ignore_index=True)


def _by_layer(table, kind: str):
    """Reduce one step's table to a few headline columns indexed by layer."""
    if kind == "V4":
        value = next(c for c in ("score", "raw_r", "r") if c in table.columns)
        return table.groupby("layer", sort=False)[value].mean().to_frame("V4_r")
    if kind == "IT":
        pivot = table.pivot_table(index="layer", columns="reference", values="score", sort=False)
        return pivot.add_prefix("IT_rsa_")
    keep = [
        c
        for c in (
            "participation_ratio",
            "effective_rank",
            "capacity",
            "overlap_intra",
            "overlap_inter",
        )
        if c in table.columns
    ]
    return table.set_index("layer")[keep]
