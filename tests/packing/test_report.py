from __future__ import annotations

import json

import pandas as pd
import pytest

from neuroalign.packing.config import CompareConfig, PackingConfig, ScalingConfig, ScanConfig
from neuroalign.packing.report import compare_report, fss_report, run_report, scan_report

SMALL = {"d": 2, "eps": 0.05, "steps": 40, "record_every": 5}


def test_run_report(tmp_path):
    summary = run_report(PackingConfig(n=100, phi=0.8, **SMALL), tmp_path, progress=False)
    assert {"f_active", "tau", "z_contacts_1pct", "steps_per_s"} <= set(summary)
    sq = pd.read_csv(tmp_path / "structure_factor.csv")
    assert list(sq.columns) == ["shell", "q", "s", "n_vectors"]
    assert (tmp_path / "structure.png").stat().st_size > 0
    record = json.loads((tmp_path / "run.json").read_text())  # the shared result-folder record
    assert record["analysis"] == "packing run" and record["config"]["phi"] == 0.8
    assert record["summary"]["steps"] == summary["steps"]


@pytest.mark.slow
def test_scan_and_fss_reports(tmp_path):
    grid = {"sizes": (40, 60), "phis": (0.3, 0.85, 0.88), "n_seeds": 1}
    phi_c = scan_report(ScanConfig(**SMALL, **grid), tmp_path / "scan", progress=False)
    assert set(phi_c["n"]) == {40, 60}
    result = fss_report(ScalingConfig(**SMALL, **grid), tmp_path / "fss", progress=False)
    assert 0.3 <= result["phi_c"] <= 0.88
    for name in ("scan.csv", "scaled.csv", "collapse.png", "activity.png", "config.yaml"):
        assert (tmp_path / "fss" / name).is_file()


def test_compare_report(tmp_path):
    cfg = CompareConfig(
        **SMALL,
        sizes=(50,),
        phis=(0.3, 0.88),
        n_seeds=1,
        batch_fractions=(0.5, 1.0),
        noise_n=60,
        noise_phi=0.7,
        noise_draws=50,
    )
    result = compare_report(cfg, tmp_path, progress=False)
    assert sorted(result.scan["rule"].unique()) == ["BRO eps=0.05", "SGD b_f=0.5", "SGD b_f=1"]
    noise = result.noise.set_index("name")
    assert noise.loc["BRO eps=0.05", "noise_ratio_predicted"] == pytest.approx(1 / 3)
    assert noise.loc["SGD b_f=1", "noise_ratio_sampled"] == pytest.approx(0, abs=1e-12)
    assert (tmp_path / "noise.png").is_file()
