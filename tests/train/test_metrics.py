"""metrics.csv: rows appended (never rewritten), resumed without duplicates; the loss meter."""

from __future__ import annotations

import math

import pytest
import torch

from neuroalign.train.metrics import BASE_COLUMNS, LossMeter, MetricsLog, read_metrics


def _row(step: int, **extra) -> dict:
    return {"step": step, "epoch": step / 10, "loss": 1.0 / step, "lr": 0.1, **extra}


def test_rows_are_appended_to_the_same_file(tmp_path):
    log = MetricsLog(tmp_path, {"knn_top1": "knn/knn_top1"}, tensorboard=False)
    path = tmp_path / "metrics.csv"
    log.write(_row(1))
    inode, first = path.stat().st_ino, path.read_bytes()
    for step in range(2, 301):
        log.write(_row(step, knn_top1=0.5) if step % 100 == 0 else _row(step))
    log.close()
    assert path.stat().st_ino == inode and path.read_bytes().startswith(first)
    header, rows = read_metrics(path)
    assert header == [*BASE_COLUMNS, "knn_top1"] and len(rows) == 300
    assert rows[99]["knn_top1"] == 0.5 and rows[98]["knn_top1"] == ""
    assert rows[-1]["step"] == 300 and rows[-1]["loss"] == pytest.approx(1 / 300)
    with pytest.raises(ValueError, match="undeclared"):
        MetricsLog(tmp_path / "b", {}, tensorboard=False).write(_row(1, other=2))


def test_resume_keeps_rows_up_to_the_checkpoint_and_extends_the_header(tmp_path):
    log = MetricsLog(tmp_path, {}, tensorboard=False)
    for step in range(1, 8):
        log.write(_row(step))
    log.close()
    resumed = MetricsLog(tmp_path, {"tracker": "t/tracker"}, tensorboard=False, resume_step=5)
    assert [r["step"] for r in resumed.rows] == [1, 2, 3, 4, 5]
    resumed.write(_row(6, tracker=3.0))
    resumed.close()
    header, rows = read_metrics(tmp_path / "metrics.csv")
    assert header == [*BASE_COLUMNS, "tracker"]
    assert [r["step"] for r in rows] == [1, 2, 3, 4, 5, 6] and rows[-1]["tracker"] == 3.0
    # a resume with nothing to drop appends to the file as it is
    inode = (tmp_path / "metrics.csv").stat().st_ino
    again = MetricsLog(tmp_path, {"tracker": "t/tracker"}, tensorboard=False, resume_step=6)
    again.close()
    assert (tmp_path / "metrics.csv").stat().st_ino == inode


def test_tensorboard_gets_every_number(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    log = MetricsLog(tmp_path, {"knn_top1": "knn/knn_top1"})
    log.write(_row(1, knn_top1=0.25))
    log.write(_row(2))
    log.close()
    events = EventAccumulator(str(tmp_path / "tensorboard"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"train/loss", "train/lr", "knn/knn_top1"} <= tags
    assert [e.value for e in events.Scalars("knn/knn_top1")] == [0.25]


def test_loss_meter_averages_between_rows():
    meter = LossMeter(torch.device("cpu"), view_images_per_step=64)
    for value in (1.0, 2.0, 3.0):
        meter.add(torch.tensor(value))
    assert meter.pending == 3 and meter.mean() == 2.0
    row = meter.row(step=3, steps_per_epoch=2, lr=0.5)
    assert (row["step"], row["epoch"], row["loss"], row["lr"]) == (3, 1.5, 2.0, 0.5)
    assert row["view_images_per_s"] > 0 and meter.pending == 0
    meter.add(torch.tensor(float("nan")))
    assert math.isnan(meter.mean())
