"""rsa_layer_scores and the report files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import neuroalign  # noqa: F401
from neuroalign.errors import DataError
from neuroalign.rsa import compare_rdms, compute_rdm, rdm_dataarray, rsa_layer_scores
from neuroalign.rsa.report import TABLE_COLUMNS, write_report


def _assembly(values: np.ndarray, ids: np.ndarray) -> xr.DataArray:
    return xr.DataArray(
        values, dims=("presentation", "neuroid"), coords={"stimulus_id": ("presentation", ids)}
    )


@pytest.fixture
def setup():
    rng = np.random.default_rng(0)
    n = 24
    ids = np.array([f"img{i:02d}" for i in range(n)])
    brain = rng.normal(size=(n, 50))
    features = {
        "copy": _assembly(brain * 3 + 1, ids),  # same correlation RDM as the brain
        "noisy": _assembly(brain + 2 * rng.normal(size=brain.shape), ids),
        "random": _assembly(rng.normal(size=(n, 30)), ids),
    }
    refs = {
        "IT": rdm_dataarray(compute_rdm(brain), ids),
        "V4": compute_rdm(brain + rng.normal(size=brain.shape)),
    }
    return features, refs, ids, brain


def test_layer_scores_table(setup):
    features, refs, _, _ = setup
    table = rsa_layer_scores(features, refs, n_bootstrap=100)
    assert list(table.columns) == list(TABLE_COLUMNS)
    assert len(table) == 6
    it = table[table["reference"] == "IT"].set_index("layer")
    assert it.loc["copy", "score"] == pytest.approx(1.0)
    assert it.loc["copy", "score"] > it.loc["noisy", "score"] > it.loc["random", "score"]
    assert (table["ci_low"] <= table["score"] + 1e-12).all()
    assert (table["score"] <= table["ci_high"] + 1e-12).all()
    v4 = table[table["reference"] == "V4"].set_index("layer")
    expected = compare_rdms(compute_rdm(features["noisy"].values), refs["V4"])
    assert v4.loc["noisy", "score"] == pytest.approx(expected)
    assert int(it.loc["noisy", "n_features"]) == 50 and int(it.loc["noisy", "n_stimuli"]) == 24


def test_references_are_aligned_by_stimulus_id(setup):
    features, refs, ids, brain = setup
    perm = np.random.default_rng(1).permutation(len(ids))
    shuffled = {"IT": rdm_dataarray(compute_rdm(brain[perm]), ids[perm])}
    a = rsa_layer_scores(features, {"IT": refs["IT"]}, n_bootstrap=0)
    b = rsa_layer_scores(features, shuffled, n_bootstrap=0)
    np.testing.assert_allclose(a["score"], b["score"])
    assert a["ci_low"].isna().all()
    wrong = {"IT": rdm_dataarray(compute_rdm(brain), [f"x{i}" for i in range(len(ids))])}
    with pytest.raises(DataError, match="24 stimulus ids only in the first"):
        rsa_layer_scores(features, wrong, n_bootstrap=0)
    with pytest.raises(DataError, match="stimuli"):
        rsa_layer_scores(features, {"IT": np.zeros((5, 5))}, n_bootstrap=0)


def test_write_report(setup, tmp_path):
    features, refs, _, _ = setup
    table = rsa_layer_scores(features, refs, n_bootstrap=20)
    paths = write_report(
        table, tmp_path / "out", {"copy": refs["IT"], "IT": refs["IT"]}, {"model": "test"}
    )
    assert set(paths) == {"csv", "json", "scores_plot", "rdm_plot"}
    back = pd.read_csv(paths["csv"])
    np.testing.assert_allclose(back["score"], table["score"])
    payload = json.loads(paths["json"].read_text())
    assert payload["metadata"]["model"] == "test" and len(payload["scores"]) == len(table)
    for key in ("scores_plot", "rdm_plot"):
        assert paths[key].read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("method", ["tau_a", "pearson", "cosine"])
def test_other_comparisons_and_rdm_methods(setup, method):
    features, refs, _, _ = setup
    table = rsa_layer_scores(features, refs, method, rdm_method="euclidean", n_bootstrap=20)
    assert (table["method"] == method).all() and (table["rdm_method"] == "euclidean").all()
    expected = compare_rdms(compute_rdm(features["noisy"].values, "euclidean"), refs["V4"], method)
    row = table[(table["layer"] == "noisy") & (table["reference"] == "V4")]
    assert float(row["score"].iloc[0]) == pytest.approx(expected)
