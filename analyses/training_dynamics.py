"""Training dynamics of six self-supervised objectives: packing, dimension and brain alignment.

CLAMP (Zhang, Heeger & Martiniani 2025), SimCLR (Chen et al. 2020), VICReg (Bardes, Ponce &
LeCun 2022), MMCR (Yerxa et al. 2023), DirectCLR (Jing, Vincent, LeCun & Tian 2022; projector-
free) and AdaDim (Kokilepersaud, Prabhushankar & AlRegib 2025) train the same backbone
(ResNet-18 with the CIFAR stem) on the same images (CIFAR-10) with the same budget (epochs,
batch, views, LARS schedule); only the loss differs (and DirectCLR has no projection head, as
the method prescribes). Every run is tracked while it trains (``neuroalign train --track
packing,dimension,alignment``, :mod:`neuroalign.tracking`) on the same fixed probe sets:

* packing (CLAMP Fig. 3): sub-manifold radius, neighbour count, overlaps of m views of 128 test
  images, on the embedding and the representation;
* dimension: participation ratio and effective rank of representation and embedding, I(R; Z);
* alignment: V4 predictivity (Cowley 2023, layer3, ridge on a random projection) and RSA with
  monkey and human IT (Kriegeskorte 2008, layer4);
* linear readout: the loop's kNN top-1 on the CIFAR-10 test split.

Writes into ``--out``: ``runs/<loss>/`` (each run: metrics.csv, checkpoints, config),
``dynamics.png`` (every quantity against step, one colour per objective:
:func:`neuroalign.tracking.plot_run`), ``final.csv`` (one row per objective: the last measured
value of each headline quantity) and ``config.yaml``. A finished run is reused when the script
is run again; an interrupted one is resumed.

Example::

    python analyses/training_dynamics.py --tiny --out /tmp/td        # CI size, CPU (minutes)
    python analyses/training_dynamics.py --out results/td             # CPU: 5,000 images, 5 epochs
    python analyses/training_dynamics.py --full --device cuda --out results/td_full   # GPU

See ``analyses/README.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neuroalign.config import add_config_arguments, config_from_args, save_config
from neuroalign.errors import DataError
from neuroalign.io import atomic_write

__all__ = [
    "FINAL_COLUMNS",
    "LOSSES",
    "DynamicsConfig",
    "effective_settings",
    "final_table",
    "main",
    "run_config",
    "run_dynamics",
]

#: The objectives compared, in the order of the figure's legend.
LOSSES = ("clamp", "simclr", "vicreg", "mmcr", "directclr", "adadim")

#: Headline quantities of ``final.csv``: column of the runs' metrics -> name in the table.
FINAL_COLUMNS: dict[str, str] = {
    "knn_top1": "knn_top1",
    "alignment/layer3/v4_r": "v4_r_layer3",
    "alignment/layer3/v4_ev": "v4_ceiled_ev_layer3",
    "alignment/layer4/it_monkey": "it_monkey_rsa_layer4",
    "alignment/layer4/it_human": "it_human_rsa_layer4",
    "dimension/representation/participation_ratio": "representation_pr",
    "dimension/representation/effective_rank": "representation_erank",
    "dimension/mutual_information": "mutual_information_RZ",
    "packing/embedding/neighbour_count": "embedding_neighbour_count",
    "packing/embedding/mean_radius": "embedding_radius",
}


@dataclass(frozen=True)
class DynamicsConfig:
    """Options of the training-dynamics comparison (each is also a ``--flag``)."""

    losses: tuple[str, ...] = field(
        default=LOSSES, metadata={"help": "objectives to train, comma-separated"}
    )
    out: Path = field(
        default=Path("runs/training_dynamics"),
        metadata={"help": "output folder (runs/, dynamics.png, final.csv, config.yaml)"},
    )
    epochs: int = field(default=5, metadata={"help": "training epochs of every run"})
    train_subset: int | None = field(
        default=5000, metadata={"help": "CIFAR-10 training images used (None: all 50,000)"}
    )
    batch_size: int = field(default=64, metadata={"help": "images per step"})
    views: int = field(default=4, metadata={"help": "augmented views per image (every loss)"})
    image_size: int = field(default=32, metadata={"help": "crop side in px"})
    track_every_epochs: int = field(default=1, metadata={"help": "tracking and kNN interval"})
    adadim_tau: int = field(
        default=1, metadata={"help": "AdaDim: epochs between two estimates of alpha"}
    )
    directclr_d0: int = field(
        default=360, metadata={"help": "DirectCLR: sub-vector length (<= 512 for ResNet-18)"}
    )
    seed: int = field(default=0, metadata={"help": "seed of every run (same data order)"})
    device: str = field(default="auto", metadata={"help": "auto, cpu, cuda, ..."})
    tiny: bool = field(
        default=False,
        metadata={
            "help": "CI size: 128 images at 16 px, batch 32 x 2 views, 2 epochs tracked at the "
            "start and the end, small probes (100 V4 images, 64 probe images, 16 packed)"
        },
    )
    full: bool = field(
        default=False,
        metadata={
            "help": "GPU size: all 50,000 images, batch 256 x 4 views, 100 epochs, tracked "
            "every 5 epochs (AdaDim tau 10)"
        },
    )

    def __post_init__(self) -> None:
        unknown = [loss for loss in self.losses if loss not in LOSSES]
        if unknown or not self.losses:
            raise ValueError(f"--losses: choose from {', '.join(LOSSES)}, got {self.losses}")
        if self.tiny and self.full:
            raise ValueError("--tiny and --full exclude each other")
        for name in ("epochs", "batch_size", "track_every_epochs", "adadim_tau"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 1")


def effective_settings(cfg: DynamicsConfig) -> DynamicsConfig:
    """``cfg`` with the ``--tiny`` / ``--full`` sizes applied."""
    if cfg.tiny:
        return dataclasses.replace(
            cfg, epochs=2, train_subset=128, batch_size=32, views=2, image_size=16,
            track_every_epochs=2, adadim_tau=1,
        )  # fmt: skip
    if cfg.full:
        return dataclasses.replace(
            cfg, epochs=100, train_subset=None, batch_size=256, views=4, image_size=32,
            track_every_epochs=5, adadim_tau=10,
        )  # fmt: skip
    return cfg


def run_config(cfg: DynamicsConfig, loss: str) -> Any:
    """The :class:`~neuroalign.train.TrainConfig` of one objective: the CLAMP CIFAR-10 recipe
    (ResNet-18, CIFAR stem, head 512-2048-256, LARS) at ``cfg``'s budget, tracked."""
    from neuroalign.train import resolve_train_config

    values: dict[str, Any] = dict(
        loss=loss,
        epochs=cfg.epochs,
        train_subset=cfg.train_subset,
        batch_size=cfg.batch_size,
        views=cfg.views,
        image_size=cfg.image_size,
        warmup_epochs=min(10.0, cfg.epochs / 10),
        seed=cfg.seed,
        device=cfg.device,
        output_dir=Path(cfg.out) / "runs" / loss,
        save_every_epochs=cfg.epochs,
        log_every_steps=10 if cfg.full else 1,
        knn_every_epochs=cfg.track_every_epochs,
        track=("packing", "dimension", "alignment"),
        track_every_epochs=cfg.track_every_epochs,
        progress=False,
    )
    if loss == "directclr":
        values.update(head_dims=(), loss_options=(f"d0={cfg.directclr_d0}",))
    if loss == "adadim":
        values.update(loss_options=(f"tau={cfg.adadim_tau}",))
    if cfg.tiny:
        values.update(
            knn_train_size=256, knn_test_size=200, track_images=64, track_packing_images=16,
            track_v4_images=100,
        )  # fmt: skip
    return resolve_train_config(values, recipe="cifar10")


