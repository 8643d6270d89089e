"""analyses/layerwise_alignment.py: known answers of its pieces and one small end-to-end run."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "analyses" / "layerwise_alignment.py"


@pytest.fixture(scope="module")
def la():
    spec = importlib.util.spec_from_file_location("layerwise_alignment", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["layerwise_alignment"] = module
    spec.loader.exec_module(module)
    return module


def _assembly(values: np.ndarray, ids: list[str], prefix: str = "f") -> xr.DataArray:
    d = values.shape[1]
    return xr.DataArray(
        values,
        dims=("presentation", "neuroid"),
        coords={
            "stimulus_id": ("presentation", ids),
            "neuroid_id": ("neuroid", [f"{prefix}{i}" for i in range(d)]),
        },
    )


def test_dimension_rows_known_participation_ratio(la) -> None:
    # isotropic Gaussian in k of d dimensions: PR -> k, effective rank close to k
    rng = np.random.default_rng(0)
    k, d, n = 5, 40, 4000
    X = np.zeros((n, d))
    X[:, :k] = rng.normal(size=(n, k))
    ids = [f"s{i}" for i in range(n)]
    rows = la.dimension_rows("m", {"a": _assembly(X, ids)}, "synthetic")
    got = {r["metric"]: r["value"] for r in rows}
    assert got["participation_ratio"] == pytest.approx(k, rel=0.02)
    assert 0.9 * k < got["effective_rank"] <= k + 1e-9
    assert {r["depth"] for r in rows} == {0}


def test_it_rsa_rows_identity_scores_one(la) -> None:
    from neuroalign.rsa import compute_rdm, rdm_dataarray

    rng = np.random.default_rng(1)
    n = 30
    ids = [f"s{i:02d}" for i in range(n)]
    X = rng.normal(size=(n, 50))
    brain = {"same": rdm_dataarray(compute_rdm(X), ids)}
    noise = rng.normal(size=(n, 50))
    feats = {"l0": _assembly(X, ids), "l1": _assembly(noise, ids)}
    cfg = la.AlignmentConfig(n_bootstrap=50)
    rows = pd.DataFrame(la.it_rsa_rows("m", feats, brain, cfg))
    assert rows.loc[rows["layer"] == "l0", "value"].item() == pytest.approx(1.0)
    assert abs(rows.loc[rows["layer"] == "l1", "value"].item()) < 0.2
    assert rows["depth"].tolist() == [0, 1]
    assert (rows["ci_low"] <= rows["ci_high"]).all()


def test_v4_rows_rank_informative_layer_first(la) -> None:
    rng = np.random.default_rng(2)
    n, q = 120, 6
    ids = [f"s{i}" for i in range(n)]
    latent = rng.normal(size=(n, 10))
    responses = _assembly(
        latent @ rng.normal(size=(10, q)) + 0.3 * rng.normal(size=(n, q)), ids, "n"
    )
    good = _assembly(latent, ids)
    bad = _assembly(rng.normal(size=(n, 10)), ids)
    cfg = la.AlignmentConfig(n_splits=3, n_bootstrap=0)
    rows = pd.DataFrame(la.v4_rows("m", {"good": good, "bad": bad}, responses, "x", cfg))
    r = rows.set_index("layer")["value"]
    assert r["good"] > 0.9
    assert abs(r["bad"]) < 0.3
    assert set(rows["metric"]) == {"v4_ridge_r"}  # no ceiling given


def test_small_caps_and_validation(la) -> None:
    cfg = la.effective_settings(la.AlignmentConfig(small=True, n_splits=10))
    assert (cfg.v4_images, cfg.n_splits, cfg.n_bootstrap) == (200, 4, 100)
    assert la.effective_settings(la.AlignmentConfig()) == la.AlignmentConfig()
    with pytest.raises(ValueError, match="n-splits"):
        la.AlignmentConfig(n_splits=1)
    assert la.main(["--models", "resnet18", "--n-splits", "1"]) == 2


@pytest.mark.slow
def test_small_run_on_resnet18(la, tmp_path, shared_data) -> None:
    out = tmp_path / "out"
    assert la.main(["--models", "resnet18", "--out", str(out), "--small"]) == 0
    table = pd.read_csv(out / "alignment.csv")
    assert tuple(table.columns) == la.COLUMNS
    assert (out / "alignment.png").stat().st_size > 10_000
    assert (out / "config.yaml").is_file()
    layers = list(la.AlignmentConfig().layers)
    expected = {
        "v4_ridge_r",
        "v4_ridge_ceiled_ev",
        "it_rsa_spearman",
        "participation_ratio",
        "effective_rank",
        "manifold_capacity",
    }
    assert set(table["metric"]) == expected
    for metric, sub in table.groupby(["metric", "dataset"]):
        assert sub["layer"].tolist() == layers, metric
        assert sub["depth"].tolist() == list(range(len(layers)))
    assert set(table["dataset"]) >= {"Kriegeskorte2008 monkey_IT", "Kriegeskorte2008 human_IT"}
    rsa = table[table["metric"] == "it_rsa_spearman"]
    assert rsa["value"].between(-1, 1).all() and rsa["ci_low"].notna().all()
    v4 = table[table["metric"] == "v4_ridge_r"]
    assert v4["value"].between(0.0, 1.0).all()  # even random ResNet features predict V4
    ev = table[table["metric"] == "v4_ridge_ceiled_ev"].set_index("layer")["value"]
    r = v4.set_index("layer")["value"]
    # ceiled explained variance is r^2 / ceiling with one ceiling for all layers
    ratio = (r**2 / ev).to_numpy()
    assert np.allclose(ratio, ratio[0]) and 0.3 < ratio[0] <= 1.0
    pr = table[table["metric"] == "participation_ratio"]["value"]
    assert (pr >= 1).all() and (pr <= 199).all()  # 200 images -> rank <= 199
