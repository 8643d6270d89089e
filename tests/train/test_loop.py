"""The training loop on real CIFAR-10 images: learning, exact resume, failure modes."""

from __future__ import annotations

import csv
import dataclasses

import pytest
import torch

from neuroalign.augment import augment_views, get_recipe
from neuroalign.backbones import load_checkpoint, read_checkpoint
from neuroalign.data import spread_indices
from neuroalign.errors import DataError
from neuroalign.losses import create_loss
from neuroalign.preprocessing import Preprocessing
from neuroalign.train import TrainConfig, TrainingDiverged, train
from tests.conftest import TINY_TRAIN

# ResNet-18 with the CIFAR stem on 8x8 crops of 32 CIFAR-10 images: 4 steps per epoch
TINY = {
    **TINY_TRAIN,
    "head_dims": (64, 32),
    "epochs": 50,
    "dataset": "cifar10",
    "train_subset": 32,
    "r_s": 3.0,
    "log_every_steps": 1,
}


def _synthetic(n: int = 16, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, 3, 8, 8), dtype=torch.uint8, generator=gen)
    return images, torch.arange(n) % 4


@pytest.mark.slow
def test_training_lowers_the_loss_on_real_cifar10(tmp_path, shared_data):
    from neuroalign.data import load_image_dataset

    cfg = dict(TINY, views=4, base_lr=4.0, lars_eta=0.02, warmup_epochs=0, output_dir=tmp_path)
    images = load_image_dataset("cifar10").subset(spread_indices(50000, 32)).images
    assert len(set(load_image_dataset("cifar10").labels[spread_indices(50000, 32)].tolist())) == 10
    views = augment_views(
        images, 4, get_recipe("cifar10", 8), generator=torch.Generator().manual_seed(1)
    )
    views = Preprocessing.named("cifar10", 8, 8).normalize(views)  # as the loop feeds them
    loss = create_loss("clamp", r_s=3.0)

    def fixed_view_loss() -> float:
        model, _ = load_checkpoint(tmp_path / "checkpoints" / "last.pt")
        model.train()  # batch statistics, as during training
        with torch.no_grad():
            return float(loss(model(views.flatten(0, 1)).view(4, 32, -1)))

    train(TrainConfig(**cfg, max_steps=1))
    before = fixed_view_loss()
    result = train(TrainConfig(**cfg, max_steps=16, resume=True))
    after = fixed_view_loss()
    assert result.step == 16 and after < before - 0.05
    assert read_checkpoint(result.checkpoint)["step"] == 16


@pytest.mark.slow
def test_resume_continues_bit_for_bit(tmp_path, shared_data):
    straight = train(TrainConfig(**TINY, max_steps=6, output_dir=tmp_path / "a"))
    half = train(TrainConfig(**TINY, max_steps=3, output_dir=tmp_path / "b"))
    assert half.step == 3
    resumed = train(TrainConfig(**TINY, max_steps=6, output_dir=tmp_path / "b", resume=True))
    assert straight.step == resumed.step == 6  # crosses the epoch boundary at step 4
    a, b = read_checkpoint(straight.checkpoint), read_checkpoint(resumed.checkpoint)
    assert a["model"].keys() == b["model"].keys()
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    for sa, sb in zip(
        a["optimizer"]["state"].values(), b["optimizer"]["state"].values(), strict=True
    ):
        assert torch.equal(sa["momentum_buffer"], sb["momentum_buffer"])
    assert a["scheduler"] == b["scheduler"] and a["epoch"] == b["epoch"] == 1
    with open(tmp_path / "b" / "metrics.csv") as handle:
        steps = [int(row["step"]) for row in csv.DictReader(handle)]
    assert steps == [1, 2, 3, 4, 5, 6]


def test_outputs_knn_and_config(tmp_path):
    images, labels = _synthetic()
    options = dict(TINY, dataset="synthetic", train_subset=None, knn_every_epochs=1, epochs=1)
    options.update(tensorboard=True, save_every_epochs=1, output_dir=tmp_path)
    cfg = TrainConfig(**options)
    result = train(
        cfg, train_images=images, train_labels=labels, test_images=images, test_labels=labels
    )
    assert result.step == 2 and result.epoch == 1
    assert {"config.yaml", "metrics.csv", "checkpoints"} <= {p.name for p in tmp_path.iterdir()}
    assert (tmp_path / "checkpoints" / "epoch_0001.pt").is_file()
    assert (tmp_path / "tensorboard").is_dir()
    rows = result.metrics
    assert rows[-1]["step"] == 2 and 0.0 <= rows[-1]["knn_top1"] <= 1.0
    ck = read_checkpoint(result.checkpoint)
    assert ck["preprocessing"]["image_size"] == 8 and ck["config"]["views"] == 2
    assert set(ck["rng"]) == {"torch", "cuda", "numpy", "python"}
    # the untrained network is kept as init.pt: same model, step 0, other weights
    init = read_checkpoint(tmp_path / "checkpoints" / "init.pt")
    assert init["step"] == 0 and init["preprocessing"] == ck["preprocessing"]
    assert init["model"].keys() == ck["model"].keys()
    assert not torch.equal(
        init["model"]["backbone.conv1.weight"], ck["model"]["backbone.conv1.weight"]
    )


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    images, labels = _synthetic()
    clamp = create_loss("clamp", r_s=3.0)
    calls = {"n": 0}

    def flaky(z: torch.Tensor) -> torch.Tensor:
        calls["n"] += 1
        value = clamp(z)
        return value * float("nan") if calls["n"] >= 4 else value

    cfg = TrainConfig(
        **dict(TINY, dataset="synthetic", train_subset=None),
        save_every_steps=2,
        output_dir=tmp_path,
    )
    with pytest.raises(TrainingDiverged, match="NaN"):
        train(cfg, loss_fn=flaky, train_images=images, train_labels=labels)
    kept = read_checkpoint(tmp_path / "checkpoints" / "last.pt")
    assert kept["step"] == 2
    assert all(torch.isfinite(t).all() for t in kept["model"].values() if t.is_floating_point())


