"""Bootstrap over stimuli and noise ceilings: exact agreement per resample, coverage, identities."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neuroalign.errors import DataError
from neuroalign.rsa import (
    COMPARE_METHODS,
    bootstrap_compare,
    bootstrap_difference,
    compare_rdms,
    compute_rdm,
    noise_ceiling,
)
from neuroalign.rsa.compare import RSATOOLBOX_NAMES
from neuroalign.rsa.inference import bootstrap_indices


def _model_and_data(rng, n=30, noise=1.0, n_subjects=1):
    feats = rng.normal(size=(n, 6))
    model = compute_rdm(feats, "euclidean", condensed=True)
    data = [
        compute_rdm(feats + noise * rng.normal(size=feats.shape), "euclidean", condensed=True)
        for _ in range(n_subjects)
    ]
    return model, np.stack(data)


@pytest.mark.parametrize("method", COMPARE_METHODS)
def test_each_resample_matches_rsatoolbox_subsampling(method):
    """Our pair weights reproduce rsatoolbox's subsample_pattern + compare exactly."""
    pytest.importorskip("rsatoolbox")
    from rsatoolbox.rdm import RDMs, compare

    rng = np.random.default_rng(0)
    model, data = _model_and_data(rng, n=14, n_subjects=2)
    models = np.stack([model, model + rng.normal(size=model.shape)])
    idx = rng.integers(0, 14, size=(6, 14))
    ours = bootstrap_compare(models, data, method, indices=idx).samples
    for b, pattern_idx in enumerate(idx):
        m = RDMs(models).subsample_pattern("index", pattern_idx)
        d = RDMs(data).subsample_pattern("index", pattern_idx)
        ref = compare(m, d, RSATOOLBOX_NAMES[method]).mean(axis=1)
        np.testing.assert_allclose(ours[b], ref, atol=1e-10)


def test_observed_score_is_the_plain_comparison():
    model, data = _model_and_data(np.random.default_rng(1), n_subjects=3)
    res = bootstrap_compare({"m": model}, data, "pearson", n_bootstrap=20)
    assert res.names == ("m",)
    assert res.observed[0] == pytest.approx(compare_rdms(model, data, "pearson").mean())
    assert res.samples.shape == (20, 1)
    frame = res.to_frame()
    assert list(frame["model"]) == ["m"] and frame["ci_low"][0] <= frame["ci_high"][0]


def test_resamples_with_fewer_than_three_stimuli_are_nan():
    model, data = _model_and_data(np.random.default_rng(2), n=10)
    idx = np.array([[0] * 5 + [1] * 5, list(range(10))])
    samples = bootstrap_compare(model, data[0], indices=idx).samples
    assert np.isnan(samples[0, 0]) and np.isfinite(samples[1, 0])


def test_seed_reproducible_and_batching_invariant():
    model, data = _model_and_data(np.random.default_rng(3))
    a = bootstrap_compare(model, data, n_bootstrap=50, seed=7).samples
    b = bootstrap_compare(model, data, n_bootstrap=50, seed=7, max_elements=1000).samples
    np.testing.assert_allclose(a, b, atol=1e-12)
    idx = bootstrap_indices(30, 4, seed=7)
    assert idx.shape == (4, 30) and int(idx.max()) < 30


@pytest.mark.slow
def test_bootstrap_ci_covers_the_true_value():
    """95% CIs from samples of 60 stimuli cover the population value in most experiments."""
    rng = np.random.default_rng(4)
    d, noise = 4, 1.2

    def experiment(n):
        feats = rng.normal(size=(n, d))
        model = compute_rdm(feats, "euclidean", condensed=True)
        data = compute_rdm(
            feats + noise * rng.normal(size=feats.shape), "euclidean", condensed=True
        )
        return model, data

    truth = compare_rdms(*experiment(1000), "spearman")  # the population value, 5e5 pairs
    covered = 0
    n_exp = 20
    for seed in range(n_exp):
        model, data = experiment(60)
        res = bootstrap_compare(model, data, "spearman", n_bootstrap=200, seed=seed)
        covered += res.ci_low[0] <= truth <= res.ci_high[0]
    assert covered >= 0.8 * n_exp


