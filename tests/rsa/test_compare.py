"""compare_rdms: identities, hand-computed values, invariances, agreement with rsatoolbox."""

from __future__ import annotations

import numpy as np
import pytest

from neuroalign.errors import DataError
from neuroalign.rsa import COMPARE_METHODS, compare_rdms, compute_rdm, rdm_dataarray
from neuroalign.rsa.compare import RSATOOLBOX_NAMES


@pytest.fixture
def pair() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(15, 30))
    a = compute_rdm(x, condensed=True)
    b = compute_rdm(x + 1.5 * rng.normal(size=x.shape), condensed=True)
    a[[2, 7, 11]] = a[4]  # ties
    b[[1, 9]] = b[20]
    return a, b


@pytest.mark.parametrize("method", COMPARE_METHODS)
def test_rdm_compared_with_itself_is_one(method, pair):
    a = compute_rdm(np.random.default_rng(5).normal(size=(15, 30)), condensed=True)  # no ties
    assert compare_rdms(a, a, method) == pytest.approx(1.0)
    square = compute_rdm(np.random.default_rng(1).normal(size=(9, 5)))
    assert compare_rdms(square, square, method) == pytest.approx(1.0)


def test_tau_a_of_tied_rdm_with_itself_is_below_one(pair):
    a, _ = pair  # 4 equal entries: 6 tied pairs count in the denominator only
    n = len(a) * (len(a) - 1) / 2
    assert compare_rdms(a, a, "tau_a") == pytest.approx((n - 6) / n)


def test_tau_a_by_hand():
    x = np.array([1.0, 2, 3, 4, 5, 6])
    # two discordant pairs (1,2) and (5,6) out of 15: (13 - 2) / 15
    assert compare_rdms(x, np.array([2.0, 1, 3, 4, 6, 5]), "tau_a") == pytest.approx(11 / 15)
    # one tie in each vector: 13 concordant, 0 discordant, ties stay in the denominator
    tied_x = np.array([1.0, 1, 2, 3, 4, 5])
    tied_y = np.array([1.0, 2, 3, 4, 5, 5])
    assert compare_rdms(tied_x, tied_y, "tau_a") == pytest.approx(13 / 15)
    assert compare_rdms(tied_x, np.full(6, 2.0) + np.arange(6) * 0, "tau_a") == 0.0


def test_spearman_pearson_by_hand():
    x = np.array([1.0, 2, 3, 4, 5, 6])
    y = np.array([1.0, 4, 9, 16, 25, 100])
    assert compare_rdms(x, y, "spearman") == pytest.approx(1.0)
    assert compare_rdms(x, y, "pearson") == pytest.approx(np.corrcoef(x, y)[0, 1])
    assert compare_rdms(x, y, "cosine") == pytest.approx(
        x @ y / np.linalg.norm(x) / np.linalg.norm(y)
    )


@pytest.mark.parametrize("method", ["spearman", "tau_a"])
def test_rank_methods_invariant_to_monotone_transforms(method, pair):
    a, b = pair
    ref = compare_rdms(a, b, method)
    assert compare_rdms(np.exp(3 * a), b, method) == pytest.approx(ref, abs=1e-12)
    assert compare_rdms(a, b**3 + 2, method) == pytest.approx(ref, abs=1e-12)


def test_pearson_affine_and_cosine_scale_invariance(pair):
    a, b = pair
    assert compare_rdms(3 * a + 1, b, "pearson") == pytest.approx(compare_rdms(a, b, "pearson"))
    assert compare_rdms(7 * a, b, "cosine") == pytest.approx(compare_rdms(a, b, "cosine"))


def test_square_and_condensed_inputs_agree(pair):
    from scipy.spatial.distance import squareform

    a, b = pair
    for method in COMPARE_METHODS:
        assert compare_rdms(squareform(a), b, method) == pytest.approx(compare_rdms(a, b, method))


def test_many_vs_many(pair):
    a, b = pair
    out = compare_rdms(np.stack([a, b, a + b]), np.stack([b, a]), "spearman")
    assert out.shape == (3, 2)
    assert out[0, 0] == pytest.approx(compare_rdms(a, b))
    assert out[1, 1] == pytest.approx(compare_rdms(b, a))
    named = compare_rdms({"x": a, "y": b}, b, "pearson")
    assert named.shape == (2, 1) and named[1, 0] == pytest.approx(1.0)


def test_constant_rdm_gives_nan(pair):
    a, _ = pair
    assert np.isnan(compare_rdms(a, np.ones_like(a), "spearman"))
    assert np.isnan(compare_rdms(a, np.zeros_like(a), "cosine"))


def test_nan_entries_are_left_out(pair):
    a, b = pair
    a2 = a.copy()
    a2[5] = np.nan
    keep = np.arange(len(a)) != 5
    from scipy.stats import spearmanr

    expected = spearmanr(a[keep], b[keep]).statistic
    assert compare_rdms(a2, b, "spearman") == pytest.approx(expected, abs=1e-12)


def test_dataarrays_are_aligned_by_stimulus_id():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(10, 8))
    ids = np.array([f"s{i}" for i in range(10)])
    a = rdm_dataarray(compute_rdm(x), ids)
    y = x + rng.normal(size=x.shape)
    b = rdm_dataarray(compute_rdm(y), ids)
    perm = rng.permutation(10)
    b_perm = rdm_dataarray(compute_rdm(y[perm]), ids[perm])
    assert compare_rdms(a, b_perm) == pytest.approx(compare_rdms(a, b))
    other = ids.copy()
    other[[0, 3]] = ["z1", "z2"]
    with pytest.raises(DataError, match="2 stimulus ids only in the first"):
        compare_rdms(a, rdm_dataarray(compute_rdm(y), other))


