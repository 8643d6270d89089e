from __future__ import annotations

import pytest

from neuroalign.packing.compare import compare_dynamics, matched_rules
from neuroalign.packing.config import CompareConfig
from neuroalign.packing.dynamics import BRO, ParticleSGD


def test_matched_rules_have_the_same_mean_step():
    rules = matched_rules(CompareConfig(eps=0.02, batch_fractions=(0.25, 1.0)))
    assert rules["BRO eps=0.02"] == BRO(0.02)
    assert rules["SGD b_f=0.25"] == ParticleSGD(0.08, batch_fraction=0.25)
    assert rules["SGD b_f=1"] == ParticleSGD(0.02, batch_fraction=1.0)


def test_compare_runs_bro_and_each_sgd_on_the_same_grid():
    cfg = CompareConfig(
        d=2,
        eps=0.05,
        steps=200,
        sizes=(40,),
        phis=(0.3, 0.88),
        n_seeds=1,
        batch_fractions=(0.5,),
        noise_n=50,
        noise_phi=0.7,
        noise_draws=20,
    )
    result = compare_dynamics(cfg)
    assert len(result.scan) == 4
    assert set(result.phi_c["rule"]) == {"BRO eps=0.05", "SGD b_f=0.5"}
    low = result.scan[result.scan["phi"] == 0.3]
    assert low["absorbed"].all()
    sgd = result.scan[result.scan["rule"] == "SGD b_f=0.5"]
    assert sgd["lr"].tolist() == pytest.approx([0.1, 0.1])
    assert (sgd["batch_fraction"] == 0.5).all()
    assert list(result.noise["name"]) == ["BRO eps=0.05", "SGD b_f=0.5"]


def test_batch_fractions_are_checked():
    with pytest.raises(ValueError, match="batch_fractions"):
        CompareConfig(batch_fractions=(0.0,))