def test_bootstrap_spread_agrees_with_rsatoolbox():
    pytest.importorskip("rsatoolbox")
    from rsatoolbox.inference import eval_bootstrap_pattern
    from rsatoolbox.model import ModelFixed
    from rsatoolbox.rdm import RDMs

    model, data = _model_and_data(np.random.default_rng(5), n=40)
    np.random.seed(0)  # noqa: NPY002  (rsatoolbox draws from the legacy global generator)
    ref = eval_bootstrap_pattern(
        ModelFixed("m", RDMs(model[None])), RDMs(data), method="corr", N=300, boot_noise_ceil=False
    )
    ref_samples = ref.evaluations[:, 0]
    ours = bootstrap_compare(model, data, "pearson", n_bootstrap=2000).samples[:, 0]
    assert np.nanmean(ours) == pytest.approx(np.nanmean(ref_samples), abs=0.02)
    assert np.nanstd(ours) == pytest.approx(np.nanstd(ref_samples), rel=0.25)


def test_difference_between_a_good_and_a_bad_model():
    rng = np.random.default_rng(6)
    feats = rng.normal(size=(40, 5))
    good = compute_rdm(feats, "euclidean", condensed=True)
    bad = compute_rdm(feats + 3 * rng.normal(size=feats.shape), "euclidean", condensed=True)
    data = compute_rdm(feats + 0.5 * rng.normal(size=feats.shape), "euclidean", condensed=True)
    diff = bootstrap_difference(good, bad, data, "spearman", n_bootstrap=500)
    assert diff.observed > 0 and diff.ci_low > 0 and diff.p_value < 0.01
    same = bootstrap_compare({"x": good, "y": good}, data, n_bootstrap=100).difference("x", "y")
    assert same.observed == 0 and same.p_value == 1.0
    with pytest.raises(KeyError, match="no model named"):
        bootstrap_compare({"x": good}, data, n_bootstrap=5).difference("x", "nope")


def test_bootstrap_input_errors():
    model, data = _model_and_data(np.random.default_rng(7), n=10)
    with pytest.raises(DataError, match="stimuli"):
        bootstrap_compare(model, compute_rdm(np.random.default_rng(0).normal(size=(9, 3))))
    with pytest.raises(DataError, match="indices"):
        bootstrap_compare(model, data, indices=[[0, 1, 10]])
    with pytest.raises(ValueError, match="ci"):
        bootstrap_compare(model, data, ci=95)


@pytest.mark.parametrize("method", COMPARE_METHODS)
def test_noise_ceiling_of_identical_subjects_is_one(method):
    model, _ = _model_and_data(np.random.default_rng(8))
    nc = noise_ceiling(np.stack([model] * 4), method)
    assert nc.lower == pytest.approx(1.0) and nc.upper == pytest.approx(1.0)
    assert nc.n_subjects == 4


@pytest.mark.filterwarnings("ignore:Noise ceiling for tau:UserWarning")
@pytest.mark.parametrize("method", COMPARE_METHODS)
def test_noise_ceiling_agrees_with_rsatoolbox(method):
    rsatoolbox = pytest.importorskip("rsatoolbox")
    from rsatoolbox.inference import boot_noise_ceiling

    _, subjects = _model_and_data(np.random.default_rng(9), n=20, n_subjects=5)
    ours = noise_ceiling(subjects, method)
    lower, upper = boot_noise_ceiling(
        rsatoolbox.rdm.RDMs(subjects), method=RSATOOLBOX_NAMES[method]
    )
    assert ours.lower == pytest.approx(lower, abs=1e-10)
    assert ours.upper == pytest.approx(upper, abs=1e-10)
    assert ours.lower <= ours.upper