def test_errors():
    with pytest.raises(ValueError, match="unknown RDM comparison"):
        compare_rdms(np.ones(3), np.ones(3), "kendall_b")
    with pytest.raises(DataError, match="different numbers of stimuli"):
        compare_rdms(np.arange(3.0), np.arange(6.0))
    with pytest.raises(DataError, match="n\\*\\(n-1\\)/2"):
        compare_rdms(np.arange(4.0), np.arange(4.0))


@pytest.mark.parametrize("method", COMPARE_METHODS)
def test_agrees_with_rsatoolbox(method, pair):
    rsatoolbox = pytest.importorskip("rsatoolbox")
    a, b = pair
    c = a + b
    ours = compare_rdms(np.stack([a, b, c]), np.stack([b, c]), method)
    ref = rsatoolbox.rdm.compare(
        rsatoolbox.rdm.RDMs(np.stack([a, b, c])),
        rsatoolbox.rdm.RDMs(np.stack([b, c])),
        RSATOOLBOX_NAMES[method],
    )
    np.testing.assert_allclose(ours, ref, atol=1e-10)


def test_real_data_monkey_vs_human_it_matches_rsatoolbox(shared_data):
    rsatoolbox = pytest.importorskip("rsatoolbox")
    from neuroalign.data import load_kriegeskorte2008

    data = load_kriegeskorte2008()
    monkey, human = data.brain_rdms["monkey_IT"], data.brain_rdms["human_IT"]
    for method in COMPARE_METHODS:
        ref = rsatoolbox.rdm.compare(
            rsatoolbox.rdm.RDMs(monkey[None]),
            rsatoolbox.rdm.RDMs(human[None]),
            RSATOOLBOX_NAMES[method],
        )[0, 0]
        assert compare_rdms(monkey, human, method) == pytest.approx(ref, abs=1e-10)
    # the two species' IT RDMs are clearly related (Kriegeskorte et al. 2008, Fig. 1)
    assert compare_rdms(monkey, human, "spearman") > 0.2


def test_plain_spearman_equals_the_weighted_engine_with_ties_and_constants():
    """The one-off comparison's numpy path gives what the weighting engine gives with unit
    weights (and scipy's spearmanr): rows with ties, without ties, and a constant row."""
    from scipy.stats import spearmanr

    from neuroalign.rsa.compare import _plain_spearman, weighted_similarity

    rng = np.random.default_rng(11)
    u = np.stack([rng.random(45), np.round(rng.random(45), 1), np.full(45, 0.3)])
    v = np.stack([np.round(rng.random(45), 2), rng.random(45)])
    plain = _plain_spearman(u, v)
    engine = weighted_similarity(u, v, np.ones((2, 45)), "spearman")[0]
    np.testing.assert_allclose(plain, engine, atol=1e-12, equal_nan=True)
    assert np.isnan(plain[2]).all()
    for i in range(2):
        for j in range(2):
            assert plain[i, j] == pytest.approx(spearmanr(u[i], v[j])[0], abs=1e-12)


@pytest.mark.parametrize("threshold", [0, 10**9], ids=["threads", "one-thread"])
def test_plain_ranks_are_scipys_tie_averaged_ranks_on_threads_or_not(monkeypatch, threshold):
    """Long vectors are ranked one per thread: the ranks (with ties, and of constant rows)
    must not depend on it."""
    import torch
    from scipy.stats import rankdata

    from neuroalign.rsa import compare

    monkeypatch.setattr(compare, "PARALLEL_RANK_PAIRS", threshold)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        rng = np.random.default_rng(3)
        x = rng.normal(size=(5, 4186))
        x[1] = np.round(x[1], 1)  # many ties
        x[2] = 7.0  # one tie group
        x[3, :100] = x[3, 100]
        ranks = compare._plain_ranks(x)
    finally:
        torch.set_num_threads(before)
    expected = rankdata(x, axis=1) - (x.shape[1] + 1) / 2.0
    np.testing.assert_array_equal(ranks, expected)


def test_spearman_of_long_rdm_stacks_is_exact_to_rounding():
    """1,000 stimuli: a row's sum of squared ranks (~1e16) passes 2**53, where a one-accumulator
    sum drifts (~7e-12 relative); the reference is the Pearson r of scipy's ranks in extended
    precision."""
    from scipy.stats import rankdata

    from neuroalign.rsa import noise_ceiling

    rng = np.random.default_rng(4)
    latent = rng.normal(size=(1000, 20))
    rdms = np.stack(
        [compute_rdm(latent + 2.0 * rng.normal(size=(1000, 20)), condensed=True) for _ in range(4)]
    )

    def pearson(a, b):
        a, b = a.astype(np.longdouble), b.astype(np.longdouble)
        a, b = a - a.mean(), b - b.mean()
        return float((a @ b) / np.sqrt((a @ a) * (b @ b)))

    ranks = [rankdata(r) for r in rdms]
    expected = [pearson(ranks[0], r) for r in ranks[1:]]
    np.testing.assert_allclose(compare_rdms(rdms[0], rdms[1:]), [expected], rtol=0, atol=2e-15)
    subjects = np.stack(ranks[1:])
    total = subjects.sum(0)
    upper = np.mean([pearson(rankdata(total), r) for r in subjects])
    lower = np.mean([pearson(rankdata(total - r), r) for r in subjects])
    nc = noise_ceiling(rdms[1:], "spearman")
    assert nc.upper == pytest.approx(upper, abs=2e-15)
    assert nc.lower == pytest.approx(lower, abs=2e-15)
