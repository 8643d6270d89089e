from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neuroalign.packing.config import ScanConfig
from neuroalign.packing.scan import estimate_phi_c, scan_phi


def synthetic(phi_c=0.62, amplitude=3.0, beta=0.84, seeds=3):
    rows = []
    for phi in np.round(np.arange(0.58, 0.661, 0.01), 3):
        for seed in range(seeds):
            f = amplitude * max(phi - phi_c, 0.0) ** beta
            absorbed = phi < phi_c or (phi == phi_c and seed > 0)
            rows.append(
                {
                    "dynamics": "bro",
                    "n": 1000,
                    "phi": phi,
                    "seed": seed,
                    "f_active": 0.0 if absorbed else f,
                    "absorbed": absorbed,
                }
            )
    return pd.DataFrame(rows)


def test_phi_c_of_an_exact_power_law_is_recovered():
    est = estimate_phi_c(synthetic(phi_c=0.6234), beta=0.84, f_max=1.0)
    row = est.iloc[0]
    assert row["phi_c_fit"] == pytest.approx(0.6234, abs=1e-9)
    assert row["phi_c_fit_se"] == pytest.approx(0.0, abs=1e-9)
    assert 0.62 <= row["phi_c_half"] <= 0.63
    assert row["phi_absorbed_max"] == pytest.approx(0.62)
    assert row["phi_active_min"] == pytest.approx(0.63)


def test_half_absorbed_point_interpolates():
    table = synthetic(phi_c=0.6)
    # at phi = 0.6 one seed in three stays active -> absorbed fraction 2/3
    table.loc[table["phi"] == 0.6, "absorbed"] = [True, True, False]
    row = estimate_phi_c(table).iloc[0]
    # between 0.6 (2/3 absorbed) and 0.61 (0 absorbed): 0.6 + (2/3 - 1/2) / (2/3) * 0.01
    assert row["phi_c_half"] == pytest.approx(0.6025)


def test_scan_runs_every_size_phi_and_seed():
    cfg = ScanConfig(d=2, sizes=(60, 80), phis=(0.3, 0.88), n_seeds=2, eps=0.05, steps=60)
    table = scan_phi(cfg)
    assert len(table) == 8
    assert sorted(table["seed"].unique()) == [0, 1]
    low, high = table[table["phi"] == 0.3], table[table["phi"] == 0.88]
    assert low["absorbed"].all() and (low["f_active"] == 0).all()
    assert not high["absorbed"].any() and (high["f_active"] > 0.5).all()


def test_scan_config_checks_its_grid():
    with pytest.raises(ValueError, match="phis"):
        ScanConfig(phis=(0.5, 1.2))
    with pytest.raises(ValueError, match="n_seeds"):
        ScanConfig(n_seeds=0)
    with pytest.raises(ValueError, match="missing"):
        estimate_phi_c(pd.DataFrame({"phi": [0.5]}))
