"""The whole pipeline, end to end, on the default data with small settings (``neuroalign demo``).

train (CLAMP, ResNet-18, CIFAR-10) -> linear probe -> register as a Brain-Score model (and load
it back through Brain-Score's own API) -> V4 predictivity (Cowley 2023) -> RSA against monkey and
human IT (Kriegeskorte 2008) -> sub-manifold geometry (CIFAR-10), each for the trained network
and for the same architecture at random initialisation; then one summary table.

The demo is a script of commands: :func:`run_demo` runs each step as the ``neuroalign`` command
line a user would type (printed before it runs, so that it can be replayed step by step), and
:func:`summarise` joins the steps' tables. ``run_demo(DemoConfig())`` in a notebook does what
``neuroalign demo`` does. Only the configuration is imported at module level (the command line
builds ``--help`` from it); each step imports what it needs when it runs.
"""

from __future__ import annotations

# fmt: off
# (the stage command lines below read best as written)
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from neuroalign.config import save_config
from neuroalign.defaults import V4_SESSION
from neuroalign.io import atomic_write

__all__ = ["DemoConfig", "run_demo", "summarise"]


@dataclass(frozen=True)
class DemoConfig:
    """Options of the end-to-end demo (small settings: minutes on a laptop CPU)."""

    out: Path = field(default=Path("outputs/demo"), metadata={"help": "output folder"})
    train_steps: int = field(
        default=24, metadata={"help": "CLAMP training steps (one epoch of warm-up + cosine)"}
    )
    batch_size: int = field(default=32, metadata={"help": "images per training step"})
    views: int = field(default=4, metadata={"help": "augmentations per image"})
    sessions: tuple[str, ...] = field(
        default=(V4_SESSION, "201025"),
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


def _step(title: str, argv: list[str]) -> None:
    from neuroalign.cli import main

    print(f"\n=== {title}\n$ neuroalign {' '.join(argv)}", flush=True)
    start = time.perf_counter()
    code = main(argv)
    if code != 0:
        raise RuntimeError(f"demo step {title!r} failed (exit {code}): neuroalign {' '.join(argv)}")
    print(f"--- {title}: {time.perf_counter() - start:.0f} s", flush=True)


def _flags(**options: object) -> list[str]:
    """``--name value`` pairs (underscores become dashes; True gives a bare flag)."""
    argv: list[str] = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        argv += [flag] if value is True else [flag, str(value)]
    return argv


def run_demo(cfg: DemoConfig) -> int:
    """Run every stage, printing each command first; returns 0 on success (a failing stage
    raises with its command). Writes everything into ``cfg.out`` (``summary.csv`` last)."""
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    save_config(cfg, out / "config.yaml")
    started = time.perf_counter()
    checkpoints = out / "train" / "checkpoints"
    # the trained network and the same network before its first step (the matched baseline)
    models = {"clamp": checkpoints / "last.pt", "init": checkpoints / "init.pt"}
    device = cfg.device

    _step("fetch data", ["data", "fetch", "cowley2023"])
    # one short epoch over train_steps x batch images, so that warm-up and cosine fit the run
    train = _flags(recipe="cifar10", arch="resnet18", loss="clamp", views=cfg.views,
                   batch_size=cfg.batch_size, train_subset=cfg.train_steps * cfg.batch_size,
                   epochs=1, warmup_epochs=0.2, max_steps=cfg.train_steps, device=device,
                   output_dir=out / "train", knn_every_epochs=1, knn_train_size=2000,
                   knn_test_size=1000)
    _step("train", ["train", *train, *(["--resume"] if models["clamp"].exists() else [])])
    _step("probe", ["probe", str(models["clamp"]),
                    *_flags(train_subset=2000, test_subset=1000, device=device,
                            output=out / "probe.json")])
    register = _flags(model=models["clamp"], identifier=cfg.identifier, out=out / "models",
                      select_v4=True, v4_session=cfg.sessions[0], force=True)
    _step("register", ["register", *register, "--install" if cfg.install else "--no-install"])
    if cfg.install:
        code = ("import neuroalign, brainscore_vision as b; m = b.load_model(%r); "
                "print('brainscore_vision.load_model ->', m.identifier, m.visual_degrees())")
        subprocess.run([sys.executable, "-c", code % cfg.identifier], check=True)
    for name, spec in models.items():
        _step(f"score V4 ({name})",
              ["score", *_flags(model=spec, benchmark="V4", sessions=",".join(cfg.sessions),
                                n_boot=100, device=device, out=out / "score" / name)])
        _step(f"rsa IT ({name})",
              ["rsa", *_flags(model=spec, benchmark="IT", n_bootstrap=200, device=device,
                              out=out / "rsa" / name)])
        # overlaps at r_s = 1 (the radii themselves): at the training scale r_s = 7 every pair
        # of sub-manifolds of a briefly trained network overlaps
        _step(f"geometry ({name})",
              ["geometry", *_flags(model=spec, dataset="cifar10", n_images=cfg.geometry_images,
                                   r_s=1.0, device=device, out=out / "geometry" / name)])

    summary = summarise(out, list(models))
    with _pd_options():
        print("\n=== summary (trained CLAMP vs the same network at initialisation)")
        print(summary.to_string(index=False))
    probe = json.loads((out / "probe.json").read_text())
    print(f"\nlinear probe (CIFAR-10 test top-1): {probe['test_top1']:.1%}")
    print(f"all outputs in {out} ({time.perf_counter() - started:.0f} s)")
    return 0


def _pd_options():
    import pandas as pd

    return pd.option_context("display.width", 200, "display.precision", 3)


def summarise(out: Path, names: list[str]):
    """One row per (model, layer): V4 score, IT RSA (monkey, human), dimension, capacity."""
    import pandas as pd

    rows = []
    for name in names:
        score = pd.read_csv(out / "score" / name / "scores.csv")
        rsa = pd.read_csv(out / "rsa" / name / "rsa_scores.csv")
        geometry = pd.read_csv(out / "geometry" / name / "summary.csv")
        table = _by_layer(score, "V4").join(_by_layer(rsa, "IT"), how="outer")
        table = table.join(_by_layer(geometry, "geometry"), how="outer")
        depth_order = dict.fromkeys([*rsa["layer"], *score["layer"], *geometry["layer"]])
        table = table.reindex(list(depth_order))
        table = table.reset_index().rename(columns={"index": "layer"})
        table.insert(0, "model", name)
        rows.append(table)
    summary = pd.concat(rows, ignore_index=True)
    with atomic_write(out / "summary.csv") as handle:
        summary.to_csv(handle, index=False)
    return summary


def _by_layer(table, kind: str):
    """Reduce one step's table to a few headline columns indexed by layer."""
    if kind == "V4":
        value = next(c for c in ("score", "raw_r", "r") if c in table.columns)
        return table.groupby("layer", sort=False)[value].mean().to_frame("V4_r")
    if kind == "IT":
        pivot = table.pivot_table(index="layer", columns="reference", values="score", sort=False)
        return pivot.add_prefix("IT_rsa_")
    keep = ["pr_global", "erank_global", "overlap_fraction_intra", "overlap_fraction_inter"]
    keep += ["class_capacity"]
    return table.set_index("layer")[[c for c in keep if c in table.columns]]