def final_table(run_dirs: dict[str, Path]) -> pd.DataFrame:
    """One row per objective: the last finite value of each :data:`FINAL_COLUMNS` quantity
    and the step it was measured at (NaN where a run never measured it)."""
    from neuroalign.tracking.plot import read_run_metrics

    rows = []
    for loss, run in run_dirs.items():
        metrics = read_run_metrics(run)
        row: dict[str, Any] = {"loss": loss, "final_step": int(metrics["step"].iloc[-1])}
        for column, name in FINAL_COLUMNS.items():
            values = pd.to_numeric(metrics.get(column, pd.Series(dtype=float)), errors="coerce")
            finite = values[np.isfinite(values)]
            row[name] = float(finite.iloc[-1]) if len(finite) else float("nan")
        rows.append(row)
    return pd.DataFrame(rows, columns=["loss", "final_step", *FINAL_COLUMNS.values()])


def run_dynamics(cfg: DynamicsConfig, log: Any = print) -> tuple[pd.DataFrame, Path]:
    """Train (or reuse / resume) every objective, then write the figure; returns (table, png)."""
    from neuroalign.provenance import save_figure
    from neuroalign.tracking import plot_run
    from neuroalign.train import train

    cfg = effective_settings(cfg)
    runs: dict[str, Path] = {}
    for loss in cfg.losses:
        tc = run_config(cfg, loss)
        run = Path(tc.output_dir)
        last = run / "checkpoints" / "last.pt"
        if not _finished(last):
            began, resumed = time.perf_counter(), " (resumed)" if last.is_file() else ""
            train(dataclasses.replace(tc, resume=bool(resumed)))
            log(f"{loss}: trained{resumed} in {time.perf_counter() - began:.0f} s -> {run}")
        else:
            log(f"{loss}: reusing the finished run in {run}")
        runs[loss] = run
    figure = save_figure(plot_run(list(runs.values())), Path(cfg.out) / "dynamics.png")
    return final_table(runs), figure


def _finished(last: Path) -> bool:
    """Whether the checkpoint ``last`` is the end of its run (its schedule's last step)."""
    from neuroalign.backbones import read_checkpoint

    if not last.is_file():
        return False
    state = read_checkpoint(last, map_location="cpu")
    return int(state.get("step", 0)) >= int(state["scheduler"]["total_steps"])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="training_dynamics.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=__doc__,
    )
    add_config_arguments(parser, DynamicsConfig)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        cfg = config_from_args(DynamicsConfig, args)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    save_config(effective_settings(cfg), out / "config.yaml")
    try:
        table, figure = run_dynamics(cfg, log=lambda msg: print(msg, flush=True))
    except (DataError, ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    with atomic_write(out / "final.csv") as handle:
        table.to_csv(handle, index=False)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.round(3).to_string(index=False))
    print(f"wrote {out / 'final.csv'} and {figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