@pytest.mark.parametrize("n_subjects", [2, 3, 6])
def test_spearman_noise_ceiling_with_tied_dissimilarities_agrees_with_rsatoolbox(n_subjects):
    """Rounded RDMs tie within each subject, and pooled rank sums tie across subjects."""
    rsatoolbox = pytest.importorskip("rsatoolbox")
    from rsatoolbox.inference import boot_noise_ceiling

    _, subjects = _model_and_data(np.random.default_rng(11), n=30, n_subjects=n_subjects)
    subjects = np.round(subjects, 1)
    ours = noise_ceiling(subjects, "spearman")
    lower, upper = boot_noise_ceiling(rsatoolbox.rdm.RDMs(subjects), method="spearman")
    assert (ours.lower, ours.upper) == pytest.approx((lower, upper), abs=1e-12)


def test_noise_ceiling_needs_two_subjects():
    model, _ = _model_and_data(np.random.default_rng(10))
    with pytest.raises(DataError, match="at least 2 subjects"):
        noise_ceiling(model)


@pytest.mark.gpu
def test_cuda_matches_cpu():
    model, data = _model_and_data(np.random.default_rng(11), n=50, n_subjects=2)
    for method in ("spearman", "pearson", "cosine"):
        cpu = bootstrap_compare(model, data, method, n_bootstrap=64, seed=3)
        gpu = bootstrap_compare(model, data, method, n_bootstrap=64, seed=3, device="cuda")
        np.testing.assert_allclose(gpu.samples, cpu.samples, atol=1e-10)
    x = np.random.default_rng(12).normal(size=(30, 20))
    np.testing.assert_allclose(compute_rdm(x, device="cuda"), compute_rdm(x), atol=1e-12)


def test_float32_ranks_agree_with_float64():
    """The default bootstrap (float32 ranks, float64 sums) matches a float64 run."""
    model, data = _model_and_data(np.random.default_rng(13), n=60, n_subjects=2)
    exact = bootstrap_compare(model, data, "spearman", n_bootstrap=40, seed=1, dtype=torch.float64)
    fast = bootstrap_compare(model, data, "spearman", n_bootstrap=40, seed=1)
    np.testing.assert_allclose(fast.samples, exact.samples, atol=1e-8)
    np.testing.assert_array_equal(fast.observed, exact.observed)
    forced = bootstrap_compare(model, data, n_bootstrap=40, seed=1, dtype=torch.float32)
    np.testing.assert_array_equal(forced.samples, fast.samples)
    with pytest.raises(ValueError, match="dtype"):
        bootstrap_compare(model, data, n_bootstrap=2, dtype=torch.float16)


@pytest.mark.parametrize("method", ["spearman", "pearson", "cosine"])
def test_torch_engine_matches_numpy_engine(method):
    """The engine's torch branch (what CUDA runs) gives the numpy branch's values (CPU tensors
    here), ties and a NaN-masked pair included."""
    from neuroalign.rsa.compare import _SortedVector, weighted_similarity

    rng = np.random.default_rng(14)
    model, data = _model_and_data(rng, n=25, n_subjects=2)
    model = np.round(model, 1)  # ties
    counts = np.stack([np.bincount(rng.integers(0, 25, 25), minlength=25) for _ in range(4)])
    mask = np.ones(model.shape[0])
    mask[7] = 0.0
    u, v, c = model[None], data, counts.astype(np.float64)
    sorted_np = [_SortedVector(x) for x in u] if method == "spearman" else None
    ours_np = weighted_similarity(u, v, None, method, counts=c, pair_mask=mask, sorted_u=sorted_np)
    t = torch.from_numpy
    sorted_t = [_SortedVector(t(x)) for x in u] if method == "spearman" else None
    ours_t = weighted_similarity(
        t(u), t(v), None, method, counts=t(c), pair_mask=t(mask), sorted_u=sorted_t
    )
    assert isinstance(ours_t, torch.Tensor)
    np.testing.assert_allclose(ours_t.numpy(), ours_np, atol=1e-12)


