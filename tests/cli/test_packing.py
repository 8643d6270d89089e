from __future__ import annotations

import pandas as pd
import pytest
import yaml

from neuroalign.cli import main


def test_help_teaches(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["packing", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "neuroalign packing run --d 3 --n 2000 --phi 0.6" in text
    for action in ("run", "scan", "fss", "compare"):
        assert action in text
    for action in ("run", "scan", "fss", "compare"):
        with pytest.raises(SystemExit):
            main(["packing", action, "--help"])
        assert f"neuroalign packing {action}" in capsys.readouterr().out


def test_run_writes_its_tables(tmp_path, capsys):
    out = tmp_path / "bro"
    code = main(
        [
            "packing",
            "run",
            "--d",
            "3",
            "--n",
            "300",
            "--phi",
            "0.3",
            "--eps",
            "0.05",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    assert code == 0
    assert "absorbed (L = 0)" in capsys.readouterr().out
    history = pd.read_csv(out / "history.csv")
    assert history["loss"].iloc[-1] == 0.0
    assert yaml.safe_load((out / "config.yaml").read_text())["phi"] == 0.3
    for name in (
        "summary.csv",
        "final.npz",
        "history.png",
        "structure.png",
        "structure_factor.csv",
    ):
        assert (out / name).is_file()


def test_scan_prints_phi_c_table(tmp_path, capsys):
    code = main(
        [
            "packing",
            "scan",
            "--d",
            "2",
            "--sizes",
            "60",
            "--phis",
            "0.3,0.88",
            "--n-seeds",
            "1",
            "--eps",
            "0.05",
            "--steps",
            "50",
            "--out",
            str(tmp_path),
            "--no-progress",
        ]
    )
    assert code == 0
    assert "phi_c_fit" in capsys.readouterr().out
    assert len(pd.read_csv(tmp_path / "scan.csv")) == 2


def test_bad_value_is_a_clear_error(tmp_path, capsys):
    assert main(["packing", "run", "--phi", "1.5", "--out", str(tmp_path)]) == 2
    assert "phi: the volume fraction must be in (0, 1), got 1.5" in capsys.readouterr().err
