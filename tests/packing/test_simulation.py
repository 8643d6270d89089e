from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
import torch

from neuroalign.packing.config import PackingConfig, ScanConfig, packing_config
from neuroalign.packing.simulation import PackingSimulation, simulate
from neuroalign.packing.structure import bond_order_2d


@pytest.mark.parametrize("dynamics", ["bro", "sgd"])
def test_below_the_transition_the_loss_reaches_zero_quickly(dynamics):
    run = simulate(
        PackingConfig(d=3, n=500, phi=0.3, dynamics=dynamics, eps=0.05, batch_fraction=0.5)
    )
    assert run.absorbed and run.steps < 400
    assert run.history["loss"].iloc[-1] == 0.0
    assert run.history["loss"].iloc[0] > 0.0
    summary = run.summary()
    assert summary["f_active"] == 0.0 and summary["tau"] == run.steps


@pytest.mark.parametrize("dynamics", ["bro", "sgd"])
def test_above_any_random_packing_the_system_stays_active(dynamics):
    run = simulate(
        PackingConfig(
            d=3, n=300, phi=0.75, dynamics=dynamics, eps=0.05, steps=150, batch_fraction=0.5
        )
    )
    assert not run.absorbed and run.steps == 150
    assert run.summary()["f_active"] > 0.9
    assert (run.history["loss"] > 0).all()


def test_same_seed_same_run_other_seed_other_run():
    cfg = PackingConfig(d=2, n=300, phi=0.6, eps=0.05, steps=100)
    a, b = simulate(cfg), simulate(cfg)
    pd.testing.assert_frame_equal(a.history, b.history)
    torch.testing.assert_close(a.positions, b.positions)
    c = simulate(cfg, seed=1)
    assert not torch.equal(a.positions, c.positions)


def test_verlet_skin_does_not_change_the_dynamics():
    cfg = PackingConfig(d=3, n=400, phi=0.62, eps=0.05, steps=60, dtype="float64")
    with_skin, without = simulate(cfg, skin=0.3), simulate(cfg, skin=0.0)
    torch.testing.assert_close(with_skin.positions, without.positions)


@pytest.mark.parametrize(("d", "poly"), [(2, 0.2), (4, 0.0), (5, 0.1)])
def test_other_dimensions_and_polydisperse_radii(d, poly):
    run = simulate(PackingConfig(d=d, n=300, phi=0.2, polydispersity=poly, eps=0.05, steps=2000))
    assert run.absorbed
    assert run.positions.shape == (300, d)
    assert float(run.radii.std()) > 0 if poly else float(run.radii.std()) == 0


def test_history_records_every_k_steps_and_the_end():
    run = simulate(PackingConfig(d=3, n=300, phi=0.7, eps=0.05, steps=45, record_every=10))
    assert run.history["step"].tolist() == [0, 10, 20, 30, 40, 45]


@pytest.mark.slow
def test_monodisperse_bro_in_two_dimensions_crystallises():
    """d = 2 monodisperse BRO above random close packing (phi = 0.86 > 0.84) orders into the
    hexagonal crystal (Wilken et al. 2021): the hexatic order rises from ~0.4 to above 0.85;
    polydisperse spheres at the same phi stay disordered."""
    order = {}
    for poly in (0.0, 0.15):
        sim = PackingSimulation(
            PackingConfig(d=2, n=150, phi=0.86, polydispersity=poly, eps=0.05, steps=1000)
        )
        before = bond_order_2d(sim.positions, sim.side)["local"]
        run = sim.run()
        order[poly] = (before, bond_order_2d(run.positions, run.side)["local"])
    assert order[0.0][0] < 0.5 and order[0.0][1] > 0.85
    assert order[0.15][1] < order[0.0][1] - 0.1


def test_initial_positions_and_radii_can_be_given():
    cfg = PackingConfig(d=2, n=3, phi=0.05, steps=5)
    x = torch.tensor([[0.0, 0.0], [0.5, 0.0], [3.0, 3.0]])
    sim = PackingSimulation(cfg, positions=x)
    assert sim.overlaps().i.numel() == 1
    with pytest.raises(ValueError, match="positions"):
        PackingSimulation(cfg, positions=torch.zeros(4, 2))


def test_config_validation_names_the_field():
    for bad, match in (
        ({"d": 1}, "d:"),
        ({"n": 1}, "n:"),
        ({"phi": 0.0}, "phi"),
        ({"dynamics": "adam"}, "dynamics"),
        ({"eps": -0.1}, "eps"),
        ({"dynamics": "sgd", "batch_fraction": 0.0}, "batch_fraction"),
        ({"skin": -1.0}, "skin"),
        ({"dynamics": "sgd", "lr": -0.1}, "lr"),
    ):
        with pytest.raises(ValueError, match=match):
            PackingConfig(**bad)


def test_learning_rate_matches_bro_by_default():
    assert PackingConfig(dynamics="sgd", eps=0.02, batch_fraction=0.25).learning_rate == 0.08
    assert PackingConfig(dynamics="sgd", lr=0.3).learning_rate == 0.3


def test_packing_config_takes_the_shared_fields():
    scan = ScanConfig(d=2, eps=0.07, dynamics="sgd", sizes=(10,), phis=(0.5,))
    cfg = packing_config(scan, n=10, phi=0.5, seed=4)
    assert (cfg.d, cfg.eps, cfg.dynamics, cfg.n, cfg.phi, cfg.seed) == (2, 0.07, "sgd", 10, 0.5, 4)


@pytest.mark.gpu
def test_the_same_code_runs_on_cuda():
    cfg = PackingConfig(d=3, n=2000, phi=0.3, eps=0.05, device="cuda", dtype="float64")
    run = simulate(cfg)
    assert run.absorbed and run.positions.device.type == "cpu"
    start_cpu = PackingSimulation(replace(cfg, device="cpu"))
    start_gpu = PackingSimulation(cfg)
    torch.testing.assert_close(start_gpu.positions.cpu(), start_cpu.positions)
    ov_cpu, ov_gpu = start_cpu.overlaps(), start_gpu.overlaps()
    assert ov_cpu.i.numel() == ov_gpu.i.numel()