def test_bootstrap_threads_do_not_change_results():
    model, data = _model_and_data(np.random.default_rng(15), n=40, n_subjects=2)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = bootstrap_compare(model, data, n_bootstrap=30, seed=2, max_elements=780)
        torch.set_num_threads(2)
        two = bootstrap_compare(model, data, n_bootstrap=30, seed=2, max_elements=780)
    finally:
        torch.set_num_threads(before)
    np.testing.assert_array_equal(one.samples, two.samples)


def _sessions_of_subjects(rng, n=20, n_subjects=4, n_sessions=2):
    """Session RDMs: shared structure + a subject's own structure + session noise."""
    from scipy.spatial.distance import pdist

    shared = rng.normal(size=(n, 6))
    rdms, labels = [], []
    for s in range(n_subjects):
        own = shared + 0.8 * rng.normal(size=(n, 6))
        for _ in range(n_sessions):
            rdms.append(pdist(own + 0.5 * rng.normal(size=(n, 6)), "correlation"))
            labels.append(f"subject{s}")
    return np.stack(rdms), np.array(labels)


@pytest.mark.filterwarnings("ignore:Noise ceiling for tau:UserWarning")
@pytest.mark.parametrize("method", ["spearman", "pearson"])
def test_noise_ceiling_groups_sessions_by_subject(method):
    rsatoolbox = pytest.importorskip("rsatoolbox")
    from rsatoolbox.inference import boot_noise_ceiling

    rdms, labels = _sessions_of_subjects(np.random.default_rng(12))
    # averaged per subject (rsatoolbox's demos): the ceiling of the per-subject mean RDMs
    averaged = np.stack([rdms[labels == s].mean(0) for s in np.unique(labels)])
    grouped = noise_ceiling(rdms, method, subjects=labels)
    ref = boot_noise_ceiling(rsatoolbox.rdm.RDMs(averaged), method=RSATOOLBOX_NAMES[method])
    assert (grouped.lower, grouped.upper) == pytest.approx(ref, abs=1e-10)
    assert grouped.n_subjects == 4 and grouped.n_rdms == 8
    assert "averaged per subject" in grouped.grouping
    # leave-subject-out: rsatoolbox's own grouping by an RDM descriptor
    kept = noise_ceiling(rdms, method, subjects=labels, grouping="leave-subject-out")
    data = rsatoolbox.rdm.RDMs(rdms, rdm_descriptors={"subject": list(labels)})
    ref = boot_noise_ceiling(data, method=RSATOOLBOX_NAMES[method], rdm_descriptor="subject")
    assert (kept.lower, kept.upper) == pytest.approx(ref, abs=1e-10)
    # sessions passed as if they were subjects: a session's twin stays in the pool, so the
    # lower bound is too high; the result says how the RDMs were read
    naive = noise_ceiling(rdms, method)
    assert naive.lower > kept.lower + 0.05
    assert naive.n_subjects == 8 and "taken as one subject" in naive.grouping
    with pytest.raises(DataError, match="3 labels for 8 RDMs"):
        noise_ceiling(rdms, method, subjects=labels[:3])


@pytest.mark.parametrize("method", COMPARE_METHODS)
def test_pool_rdms_is_rsatoolboxs_pool_rdm_with_ties(method):
    """The group RDM (mean of ranks, z-scores or RMS-normalised RDMs) of rounded, tied RDMs."""
    pytest.importorskip("rsatoolbox")
    from rsatoolbox.rdm import RDMs
    from rsatoolbox.util.pooling import pool_rdm

    from neuroalign.rsa.inference import pool_rdms

    x = np.round(np.random.default_rng(12).random((4, 45)), 1)
    expected = pool_rdm(RDMs(x), method=RSATOOLBOX_NAMES[method]).get_vectors()[0]
    ours = pool_rdms(x, method)
    if method == "pearson":  # rsatoolbox shifts it to a minimum of 0.01, unseen by Pearson r
        ours, expected = ours - ours.min(), expected - expected.min()
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-12)
