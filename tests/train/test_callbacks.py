"""The Callback interface: when each hook runs, metrics columns, schedules, checkpoint state,
resume without gaps or duplicate rows, rank-0 callbacks."""

from __future__ import annotations

import csv

import pytest
import torch

from neuroalign.backbones import read_checkpoint
from neuroalign.train import Callback, TrainConfig, train
from neuroalign.train.callbacks import CallbackList
from tests.conftest import TINY_TRAIN

# ResNet-18 (CIFAR stem) on 8x8 crops of 16 synthetic images: 2 steps per epoch
TINY = {**TINY_TRAIN, "epochs": 4, "r_s": 3.0, "log_every_steps": 4}


def _images(n: int = 16) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (n, 3, 8, 8), dtype=torch.uint8, generator=gen)
    return {"train_images": images, "train_labels": torch.arange(n) % 4}


class Recorder(Callback):
    """Logs every hook; column ``weight_norm`` every 3 steps, ``epochs_seen`` every 2 epochs;
    counts its calls in its checkpointed state."""

    name = "recorder"
    columns = ("weight_norm", "epochs_seen")
    every_steps = 3
    every_epochs = 2

    def __init__(self) -> None:
        self.events: list[tuple] = []
        self.calls = 0

    def on_train_start(self, state):
        self.events.append(("start", state.step))

    def on_step_end(self, state):
        self.calls += 1
        self.events.append(("step", state.step, state.row is not None))
        norm = float(state.model.head[-1].weight.detach().norm())
        return {"weight_norm": round(norm, 6)}

    def on_epoch_end(self, state):
        self.events.append(("epoch", state.epoch, state.step))
        return {"epochs_seen": state.epoch}

    def on_checkpoint(self, state, payload):
        self.events.append(("checkpoint", state.step, payload["step"]))

    def on_train_end(self, state):
        self.events.append(("end", state.step))

    def state_dict(self):
        return {"calls": self.calls}

    def load_state_dict(self, state):
        self.calls = int(state["calls"])


