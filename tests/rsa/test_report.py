"""rsa_layer_scores and the report files."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from neuroalign.errors import DataError
from neuroalign.rsa import compare_rdms, compute_rdm, rdm_dataarray, rsa_layer_scores
from neuroalign.rsa.report import TABLE_COLUMNS, plot_layer_scores, plot_rdms


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


def test_layer_scores_plot(setup):
    features, refs, _, _ = setup
    table = rsa_layer_scores(features, refs, n_bootstrap=20)
    two = pd_concat([table.assign(model="a"), table.assign(model="b")])
    fig = plot_layer_scores(two, "title", lines={"ceiling": 0.9, "per reference": {"IT": 0.5}})
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["IT", "V4"]  # one panel per reference
    assert all(ax.get_xlabel() == "layer" for ax in axes)
    assert axes[0].get_ylabel() == "RDM similarity (spearman)"
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["copy", "noisy", "random"]
    # two models + two lines on the IT panel, one line on V4 (the other is IT's only)
    assert len(axes[0].get_lines()) == 4 and len(axes[1].get_lines()) == 3
    assert fig._suptitle.get_text() == "title"


def test_rdm_plot_labels_the_categories(setup):
    _, refs, _, _ = setup
    categories = ["face"] * 10 + ["body"] * 6 + ["object"] * 8
    fig = plot_rdms({"IT": refs["IT"], "V4": refs["V4"]}, categories, "RDMs")
    first, second = fig.axes[:2]
    assert [t.get_text() for t in first.get_yticklabels()] == ["face", "body", "object"]
    assert first.get_yticks().tolist() == [4.5, 12.5, 19.5]  # block centres
    assert [t.get_text() for t in second.get_xticklabels()] == ["face", "body", "object"]
    assert fig.axes[-1].get_ylabel() == "dissimilarity (percentile)"  # the colour bar
    image = first.get_images()[0].get_array()
    assert image.min() == 0 and image.max() == 100 and np.allclose(image, image.T)


def pd_concat(tables):
    import pandas as pd

    return pd.concat(tables, ignore_index=True)


@pytest.mark.parametrize("method", ["tau_a", "pearson", "cosine"])
def test_other_comparisons_and_rdm_methods(setup, method):
    features, refs, _, _ = setup
    table = rsa_layer_scores(features, refs, method, rdm_method="euclidean", n_bootstrap=20)
    assert (table["method"] == method).all() and (table["rdm_method"] == "euclidean").all()
    expected = compare_rdms(compute_rdm(features["noisy"].values, "euclidean"), refs["V4"], method)
    row = table[(table["layer"] == "noisy") & (table["reference"] == "V4")]
    assert float(row["score"].iloc[0]) == pytest.approx(expected)