def test_resume_refuses_corrupt_or_mismatched_checkpoints(tmp_path):
    images, labels = _synthetic()
    cfg = TrainConfig(
        **dict(TINY, dataset="synthetic", train_subset=None), max_steps=1, output_dir=tmp_path
    )
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        train(dataclasses.replace(cfg, resume=True), train_images=images, train_labels=labels)
    train(cfg, train_images=images, train_labels=labels)
    other = dataclasses.replace(cfg, head_dims=(32, 16), resume=True, max_steps=2)
    with pytest.raises(DataError, match="head_dims"):
        train(other, train_images=images, train_labels=labels)
    (tmp_path / "checkpoints" / "last.pt").write_bytes(b"\x00garbage")
    with pytest.raises(DataError, match="not a readable"):
        train(
            dataclasses.replace(cfg, resume=True, max_steps=2),
            train_images=images,
            train_labels=labels,
        )


def test_bad_configs_are_refused(tmp_path):
    with pytest.raises(ValueError, match="views"):
        TrainConfig(views=1)
    with pytest.raises(ValueError, match="unknown loss"):
        TrainConfig(loss="byol")
    with pytest.raises(ValueError, match="batch"):
        TrainConfig(batch_size=1)
    images, labels = _synthetic(8)
    cfg = TrainConfig(
        **dict(TINY, dataset="synthetic", train_subset=None, batch_size=16), output_dir=tmp_path
    )
    with pytest.raises(ValueError, match="exceeds"):
        train(cfg, train_images=images, train_labels=labels)
    with pytest.raises(ValueError, match="valid"):
        train(
            dataclasses.replace(cfg, arch="resnet9", batch_size=4),
            train_images=images,
            train_labels=labels,
        )


def test_image_folder_data_through_a_dataloader(tmp_path):
    from PIL import Image

    gen = torch.Generator().manual_seed(0)
    for split in ("train", "val"):
        for cls in ("cat", "dog"):
            folder = tmp_path / "data" / split / cls
            folder.mkdir(parents=True)
            for i in range(4):  # odd sizes: resized + centre-cropped to --load-size
                pixels = torch.randint(0, 256, (20 + i, 24, 3), dtype=torch.uint8, generator=gen)
                Image.fromarray(pixels.numpy()).save(folder / f"{i}.png")
    options = dict(TINY, train_subset=None, knn_every_epochs=1, epochs=1, augment="imagenet")
    options.update(dataset=str(tmp_path / "data" / "train"), load_size=12, workers=0)
    options.update(test_dataset=str(tmp_path / "data" / "val"), output_dir=tmp_path / "run")
    result = train(TrainConfig(**options))
    assert result.step == 1 and 0.0 <= result.metrics[-1]["knn_top1"] <= 1.0
    ck = read_checkpoint(result.checkpoint)
    assert ck["preprocessing"]["image_size"] == 8 and ck["preprocessing"]["resize"] == 9
    with pytest.raises(ValueError, match="already holds a run"):
        train(TrainConfig(**options))


@pytest.mark.gpu
def test_cuda_bf16_channels_last_training_and_resume(tmp_path, capsys):
    images, labels = _synthetic(32)
    options = dict(TINY, dataset="synthetic", train_subset=None, device="cuda", max_steps=3)
    result = train(
        TrainConfig(**options, output_dir=tmp_path), train_images=images, train_labels=labels
    )
    assert result.step == 3 and torch.isfinite(torch.tensor(result.final_loss))
    assert "estimated peak" in capsys.readouterr().err  # printed before the first step
    again = dict(options, max_steps=5, resume=True)  # RNG states are restored on the CPU
    resumed = train(
        TrainConfig(**again, output_dir=tmp_path), train_images=images, train_labels=labels
    )
    assert resumed.step == 5 and [r["step"] for r in resumed.metrics] == [1, 2, 3, 4, 5]