def _rows(path) -> list[dict]:
    with open(path / "metrics.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_hooks_run_on_schedule_and_their_columns_reach_metrics_csv(tmp_path):
    rec = Recorder()
    result = train(TrainConfig(**TINY, output_dir=tmp_path), callbacks=[rec], **_images())
    assert result.step == 8
    assert rec.events == [
        ("checkpoint", 0, 0),  # init.pt (before on_train_start: the untrained network)
        ("start", 0),
        ("step", 3, False),
        ("epoch", 2, 4),  # steps 4 and 8 end epochs 2 and 4; the loop logs them
        ("step", 6, True),  # an epoch end: the loop's row exists
        ("epoch", 4, 8),
        ("checkpoint", 8, 8),
        ("end", 8),
    ]
    rows = {int(r["step"]): r for r in _rows(tmp_path)}
    assert sorted(rows) == [2, 3, 4, 6, 8]  # epoch ends (2 steps each) + step 3 (callback)
    assert rows[3]["weight_norm"] and not rows[3]["epochs_seen"] and rows[3]["loss"]
    assert rows[4]["epochs_seen"] == "2" and not rows[4]["weight_norm"]
    assert rows[6]["weight_norm"] and not rows[6]["epochs_seen"]
    assert not rows[2]["weight_norm"] and not rows[2]["epochs_seen"]
    header = list(rows[2])
    assert header == [
        "step",
        "epoch",
        "loss",
        "lr",
        "view_images_per_s",
        "elapsed_s",
        *Recorder.columns,
    ]
    assert read_checkpoint(result.checkpoint)["callbacks"] == {"recorder": {"calls": 2}}
    assert result.metrics[-1]["epochs_seen"] == 4


def test_resume_gives_the_rows_of_an_uninterrupted_run(tmp_path):
    """Interrupted after step 5 with the last checkpoint at step 4: the rows logged after it
    are dropped and computed again, so the resumed run's metrics.csv equals the straight
    run's, row for row (timings aside), and the callback's state continues."""

    class Crash(Callback):
        name = "crash"

        def on_step_end(self, state):
            if state.step == 5:
                raise KeyboardInterrupt

    options = dict(TINY, log_every_steps=1, save_every_steps=4)
    straight, rec = tmp_path / "straight", Recorder()
    train(TrainConfig(**options, output_dir=straight), callbacks=[rec], **_images())
    cut = tmp_path / "cut"
    with pytest.raises(KeyboardInterrupt):
        train(TrainConfig(**options, output_dir=cut), callbacks=[Recorder(), Crash()], **_images())
    assert [r["step"] for r in _rows(cut)] == ["1", "2", "3", "4"]  # row 5 never written
    resumed = Recorder()
    result = train(
        TrainConfig(**options, output_dir=cut, resume=True), callbacks=[resumed], **_images()
    )
    assert result.step == 8 and resumed.calls == rec.calls == 2
    assert resumed.events[0] == ("start", 4)

    def comparable(rows):
        return [
            {k: v for k, v in r.items() if k not in ("view_images_per_s", "elapsed_s")}
            for r in rows
        ]

    assert comparable(_rows(cut)) == comparable(_rows(straight))
    assert [r["step"] for r in _rows(cut)] == [str(s) for s in range(1, 9)]


def test_rows_written_after_the_checkpoint_are_dropped_on_resume(tmp_path):
    """metrics.csv holds rows up to step 3 but last.pt is at step 2 (the process died in
    between): resuming keeps rows 1-2 and logs 3 and 4 once."""
    options = dict(TINY, log_every_steps=1)
    train(TrainConfig(**options, max_steps=3, output_dir=tmp_path / "a"), **_images())
    train(TrainConfig(**options, max_steps=2, output_dir=tmp_path / "b"), **_images())
    (tmp_path / "b" / "metrics.csv").write_text((tmp_path / "a" / "metrics.csv").read_text())
    result = train(
        TrainConfig(**options, max_steps=4, output_dir=tmp_path / "b", resume=True), **_images()
    )
    assert [r["step"] for r in _rows(tmp_path / "b")] == ["1", "2", "3", "4"]
    assert [r["step"] for r in result.metrics] == [1, 2, 3, 4]


def test_bad_callbacks_are_refused(tmp_path):
    class Loud(Callback):
        name = "loud"
        columns = ("a",)

        def on_step_end(self, state):
            return {"b": 1.0}

    with pytest.raises(ValueError, match="undeclared metrics"):
        train(TrainConfig(**TINY, output_dir=tmp_path), callbacks=[Loud()], **_images())
    with pytest.raises(ValueError, match="unique"):
        CallbackList([Loud(), Loud()], rank=0)
    twin = Loud()
    twin.name = "other"
    with pytest.raises(ValueError, match="declared twice"):
        CallbackList([Loud(), twin], rank=0).columns()


def test_rank_zero_callbacks_run_on_rank_zero_only():
    class Zero(Callback):
        name = "zero"
        rank_zero_only = True

    everyone = Callback()
    assert CallbackList([Zero(), everyone], rank=0).active[0].name == "zero"
    assert CallbackList([Zero(), everyone], rank=1).active == [everyone]


class AtStart(Callback):
    """Measures at ``on_train_start``; its columns are named under its own name."""

    name = "start"
    columns = ("start/value",)
    every_steps = None
    every_epochs = None

    def on_train_start(self, state):
        return {"start/value": 1.5 + state.step}


def test_train_start_values_make_the_row_of_step_zero_of_a_new_run_only(tmp_path):
    assert CallbackList([AtStart()], rank=0).columns() == {"start/value": "start/value"}
    options = dict(TINY, epochs=2)
    train(TrainConfig(**options, max_steps=2, output_dir=tmp_path), callbacks=[AtStart()],
          **_images())  # fmt: skip
    rows = _rows(tmp_path)
    assert [(r["step"], r["start/value"], r["loss"]) for r in rows[:1]] == [
        ("0", "1.5", ""),  # the network at initialisation: no loss yet
    ]
    assert (rows[1]["step"], rows[1]["start/value"]) == ("2", "")
    assert float(rows[1]["loss"]) > 0  # a trained step logs its loss
    train(TrainConfig(**options, output_dir=tmp_path, resume=True), callbacks=[AtStart()],
          **_images())  # fmt: skip
    assert [r["step"] for r in _rows(tmp_path)] == ["0", "2", "4"]  # no second row at start
