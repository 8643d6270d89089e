from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neuroalign.packing.config import MANNA_3D, Exponents, ScalingConfig
from neuroalign.packing.scaling import collapse_quality, fit_collapse, scaled_table


def fss_data(phi_c=0.63, exps=MANNA_3D, d=3):
    """f_a and tau that follow the finite-size-scaling forms exactly."""
    rows = []
    for n in (500, 2000, 8000):
        length = n ** (1 / d)
        for phi in np.linspace(0.60, 0.66, 61):
            x = (phi - phi_c) * length ** (1 / exps.nu_perp)
            f = np.log1p(np.exp(3 * x)) / 3  # smooth, ~ max(x, 0) far from 0
            tau = 1 / np.sqrt(1 + x**2)  # smooth, ~ |x|^-1 away from x = 0
            rows.append(
                {
                    "n": n,
                    "phi": phi,
                    "seed": 0,
                    "f_active": f * length ** (-exps.beta / exps.nu_perp),
                    "tau": tau * length ** (exps.nu_parallel / exps.nu_perp),
                }
            )
    return pd.DataFrame(rows)


def test_exact_scaling_forms_collapse_at_the_true_phi_c_only():
    table = fss_data()
    good = scaled_table(table, 0.63, 3)
    assert collapse_quality(good) < 1e-3
    assert collapse_quality(good, "y_tau") < 1e-3
    assert collapse_quality(scaled_table(table, 0.62, 3)) > 10 * collapse_quality(good)
    phi_c, _ = fit_collapse(table, 3, resolution=1e-3)
    assert phi_c == pytest.approx(0.63, abs=1e-3)


def test_wrong_exponents_collapse_worse():
    table = fss_data()
    wrong = Exponents(beta=0.5, nu_parallel=1.0, nu_perp=1.0)
    assert collapse_quality(scaled_table(table, 0.63, 3, wrong)) > 10 * collapse_quality(
        scaled_table(table, 0.63, 3)
    )


def test_scaled_table_means_over_seeds():
    table = pd.DataFrame(
        {"n": [8, 8], "phi": [0.6, 0.6], "f_active": [0.2, 0.4], "tau": [10.0, 30.0]}
    )
    out = scaled_table(table, 0.6, 3)
    assert len(out) == 1
    assert out["f_active"].iloc[0] == pytest.approx(0.3)
    assert out["x"].iloc[0] == 0.0
    assert out["y_f"].iloc[0] == pytest.approx(0.3 * 2 ** (0.84 / 0.59))


def test_scaling_config_carries_manna_defaults():
    cfg = ScalingConfig()
    assert cfg.exponents == MANNA_3D
