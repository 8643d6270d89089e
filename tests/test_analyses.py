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


def load_script(name: str):
    """Import ``analyses/<name>.py`` (scripts, not a package) as module ``name``."""
    spec = importlib.util.spec_from_file_location(name, REPO / "analyses" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def la():
    return load_script("layerwise_alignment")


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


# --------------------------------------------------------------------------------------------
# analyses/training_dynamics.py
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def td():
    return load_script("training_dynamics")


def test_dynamics_runs_share_the_budget_and_differ_in_the_loss_only(td, tmp_path) -> None:
    cfg = td.effective_settings(td.DynamicsConfig(out=tmp_path, tiny=True))
    configs = {loss: td.run_config(cfg, loss) for loss in td.LOSSES}
    shared = ("arch", "epochs", "batch_size", "views", "image_size", "train_subset", "seed",
              "base_lr", "warmup_epochs", "track", "track_every_epochs", "knn_every_epochs")  # fmt: skip
    for name in shared:
        assert len({str(getattr(c, name)) for c in configs.values()}) == 1, name
    assert configs["clamp"].track == ("packing", "dimension", "alignment")
    assert configs["directclr"].head_dims == () and configs["clamp"].head_dims == (2048, 256)
    assert configs["directclr"].loss_options == ("d0=360",)
    assert configs["adadim"].loss_options == ("tau=1",)
    assert configs["simclr"].output_dir == tmp_path / "runs" / "simclr"
    with pytest.raises(ValueError, match="--losses: choose from"):
        td.DynamicsConfig(losses=("byol",))
    with pytest.raises(ValueError, match="exclude each other"):
        td.DynamicsConfig(tiny=True, full=True)


def test_final_table_takes_the_last_measured_value_of_each_run(td, tmp_path) -> None:
    run = tmp_path / "r"
    run.mkdir()
    pd.DataFrame(
        {
            "step": [0, 4, 8, 10],
            "loss": [np.nan, 2.0, 1.0, 0.9],
            "knn_top1": [np.nan, 0.2, np.nan, np.nan],
            "alignment/layer3/v4_r": [0.3, np.nan, 0.35, np.nan],
        }
    ).to_csv(run / "metrics.csv", index=False)
    table = td.final_table({"clamp": run})
    row = table.iloc[0]
    assert tuple(table.columns) == ("loss", "final_step", *td.FINAL_COLUMNS.values())
    assert (row["loss"], row["final_step"], row["knn_top1"], row["v4_r_layer3"]) == (
        "clamp", 10, 0.2, 0.35,
    )  # fmt: skip
    assert np.isnan(row["it_monkey_rsa_layer4"])  # never measured


@pytest.mark.slow
def test_tiny_dynamics_run(td, tmp_path, shared_data) -> None:
    from neuroalign.tracking import read_run_metrics

    out = tmp_path / "td"
    losses = "clamp,directclr,adadim"  # the default head, no head, the callback-driven loss
    assert td.main(["--tiny", "--device", "cpu", "--losses", losses, "--out", str(out)]) == 0
    table = pd.read_csv(out / "final.csv")
    assert table["loss"].tolist() == losses.split(",")
    assert (table["final_step"] == 8).all()  # 2 epochs of 128 images in batches of 32
    for column in ("knn_top1", "v4_r_layer3", "it_monkey_rsa_layer4", "representation_pr"):
        assert table[column].notna().all(), column
    assert (out / "dynamics.png").stat().st_size > 50_000
    assert (out / "config.yaml").is_file()
    # same backbone, same seed: every objective starts from the same network (step 0)
    starts = [read_run_metrics(out / "runs" / loss).iloc[0] for loss in losses.split(",")]
    column = "dimension/representation/participation_ratio"
    assert all(s["step"] == 0 for s in starts)
    assert np.allclose([s[column] for s in starts], starts[0][column])
    # a second call reuses the finished runs
    assert td.main(["--tiny", "--device", "cpu", "--losses", "clamp", "--out", str(out)]) == 0
