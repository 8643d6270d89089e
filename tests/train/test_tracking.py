"""Trackers as training callbacks: columns in metrics.csv, the schedule, resume, DDP.

A few dozen CPU steps of ResNet-18 (CIFAR stem, head 32-16) on 8-px synthetic images with
labels (in memory, 4 steps per epoch).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from neuroalign.backbones import load_checkpoint
from neuroalign.preprocessing import Preprocessing
from neuroalign.tracking import ProbeImages, dimension_metrics, packing_metrics, read_run_metrics
from neuroalign.train import TrainConfig, train
from neuroalign.train.callbacks import CallbackList
from neuroalign.train.tracking import (
    AlignmentTracker,
    DimensionTracker,
    PackingTracker,
    tracking_callbacks,
)
from tests.conftest import TINY_TRAIN, free_port

TINY = {
    **TINY_TRAIN,
    "epochs": 6,
    "r_s": 3.0,
    "log_every_steps": 2,
    "track": ("packing", "dimension"),
    "track_images": 12,
    "track_packing_images": 6,
}


def _data(n: int = 32, seed: int = 0) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, 3, 8, 8), dtype=torch.uint8, generator=gen)
    labels = torch.arange(n) % 4
    return dict(train_images=images, train_labels=labels, test_images=images, test_labels=labels)


def _tracked(table: pd.DataFrame) -> pd.DataFrame:
    return table.dropna(subset=["packing/embedding/mean_radius"])


@pytest.mark.slow
def test_a_tracked_run_writes_every_column_at_its_steps_and_the_figure(tmp_path) -> None:
    from neuroalign.tracking import save_run_figure

    cfg = TrainConfig(**TINY, output_dir=tmp_path)
    result = train(cfg, **_data())
    assert result.step == 24
    table = read_run_metrics(tmp_path)
    tracked = _tracked(table)
    # the network at initialisation (step 0), then after every epoch (4 steps)
    assert tracked["step"].tolist() == [0, 4, 8, 12, 16, 20, 24]
    assert table["step"].is_unique and table["step"].is_monotonic_increasing
    assert np.isnan(table.set_index("step").loc[0, "loss"])  # no loss before the first step
    for column in (
        "packing/embedding/neighbour_count",
        "packing/representation/overlap_fraction_intra",
        "dimension/representation/participation_ratio",
        "dimension/embedding/effective_rank",
        "dimension/mutual_information",
        "packing/seconds",
        "dimension/seconds",
    ):
        assert tracked[column].notna().all(), column
    assert (tracked["dimension/representation/effective_rank"] <= 11 + 1e-9).all()  # 12 images
    # the last row's values are those of the trackers on the saved network and the same probe
    model, meta = load_checkpoint(result.checkpoint)
    prep = Preprocessing.from_dict(meta["preprocessing"])
    images = _data()["test_images"]
    from neuroalign.data import spread_indices

    probe = ProbeImages(
        images[spread_indices(32, 12)], (torch.arange(32) % 4)[spread_indices(32, 12)]
    )
    want = dimension_metrics(model, probe, preprocessing=prep)
    last = tracked.iloc[-1]
    assert last["dimension/representation/participation_ratio"] == pytest.approx(
        want["dimension/representation/participation_ratio"], rel=1e-5
    )
    from neuroalign.augment import get_recipe

    packed = ProbeImages(
        images[spread_indices(32, 6)], (torch.arange(32) % 4)[spread_indices(32, 6)]
    )
    want = packing_metrics(
        model, packed, n_views=2, recipe=get_recipe("cifar10", 8), r_s=3.0,
        preprocessing=prep,
    )  # fmt: skip
    assert last["packing/embedding/mean_radius"] == pytest.approx(
        want["packing/embedding/mean_radius"], rel=1e-5
    )
    assert save_run_figure(tmp_path).stat().st_size > 20_000


def test_columns_schedule_and_tensorboard_tags() -> None:
    packing = PackingTracker(2, 5, layers=("output", "layer4"))
    assert packing.every_epochs == 2 and packing.every_steps == 5 and packing.rank_zero_only
    assert "packing/layer4/neighbour_count" in packing.columns
    assert "packing/embedding/overlap_fraction_inter" in packing.columns
    tags = CallbackList([packing, DimensionTracker(0, None)], rank=0).columns()
    assert tags["packing/embedding/mean_radius"] == "packing/embedding/mean_radius"
    assert tags["dimension/mutual_information"] == "dimension/mutual_information"
    align = AlignmentTracker(v4_layers=("layer2", "layer3"), it_layers=("backbone",))
    assert align.columns == (
        "alignment/layer2/v4_r",
        "alignment/layer2/v4_ev",
        "alignment/layer3/v4_r",
        "alignment/layer3/v4_ev",
        "alignment/representation/it_monkey",
        "alignment/representation/it_human",
        "alignment/seconds",
    )
    cfg = TrainConfig(track=("alignment", "packing"), track_every_epochs=3, track_views=4)
    made = tracking_callbacks(cfg)
    assert [cb.name for cb in made] == ["packing", "alignment"]  # the order of TRACKERS
    assert made[0].every_epochs == 3 and made[0].n_views == 4
    assert tracking_callbacks(TrainConfig()) == []
    with pytest.raises(ValueError, match="--track foo: choose from packing, dimension"):
        TrainConfig(track=("foo",))


def test_every_steps_and_no_double_measurement_at_an_epoch_end(tmp_path) -> None:
    cfg = TrainConfig(
        **{**TINY, "epochs": 2, "track": ("dimension",), "track_every_steps": 2},
        output_dir=tmp_path,
    )
    train(cfg, **_data())
    table = read_run_metrics(tmp_path).dropna(subset=["dimension/mutual_information"])
    assert table["step"].tolist() == [0, 2, 4, 6, 8]  # epoch ends 4, 8 are step multiples


@pytest.mark.slow
def test_resume_gives_the_rows_of_an_uninterrupted_run(tmp_path) -> None:
    """An interrupted run (rows logged after its last checkpoint) resumed: no gap, no
    duplicate, the same tracked values as a run that was never interrupted."""
    options = {**TINY, "epochs": 3, "save_every_epochs": 1}
    train(TrainConfig(**options, output_dir=tmp_path / "straight"), **_data())
    # interrupted: 10 steps logged, but the last checkpoint it left is the one of epoch 1
    run = tmp_path / "resumed"
    train(TrainConfig(**options, max_steps=10, output_dir=run), **_data())
    shutil.copy(run / "checkpoints" / "epoch_0001.pt", run / "checkpoints" / "last.pt")
    assert read_run_metrics(run)["step"].max() == 10
    train(TrainConfig(**options, output_dir=run, resume=True), **_data())
    a, b = read_run_metrics(tmp_path / "straight"), read_run_metrics(run)
    assert b["step"].tolist() == a["step"].tolist()  # every step once, none missing
    ta, tb = _tracked(a), _tracked(b)
    assert tb["step"].tolist() == ta["step"].tolist() == [0, 4, 8, 12]
    for column in [c for c in a.columns if c.startswith(("packing/", "dimension/"))]:
        if column.endswith("/seconds"):
            continue
        assert np.allclose(tb[column], ta[column], rtol=1e-5, atol=1e-7), column


WORKER = textwrap.dedent(
    """
    import os, sys
    import torch
    torch.set_num_threads(1)
    from neuroalign.train import TrainConfig, train

    out, loss = sys.argv[1], sys.argv[2]
    gen = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (32, 3, 8, 8), dtype=torch.uint8, generator=gen)
    labels = torch.arange(32) % 4
    cfg = TrainConfig(
        arch="resnet18", head_dims=(32, 16), views=2, batch_size=4, epochs=2, warmup_epochs=0,
        dataset="synthetic", image_size=8, r_s=3.0, device="cpu", knn_every_epochs=0,
        progress=False, tensorboard=False, log_every_steps=1, output_dir=out, loss=loss,
        loss_options=("tau=1",) if loss == "adadim" else (),
        track=("packing", "dimension"), track_images=12, track_packing_images=6,
    )
    result = train(cfg, train_images=images, train_labels=labels, test_images=images,
                   test_labels=labels)
    flat = torch.cat([p.detach().flatten() for p in result.model.parameters()])
    rank = os.environ["RANK"]
    torch.save({"step": result.step, "params": flat, "rows": len(result.metrics)},
               os.path.join(out, f"rank{rank}.pt"))
    """
)


def run_two_processes(tmp_path: Path, loss: str) -> list[dict]:
    """Train with tracking in 2 gloo processes (torchrun); each rank's step, params, rows."""
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    torchrun = Path(sys.executable).with_name("torchrun")
    cmd = [str(torchrun), "--nproc-per-node", "2", "--master-port", str(free_port()),
           str(script), str(tmp_path), loss]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(2)]


@pytest.mark.slow
def test_two_process_ddp_rank_zero_tracks_and_nobody_deadlocks(tmp_path) -> None:
    r0, r1 = run_two_processes(tmp_path, "clamp")
    assert r0["step"] == r1["step"] == 8  # 32 images / (4 x 2 processes) = 4 steps per epoch
    assert torch.equal(r0["params"], r1["params"])  # the replicas stayed in sync
    tracked = _tracked(read_run_metrics(tmp_path))
    assert tracked["step"].tolist() == [0, 4, 8]  # rank 0 measured and wrote them
    assert tracked["dimension/representation/participation_ratio"].notna().all()
