"""The metrics of a run: ``metrics.csv`` (appended, one row per logged step) and TensorBoard.

A row holds the loop's columns (:data:`BASE_COLUMNS`: step, epoch, mean loss since the last row,
learning rate, view-images per second, elapsed seconds) and those its callbacks declare (see
:mod:`neuroalign.train.callbacks`). Rows are appended and flushed as they come -- the cost of a
row does not grow with the run (rewriting the whole file with an fsync every 10 steps took
0.56 s a write at the 39,000 rows of the CIFAR-10 recipe). On ``--resume`` the rows after the
checkpoint's step (logged, but not checkpointed, before the interruption) are dropped once, so
the resumed run appends exactly the rows an uninterrupted run would have written.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from neuroalign.io import atomic_write

__all__ = ["BASE_COLUMNS", "LossMeter", "MetricsLog", "read_metrics"]

#: the loop's own columns, in order
BASE_COLUMNS = ("step", "epoch", "loss", "lr", "view_images_per_s", "elapsed_s")


def read_metrics(path: Path, up_to_step: int | None = None) -> tuple[list[str], list[dict]]:
    """Header and rows of a metrics.csv (numbers parsed; empty cells kept as ""), optionally
    only the rows with ``step <= up_to_step``."""
    if not path.is_file():
        return [], []
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        header, raw = list(reader.fieldnames or []), list(reader)
    rows = []
    for row in raw:
        if not row.get("step"):
            continue
        parsed: dict[str, Any] = {}
        for key, value in row.items():
            try:
                parsed[key] = int(value) if key == "step" else float(value)
            except (TypeError, ValueError):
                parsed[key] = value
        if up_to_step is None or parsed["step"] <= up_to_step:
            rows.append(parsed)
    return header, rows


class MetricsLog:
    """Appends rows to ``folder/metrics.csv`` and scalars to ``folder/tensorboard``.

    Args:
        folder: the run folder.
        tags: column -> TensorBoard tag of the callbacks' columns (after :data:`BASE_COLUMNS`).
        enabled: write anything (rank 0); other ranks keep rows in memory only.
        tensorboard: also write TensorBoard events (when ``tensorboard`` is installed).
        resume_step: the step of the checkpoint a resumed run starts from (``None``: a new run,
            an existing metrics.csv is replaced).
    """

    def __init__(
        self,
        folder: Path,
        tags: Mapping[str, str],
        *,
        enabled: bool = True,
        tensorboard: bool = True,
        resume_step: int | None = None,
    ) -> None:
        self.path = Path(folder) / "metrics.csv"
        self.tags = {**{c: f"train/{c}" for c in BASE_COLUMNS}, **tags}
        self.columns = list(self.tags)
        self.rows: list[dict[str, Any]] = []
        self._handle = None
        self._writer = None
        self._tensorboard = None
        if resume_step is not None:
            header, self.rows = read_metrics(self.path, resume_step)
            self.columns = header + [c for c in self.columns if c not in header]
        if not enabled:
            return
        self._open(rewrite=resume_step is None or self._differs_on_disk())
        if tensorboard:
            with contextlib.suppress(ImportError):
                from torch.utils.tensorboard import SummaryWriter

                self._tensorboard = SummaryWriter(
                    str(Path(folder) / "tensorboard"), purge_step=resume_step or None
                )

    def _differs_on_disk(self) -> bool:
        header, rows = read_metrics(self.path)
        return header != self.columns or len(rows) != len(self.rows)

    def _open(self, rewrite: bool) -> None:
        if rewrite:  # once per run: a new file, or the kept rows under the (extended) header
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=self.columns, restval="")
            writer.writeheader()
            writer.writerows(self.rows)
            with atomic_write(self.path) as handle:
                handle.write(buffer.getvalue())
        self._handle = open(self.path, "a", newline="")  # kept open for the run
        self._writer = csv.DictWriter(self._handle, fieldnames=self.columns, restval="")

    def write(self, row: Mapping[str, Any]) -> None:
        """Append one row (missing columns stay empty) and its numbers to TensorBoard."""
        unknown = set(row) - set(self.columns)
        if unknown:
            raise ValueError(f"metrics row has undeclared columns {sorted(unknown)}")
        self.rows.append(dict(row))
        if self._writer is not None:
            self._writer.writerow(row)
            self._handle.flush()
        if self._tensorboard is not None:
            for key, value in row.items():
                if key != "step" and isinstance(value, int | float) and math.isfinite(value):
                    self._tensorboard.add_scalar(self.tags[key], value, int(row["step"]))

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = self._writer = None
        if self._tensorboard is not None:
            self._tensorboard.close()
            self._tensorboard = None


class LossMeter:
    """Sums the monitored loss of the steps since the last row on the device (no host read per
    step) and turns it into the loop's row when asked.

    Args:
        device: where the losses live.
        view_images_per_step: m x B x world, the throughput unit.
    """

    def __init__(self, device: torch.device, view_images_per_step: int) -> None:
        self._sum = torch.zeros((), device=device)
        self._count = 0
        self._per_step = int(view_images_per_step)
        self._since = time.perf_counter()
        self.start = self._since
        self.last_loss = float("nan")

    def add(self, loss: torch.Tensor) -> None:
        self._sum += loss
        self._count += 1

    @property
    def pending(self) -> int:
        """Steps added since the last row."""
        return self._count

    def mean(self) -> float:
        """The mean loss since the last row (reads the device); NaN when non-finite."""
        if not self._count:
            return self.last_loss
        return float(self._sum) / self._count

    def row(self, step: int, steps_per_epoch: int, lr: float) -> dict[str, Any]:
        """The loop's columns for ``step``; starts the next interval."""
        now = time.perf_counter()
        self.last_loss = self.mean()
        row = {
            "step": int(step),
            "epoch": round(step / steps_per_epoch, 4),
            "loss": self.last_loss,
            "lr": float(lr),
            "view_images_per_s": self._count * self._per_step / max(now - self._since, 1e-9),
            "elapsed_s": round(now - self.start, 3),
        }
        self._sum.zero_()
        self._count = 0
        self._since = now
        return row

    def exclude(self, seconds: float) -> None:
        """Leave ``seconds`` (e.g. an evaluation) out of the throughput."""
        self._since += seconds
