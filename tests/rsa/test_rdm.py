"""compute_rdm: known answers, invariances, forms, and agreement with rsatoolbox."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import xarray as xr
from scipy.spatial.distance import pdist, squareform

from neuroalign.errors import DataError
from neuroalign.rsa import RDM_DIMS, compute_rdm, condensed_to_square, square_to_condensed
from neuroalign.rsa.rdm import n_stimuli_from_condensed

METHODS = ("correlation", "euclidean", "cosine")


@pytest.fixture
def patterns() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(12, 40))


def _trials(rng, n_stim=10, n_runs=3, n_feat=25, noise=0.5):
    base = rng.normal(size=(n_stim, n_feat))
    stim = np.tile(np.arange(n_stim), n_runs)
    run = np.repeat(np.arange(n_runs), n_stim)
    x = base[stim] + noise * rng.normal(size=(len(stim), n_feat))
    return x, stim, run


def test_euclidean_known_answer():
    # squared distance 3^2 + 4^2 = 25, divided by 2 features (rsatoolbox's convention)
    rdm = compute_rdm(np.array([[0.0, 0.0], [3.0, 4.0]]), "euclidean")
    np.testing.assert_allclose(rdm, [[0.0, 12.5], [12.5, 0.0]])


def test_correlation_and_cosine_known_answer():
    x = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [1.0, 0.0, 0.0]])
    corr = compute_rdm(x, "correlation")
    assert corr[0, 1] == pytest.approx(2.0)  # r = -1
    cos = compute_rdm(x, "cosine")
    assert cos[0, 2] == pytest.approx(1 - 1 / np.sqrt(14))


@pytest.mark.parametrize("method", METHODS)
def test_identical_patterns_give_zero(method):
    row = np.random.default_rng(1).normal(size=30)
    rdm = compute_rdm(np.tile(row, (5, 1)), method)
    np.testing.assert_allclose(rdm, 0.0, atol=1e-12)


def test_crossnobis_identical_noiseless_patterns_give_zero():
    row = np.random.default_rng(2).normal(size=20)
    x = np.tile(row, (12, 1))
    rdm = compute_rdm(
        x, "crossnobis", stimuli=np.tile(np.arange(4), 3), runs=np.repeat(np.arange(3), 4)
    )
    np.testing.assert_allclose(rdm, 0.0, atol=1e-12)


def test_correlation_invariant_to_per_stimulus_affine_scaling(patterns):
    rng = np.random.default_rng(3)
    scale = rng.uniform(0.1, 10.0, size=(len(patterns), 1))
    shift = rng.normal(size=(len(patterns), 1)) * 5
    np.testing.assert_allclose(
        compute_rdm(patterns * scale + shift), compute_rdm(patterns), atol=1e-12
    )


def test_cosine_invariant_to_per_stimulus_scaling(patterns):
    scale = np.random.default_rng(4).uniform(0.1, 10.0, size=(len(patterns), 1))
    np.testing.assert_allclose(
        compute_rdm(patterns * scale, "cosine"), compute_rdm(patterns, "cosine"), atol=1e-12
    )


def test_euclidean_invariant_to_rotation_and_translation(patterns):
    rng = np.random.default_rng(5)
    q, _ = np.linalg.qr(rng.normal(size=(patterns.shape[1],) * 2))
    moved = patterns @ q + rng.normal(size=patterns.shape[1]) * 3
    np.testing.assert_allclose(
        compute_rdm(moved, "euclidean"), compute_rdm(patterns, "euclidean"), atol=1e-10
    )


def test_cosine_matches_scipy(patterns):
    ours = compute_rdm(patterns, "cosine", condensed=True)
    np.testing.assert_allclose(ours, pdist(patterns, "cosine"), atol=1e-12)


def test_square_condensed_round_trip_matches_scipy(patterns):
    square = compute_rdm(patterns)
    condensed = square_to_condensed(square)
    np.testing.assert_allclose(condensed, squareform(square, checks=False))
    np.testing.assert_allclose(condensed_to_square(condensed), square)
    np.testing.assert_allclose(compute_rdm(patterns, condensed=True), condensed)
    assert n_stimuli_from_condensed(len(condensed)) == len(patterns)
    with pytest.raises(DataError, match="n\\*\\(n-1\\)/2"):
        n_stimuli_from_condensed(7)


def test_torch_in_torch_out_and_batched(patterns):
    batch = torch.as_tensor(np.stack([patterns, patterns[::-1].copy(), patterns * 2]))
    out = compute_rdm(batch, "euclidean")
    assert isinstance(out, torch.Tensor) and out.shape == (3, 12, 12)
    for i in range(3):
        np.testing.assert_allclose(out[i].numpy(), compute_rdm(batch[i].numpy(), "euclidean"))
    assert compute_rdm(batch, condensed=True).shape == (3, 66)


def test_float32_compute_is_close(patterns):
    out = compute_rdm(patterns, dtype=torch.float32)
    np.testing.assert_allclose(out, compute_rdm(patterns), atol=1e-5)


def test_xarray_in_xarray_out(patterns):
    ids = [f"im{i:02d}" for i in range(len(patterns))]
    data = xr.DataArray(
        patterns,
        dims=("presentation", "neuroid"),
        coords={"stimulus_id": ("presentation", ids)},
    )
    rdm = compute_rdm(data)
    assert rdm.dims == RDM_DIMS
    assert list(rdm[RDM_DIMS[0]].values) == ids == list(rdm[RDM_DIMS[1]].values)
    assert rdm.attrs["method"] == "correlation"
    np.testing.assert_allclose(rdm.values, compute_rdm(patterns))
    # neuroid-first layout is transposed to presentation x neuroid
    np.testing.assert_allclose(compute_rdm(data.T).values, rdm.values)
    with pytest.raises(DataError, match="occur more than once"):
        compute_rdm(data.assign_coords(stimulus_id=("presentation", ["a"] * len(ids))))


def test_bad_input_raises(patterns):
    with pytest.raises(ValueError, match="unknown RDM method"):
        compute_rdm(patterns, "manhattan")
    bad = patterns.copy()
    bad[2, 3] = np.nan
    with pytest.raises(DataError, match="NaN"):
        compute_rdm(bad)
    flat = patterns.copy()
    flat[4] = 1.0
    with pytest.raises(DataError, match="constant"):
        compute_rdm(flat)
    with pytest.raises(DataError, match="n_stimuli, n_features"):
        compute_rdm(np.ones(5))
    with pytest.raises(DataError, match="run"):
        compute_rdm(patterns, "crossnobis")


def test_crossnobis_missing_cell_is_named():
    x, stim, run = _trials(np.random.default_rng(6))
    keep = ~((stim == 3) & (run == 1))
    with pytest.raises(DataError, match="1 \\(stimulus, run\\) cells"):
        compute_rdm(x[keep], "crossnobis", stimuli=stim[keep], runs=run[keep])


def test_crossnobis_xarray_uses_coords():
    x, stim, run = _trials(np.random.default_rng(7))
    ids = np.array([f"s{s:02d}" for s in stim])
    data = xr.DataArray(
        x,
        dims=("presentation", "neuroid"),
        coords={"stimulus_id": ("presentation", ids), "repetition": ("presentation", run)},
    )
    rdm = compute_rdm(data, "crossnobis", run_coord="repetition")
    np.testing.assert_allclose(rdm.values, compute_rdm(x, "crossnobis", stimuli=stim, runs=run))
    assert rdm[RDM_DIMS[0]].values[0] == "s00"


def test_crossnobis_is_unbiased_where_euclidean_is_not():
    """Same pattern for every stimulus plus noise: crossnobis ~ 0, euclidean > 0."""
    rng = np.random.default_rng(8)
    n_stim, n_runs, n_feat = 8, 6, 200
    base = np.tile(rng.normal(size=n_feat), (n_stim, 1))
    stim = np.tile(np.arange(n_stim), n_runs)
    run = np.repeat(np.arange(n_runs), n_stim)
    x = base[stim] + rng.normal(size=(len(stim), n_feat))
    cross = compute_rdm(x, "crossnobis", stimuli=stim, runs=run, condensed=True)
    means = np.stack([x[stim == s].mean(0) for s in range(n_stim)])
    eucl = compute_rdm(means, "euclidean", condensed=True)
    assert abs(cross.mean()) < 0.05 * eucl.mean()
    assert eucl.mean() == pytest.approx(2 / n_runs, rel=0.1)  # 2 sigma^2 / n_repeats


# ---------------------------------------------------------------------------------------------
# agreement with rsatoolbox
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["correlation", "euclidean"])
def test_agrees_with_rsatoolbox(method, patterns):
    rsatoolbox = pytest.importorskip("rsatoolbox")
    ref = rsatoolbox.rdm.calc_rdm(rsatoolbox.data.Dataset(patterns), method=method)
    ours = compute_rdm(patterns, method, condensed=True)
    np.testing.assert_allclose(ours, ref.get_vectors()[0], atol=1e-10)


@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")
@pytest.mark.parametrize("with_noise", [False, True])
def test_crossnobis_agrees_with_rsatoolbox(with_noise):
    rsatoolbox = pytest.importorskip("rsatoolbox")
    rng = np.random.default_rng(9)
    x, stim, run = _trials(rng, n_stim=9, n_runs=4, n_feat=15)
    extra = rng.normal(size=(3, 15))  # unbalanced: a few extra trials in run 2
    x = np.vstack([x, extra])
    stim = np.concatenate([stim, [0, 4, 5]])
    run = np.concatenate([run, [2, 2, 2]])
    noise = None
    if with_noise:
        noise = np.linalg.inv(np.cov(rng.normal(size=(60, 15)).T))
    ds = rsatoolbox.data.Dataset(x, obs_descriptors={"stim": stim, "run": run})
    ref = rsatoolbox.rdm.calc_rdm(
        ds, method="crossnobis", descriptor="stim", cv_descriptor="run", noise=noise
    )
    ours = compute_rdm(x, "crossnobis", stimuli=stim, runs=run, noise=noise, condensed=True)
    np.testing.assert_allclose(ours, ref.get_vectors()[0], atol=1e-10)


@pytest.mark.parametrize("offset", [0.0, 0.5, 100.0])
def test_correlation_matches_corrcoef_with_and_without_a_centred_copy(offset):
    """Small offsets take the raw-Gram path (no centred copy), large ones centre first; both
    equal 1 - Pearson r."""
    x = np.random.default_rng(6).normal(size=(15, 300)) + offset
    np.testing.assert_allclose(compute_rdm(x), 1.0 - np.corrcoef(x), atol=1e-13)


def test_first_call_does_not_import_xarray():
    """The first RDM / comparison / bootstrap call of a session costs no xarray import (it took
    ~0.5-1 s and made the first call 20x slower than the next)."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np, neuroalign\n"
        "from neuroalign.rsa import bootstrap_compare, compare_rdms, compute_rdm\n"
        "x = np.random.default_rng(0).normal(size=(20, 30))\n"
        "a = compute_rdm(x, condensed=True)\n"
        "compare_rdms(a, compute_rdm(x[::-1], condensed=True))\n"
        "bootstrap_compare(a, a, n_bootstrap=3)\n"
        "print('xarray' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
