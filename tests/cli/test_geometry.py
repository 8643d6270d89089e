from __future__ import annotations

import pandas as pd
import pytest

from neuroalign.cli import main


def test_help_teaches(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["geometry", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "neuroalign geometry --model resnet18 --dataset cifar10" in text
    assert "--n-images" in text and "--views" in text and "--layers" in text


def test_bad_views_is_a_clear_error(capsys, tmp_path):
    code = main(["geometry", "--views", "1", "--out", str(tmp_path)])
    assert code == 2
    assert "views (--views) must be >= 2, got 1" in capsys.readouterr().err


@pytest.mark.slow
def test_geometry_report_on_cifar10(tmp_path, shared_data, capsys):
    out = tmp_path / "geo"
    code = main(
        [
            "geometry",
            "--model",
            "resnet18",
            "--dataset",
            "cifar10",
            "--layers",
            "layer2,avgpool",
            "--n-images",
            "30",
            "--views",
            "3",
            "--n-t",
            "30",
            "--n-reps",
            "1",
            "--max-capacity-images",
            "12",
            "--adadim",
            "layer2,avgpool",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    for name in (
        "summary.csv",
        "pairs.csv",
        "images.csv",
        "spectra.csv",
        "capacity.csv",
        "submanifolds.png",
        "overlap.png",
        "spectra.png",
        "dimension.png",
        "capacity.png",
        "config.yaml",
        "run.json",
        "adadim.csv",
    ):
        assert (out / name).is_file(), name
    printed = capsys.readouterr().out
    assert "r_s = 7 (neuroalign.defaults.R_S)" in printed and "recipe cifar10" in printed
    summary = pd.read_csv(out / "summary.csv")
    assert summary["layer"].tolist() == ["layer2", "avgpool"]
    assert (summary["n_images"] == 30).all() and (summary["n_views"] == 3).all()
    assert summary["pr_global"].between(1, 512).all()
    pairs = pd.read_csv(out / "pairs.csv")
    assert len(pairs) == 2 * 30 * 29 // 2
    # 30 images of CIFAR-10, class-balanced: 3 per class -> 10 * 3 intra-class pairs per layer
    assert pairs.groupby("layer")["same_class"].sum().tolist() == [30, 30]
    adadim = pd.read_csv(out / "adadim.csv")
    assert adadim.loc[0, "representation"] == "layer2"
    assert 0 <= adadim.loc[0, "mutual_information"] <= adadim.loc[0, "entropy_R"] + 1e-9
    capacity = pd.read_csv(out / "capacity.csv")
    assert set(capacity["kind"]) == {"class", "augmentation"}
