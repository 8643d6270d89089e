"""AdaDim in the training loop: alpha estimated before the first step and every tau epochs,
logged with beta, kept across --resume, gathered over DDP ranks; fixed alpha left alone."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neuroalign.augment import augment_views, get_recipe
from neuroalign.backbones import load_checkpoint, read_checkpoint
from neuroalign.losses import adaptive_alpha
from neuroalign.preprocessing import Preprocessing
from neuroalign.tracking import read_run_metrics
from neuroalign.train import TrainConfig, train
from neuroalign.train.adadim import alpha_seed
from neuroalign.train.sources import epoch_batches
from tests.conftest import TINY_TRAIN

TINY = {
    **TINY_TRAIN,
    "loss": "adadim",
    "loss_options": ("tau=2", "alpha_batches=2"),
    "epochs": 5,
    "log_every_steps": 1,
    "save_every_epochs": 1,
}


def _data(n: int = 32) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (n, 3, 8, 8), dtype=torch.uint8, generator=gen)
    return dict(train_images=images, train_labels=torch.arange(n) % 4)


def _alpha_by_hand(checkpoint, epoch: int, images: torch.Tensor) -> float:
    """The loss's alpha from the first 2 batches of ``epoch`` through ``checkpoint``'s backbone:
    m views each (the callback's seed), eval mode, then adaptive_alpha."""
    model, meta = load_checkpoint(checkpoint)
    prep = Preprocessing.from_dict(meta["preprocessing"])
    gen = torch.Generator().manual_seed(alpha_seed(0, epoch))
    reps = []
    with torch.no_grad():
        for index in epoch_batches(len(images), epoch, 0, 8)[:2]:
            views = augment_views(
                images[index], 2, get_recipe("cifar10", 8), generator=gen, preprocessing=prep
            )
            reps.append(model.eval().backbone(views.flatten(0, 1)).view(2, 8, -1))
    return adaptive_alpha(reps)


@pytest.mark.slow
def test_alpha_every_tau_epochs_from_the_network_of_that_moment(tmp_path) -> None:
    data = _data()
    result = train(TrainConfig(**TINY, output_dir=tmp_path), **data)
    assert result.step == 20  # 4 steps per epoch
    table = read_run_metrics(tmp_path).set_index("step")
    alpha, beta = table["adadim/alpha"], table["adadim/beta"]
    assert alpha.notna().all() and list(alpha.index) == list(range(21))  # every row, step 0 on
    assert np.allclose(beta, 1e-4 * alpha)  # beta = mi_weight * alpha (the paper's schedule)
    # estimated before the first step (epoch 0), then before epochs 2 and 4 (tau = 2)
    periods = [alpha.loc[0:8], alpha.loc[9:16], alpha.loc[17:20]]
    assert all(p.nunique() == 1 for p in periods)
    assert len({p.iloc[0] for p in periods}) == 3
    ckpt = tmp_path / "checkpoints"
    assert alpha.loc[0] == pytest.approx(_alpha_by_hand(ckpt / "init.pt", 0, data["train_images"]))
    # the estimate for epoch 2 uses the network after epoch 2 (before epoch 2's first step)
    assert alpha.loc[9] == pytest.approx(
        _alpha_by_hand(ckpt / "epoch_0002.pt", 2, data["train_images"]), rel=1e-6
    )
    assert 1 / 31 <= alpha.min() and alpha.max() <= 1  # erank ratio of 32 centred samples
    saved = read_checkpoint(result.checkpoint)["callbacks"]["adadim"]
    assert saved == {"alpha": pytest.approx(alpha.loc[20]), "alpha_epoch": 4}


@pytest.mark.slow
def test_resume_keeps_alpha_and_gives_the_same_run(tmp_path) -> None:
    data = _data()
    straight = train(TrainConfig(**TINY, max_steps=14, output_dir=tmp_path / "a"), **data)
    train(TrainConfig(**TINY, max_steps=9, output_dir=tmp_path / "b"), **data)  # mid-period
    resumed = train(
        TrainConfig(**TINY, max_steps=14, output_dir=tmp_path / "b", resume=True), **data
    )
    a, b = read_checkpoint(straight.checkpoint), read_checkpoint(resumed.checkpoint)
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    ta, tb = read_run_metrics(tmp_path / "a"), read_run_metrics(tmp_path / "b")
    assert tb["step"].tolist() == ta["step"].tolist()
    assert np.array_equal(ta["adadim/alpha"], tb["adadim/alpha"])


def test_a_fixed_alpha_is_logged_and_never_estimated(tmp_path) -> None:
    options = {**TINY, "loss_options": ("alpha=0.25",), "epochs": 1}
    train(TrainConfig(**options, output_dir=tmp_path), **_data())
    table = read_run_metrics(tmp_path)
    assert (table["adadim/alpha"] == 0.25).all()
    assert np.allclose(table["adadim/beta"], 0.25e-4)


@pytest.mark.slow
def test_two_process_ddp_shares_one_alpha(tmp_path) -> None:
    from tests.train.test_tracking import run_two_processes

    r0, r1 = run_two_processes(tmp_path, "adadim")
    assert r0["step"] == r1["step"] == 8
    assert torch.equal(r0["params"], r1["params"])  # the same alpha on both ranks
    alpha = read_run_metrics(tmp_path)["adadim/alpha"]
    assert alpha.notna().all() and alpha.nunique() == 2  # tau = 1: epochs 0 and 1


def test_a_budgeted_adaptive_run_times_its_steps_with_an_estimated_alpha(tmp_path) -> None:
    """--time-budget times real steps: AdaDim's first alpha must exist by then."""
    options = {**TINY, "epochs": 100, "time_budget": "6s", "progress": True}
    result = train(TrainConfig(**options, output_dir=tmp_path), **_data())
    schedule = read_checkpoint(result.checkpoint)["scheduler"]
    assert result.step == schedule["total_steps"] >= 1
    assert read_run_metrics(tmp_path)["adadim/alpha"].notna().all()
