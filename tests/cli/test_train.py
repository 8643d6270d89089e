"""``neuroalign train`` and ``neuroalign probe`` end to end on a CIFAR-10 subset."""

from __future__ import annotations

import json

import pytest
import torch
import yaml

from neuroalign.backbones import read_checkpoint
from neuroalign.cli import main


@pytest.fixture(autouse=True)
def single_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # small convolutions on a shared 2-core machine
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("command", ["train", "probe"])
def test_help_teaches(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "Examples:" in text and f"neuroalign {command}" in text


def test_recipes_resolve(tmp_path):
    from neuroalign.train import resolve_train_config

    cfg = resolve_train_config({"views": 8}, recipe="imagenet1k")
    assert (cfg.arch, cfg.head_dims, cfg.views, cfg.batch_size, cfg.r_s, cfg.sync_bn) == (
        "resnet50",
        (8192, 8192, 512),
        8,
        64,  # per GPU: 8 GPUs give the paper's 512
        8.5,
        True,
    )
    custom = tmp_path / "mine.yaml"
    custom.write_text(yaml.safe_dump({"views": 6, "r_s": 5.0}))
    cfg = resolve_train_config({"r_s": 6}, recipe="cifar10", config_file=custom)
    assert (cfg.arch, cfg.cifar_stem, cfg.views, cfg.r_s) == ("resnet18", True, 6, 6.0)
    with pytest.raises(FileNotFoundError, match="nope.yaml"):
        resolve_train_config(config_file=tmp_path / "nope.yaml")
    # --resume starts from the run's saved config; flags still win
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text(yaml.safe_dump({"views": 3, "batch_size": 7}))
    cfg = resolve_train_config({"resume": True, "output_dir": run, "batch_size": 9})
    assert (cfg.views, cfg.batch_size, cfg.resume) == (3, 9, True)


def test_bad_arguments_exit_with_a_message(tmp_path, capsys):
    code = main(["train", "--arch", "resnet9", "--output-dir", str(tmp_path), "--device", "cpu"])
    assert code == 2 and "resnet18" in capsys.readouterr().err
    assert main(["train", "--views", "1", "--output-dir", str(tmp_path)]) == 2
    assert main(["train", "--views", "17", "--output-dir", str(tmp_path)]) == 2  # help: 2-16
    assert "between 2 and 16" in capsys.readouterr().err
    assert main(["train", "--time-budget", "5 parsecs", "--output-dir", str(tmp_path)]) == 2
    assert main(["train", "--recipe", "nope"]) == 2


@pytest.mark.slow
def test_tiny_train_resume_and_probe(tmp_path, shared_data, capsys):
    out = tmp_path / "run"
    common = ["--output-dir", str(out), "--device", "cpu", "--no-progress", "--no-tensorboard"]
    tiny = [
        "--arch",
        "resnet18",
        "--dataset",
        "cifar10",
        "--loss",
        "clamp",
        "--views",
        "2",
        "--batch-size",
        "8",
        "--train-subset",
        "32",
        "--image-size",
        "8",
        "--head-dims",
        "64,32",
        "--knn-every-epochs",
        "0",
        "--max-steps",
        "2",
    ]
    assert main(["train", *tiny, *common]) == 0
    assert read_checkpoint(out / "checkpoints" / "last.pt")["step"] == 2
    saved = yaml.safe_load((out / "config.yaml").read_text())
    assert saved["views"] == 2 and saved["head_dims"] == [64, 32]
    # --resume picks the saved configuration up; only the new stop is given
    assert main(["train", "--resume", "--max-steps", "3", *common]) == 0
    assert read_checkpoint(out / "checkpoints" / "last.pt")["step"] == 3
    assert "to step 3" in capsys.readouterr().out
    report = tmp_path / "probe.json"
    code = main(
        [
            "probe",
            str(out / "checkpoints" / "last.pt"),
            "--train-subset",
            "200",
            "--test-subset",
            "100",
            "--device",
            "cpu",
            "--output",
            str(report),
        ]
    )
    assert code == 0
    result = json.loads(report.read_text())
    assert result["n_train"] == 200 and result["n_test"] == 100 and result["n_classes"] == 10
    assert result["feature_dim"] == 512 and 0.0 <= result["test_top1"] <= 1.0
    assert result["test_top1"] > 0.1  # above chance even for a barely trained network


def _tiny(out, *extra: str) -> list[str]:
    return [
        "train", "--arch", "resnet18", "--dataset", "cifar10", "--train-subset", "32",
        "--batch-size", "8", "--views", "2", "--image-size", "8", "--epochs", "2",
        "--warmup-epochs", "0.5", "--knn-every-epochs", "0", "--log-every-steps", "1",
        "--output-dir", str(out), "--device", "cpu", "--no-progress", "--no-tensorboard",
        *extra,
    ]  # fmt: skip


@pytest.mark.slow
def test_directclr_projector_free_and_adadim_train_tracked(tmp_path, shared_data, capsys):
    from neuroalign.tracking import read_run_metrics

    # DirectCLR: InfoNCE on the first d0 dimensions of the backbone output, no projector
    run = tmp_path / "directclr"
    args = ["--loss", "directclr", "--head-dims", "", "--loss-options", "d0=64"]
    assert main(_tiny(run, *args, "--track", "dimension", "--track-images", "16")) == 0
    ck = read_checkpoint(run / "checkpoints" / "last.pt")
    assert ck["step"] == 8 and ck["config"]["head_dims"] == []
    assert not any(key.startswith("head.") for key in ck["model"])
    table = read_run_metrics(run).dropna(subset=["dimension/mutual_information"])
    assert table["step"].tolist() == [0, 4, 8]
    # with the default head (256-d embeddings) d0 = 360 cannot fit: refused before training
    assert main(_tiny(tmp_path / "bad", "--loss", "directclr")) == 2
    assert "--head-dims ''" in capsys.readouterr().err
    # AdaDim: alpha estimated before the first step and every epoch (tau=1), logged
    run = tmp_path / "adadim"
    assert main(_tiny(run, "--loss", "adadim", "--loss-options", "tau=1")) == 0
    alpha = read_run_metrics(run)["adadim/alpha"]
    assert alpha.notna().all() and alpha.nunique() == 2 and alpha.between(0, 1).all()
