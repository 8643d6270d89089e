from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from neuroalign.packing.loss import find_overlaps
from neuroalign.packing.observables import overlap_observables, relaxation_time, steady_state


def test_observables_of_a_chain_of_three():
    # spheres 0-1 and 1-2 overlap by 0.2 and 0.1; sphere 3 is alone
    x = torch.tensor([[1.0, 5.0], [1.8, 5.0], [2.7, 5.0], [6.0, 5.0]], dtype=torch.float64)
    obs = overlap_observables(find_overlaps(x, torch.full((4,), 0.5, dtype=torch.float64), 10.0))
    assert obs["n_contacts"] == 2
    assert obs["n_active"] == 3 and obs["f_active"] == pytest.approx(0.75)
    assert obs["z"] == pytest.approx(1.0)
    assert obs["loss"] == pytest.approx(0.15)
    assert obs["mean_overlap"] == pytest.approx(0.15)


def test_observables_of_an_absorbed_state_are_zero():
    x = torch.tensor([[1.0, 1.0], [3.0, 3.0]], dtype=torch.float64)
    obs = overlap_observables(find_overlaps(x, torch.full((2,), 0.5, dtype=torch.float64), 10.0))
    assert obs == {
        "loss": 0.0,
        "f_active": 0.0,
        "n_active": 0,
        "n_contacts": 0,
        "z": 0.0,
        "mean_overlap": 0.0,
    }


def history(f, loss=None):
    steps = np.arange(len(f)) * 10
    loss = np.asarray(f) if loss is None else loss
    return pd.DataFrame({"step": steps, "f_active": f, "loss": loss})


def test_relaxation_time_of_an_exponential_approach():
    t = np.arange(2001) * 10.0
    f = 0.3 + 0.6 * np.exp(-t / 500.0)
    h = history(f)
    assert steady_state(h) == pytest.approx(0.3, abs=1e-6)
    assert relaxation_time(h) == pytest.approx(500.0, abs=10.0)


def test_absorbed_run_has_zero_activity_and_tau_at_absorption():
    h = history([0.9, 0.5, 0.2, 0.0])
    assert steady_state(h) == 0.0
    assert relaxation_time(h) == 30.0


def test_history_columns_are_checked():
    with pytest.raises(ValueError, match="missing"):
        steady_state(pd.DataFrame({"step": [0]}), "f_active")


def test_relaxation_time_is_zero_when_starting_below_the_steady_state():
    assert relaxation_time(history([0.1, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6])) == 0.0
