"""AdaDim (Kokilepersaud et al. 2025): alpha from the effective rank, limits, gradients, state."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from neuroalign.losses import (
    AdaDimLoss,
    adadim_loss,
    adadim_terms,
    adaptive_alpha,
    create_loss,
    simclr_loss,
    vicreg_loss,
)
from neuroalign.losses.adadim import (
    DEFAULT_ALPHA_BATCHES,
    DEFAULT_MI_WEIGHT,
    DEFAULT_RENYI_ORDER,
    DEFAULT_TAU,
    DEFAULT_TEMPERATURE,
)


def randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def isotropic(n: int, d: int, seed: int = 0) -> torch.Tensor:
    """n samples whose centred matrix has d equal singular values (plus an offset)."""
    centred = randn(n, d, seed=seed)
    centred = centred - centred.mean(dim=0)
    u, _, _ = torch.linalg.svd(centred, full_matrices=False)
    return 2.0 * u + randn(d, seed=seed + 1)


def numpy_erank(x: np.ndarray) -> float:
    """Roy & Vetterli's effective rank of the centred x, written out with numpy."""
    s = np.linalg.svd(x - x.mean(axis=0), compute_uv=False)
    p = s / s.sum()
    p = p[p > 0]
    return float(np.exp(-np.sum(p * np.log(p))))


def test_paper_defaults():
    assert (DEFAULT_TAU, DEFAULT_ALPHA_BATCHES, DEFAULT_MI_WEIGHT) == (20, 10, 1e-4)
    assert (DEFAULT_RENYI_ORDER, DEFAULT_TEMPERATURE) == (2.0, 0.1)
    loss = AdaDimLoss()
    assert loss.adaptive and loss.alpha is None and loss.beta is None
    assert (loss.sim_coeff, loss.std_coeff, loss.cov_coeff) == (25.0, 25.0, 1.0)


# --- alpha follows the effective rank -------------------------------------------------------


def test_isotropic_batch_gives_alpha_one():
    assert adaptive_alpha([isotropic(40, 8)]) == pytest.approx(1.0, rel=1e-12)
    # more samples than dims of an isotropic Gaussian: close to 1
    assert 0.9 < adaptive_alpha([randn(2000, 16, seed=1)]) < 1.0


def test_rank_one_batch_gives_one_over_the_maximum():
    n, d = 30, 8
    x = randn(n, 1, seed=2) @ randn(1, d, seed=3) + randn(d, seed=4)  # rank 1 plus an offset
    assert adaptive_alpha([x]) == pytest.approx(1 / min(n - 1, d), rel=1e-9)
    wide = randn(6, 1, seed=5) @ randn(1, 50, seed=6)  # n - 1 = 5 < d: the maximum is 5
    assert adaptive_alpha([wide]) == pytest.approx(1 / 5, rel=1e-9)
    assert adaptive_alpha([wide], center=False) == pytest.approx(1 / 6, rel=1e-9)


def test_alpha_is_the_mean_erank_ratio_over_batches_with_views_pooled():
    batches = [randn(2, 12, 10, seed=s) @ randn(10, 10, seed=s + 9) for s in range(3)]
    expected = np.mean([numpy_erank(b.reshape(24, 10).numpy()) / 10 for b in batches])
    assert adaptive_alpha(batches) == pytest.approx(expected, rel=1e-10)
    assert adaptive_alpha(iter(batches)) == pytest.approx(expected, rel=1e-10)  # any iterable


def test_alpha_grows_with_the_dimension_of_the_representation():
    alphas = [
        adaptive_alpha([isotropic(64, k, seed=k) @ randn(k, 32, seed=50)]) for k in (2, 8, 32)
    ]
    assert alphas[0] < alphas[1] < alphas[2]


def test_bad_alpha_batches_are_named():
    with pytest.raises(ValueError, match="at least one batch"):
        adaptive_alpha([])
    with pytest.raises(ValueError, match="batch 1 contains NaN"):
        adaptive_alpha([randn(5, 3), torch.full((5, 3), float("nan"))])
    with pytest.raises(ValueError, match=r"batch 0 must be a floating tensor"):
        adaptive_alpha([randn(5)])
    with pytest.raises(ValueError, match="needs >= 2 samples"):
        adaptive_alpha([randn(1, 3)])


# --- the loss --------------------------------------------------------------------------------


def inputs(seed=0, n_views=2, batch=6, d_z=5, d_r=7):
    return randn(n_views, batch, d_z, seed=seed), randn(n_views, batch, d_r, seed=seed + 100)


def test_alpha_one_beta_zero_is_infonce():
    z, r = inputs(seed=1)
    zs = [z.clone().requires_grad_(True) for _ in range(2)]
    got = adadim_loss(zs[0], r, alpha=1.0, beta=0.0, temperature=0.3)
    expected = simclr_loss(zs[1], temperature=0.3)
    assert got.item() == expected.item()
    got.backward()
    expected.backward()
    torch.testing.assert_close(zs[0].grad, zs[1].grad)


def test_alpha_zero_beta_zero_is_vicreg():
    z, r = inputs(seed=2, n_views=3)
    zs = [z.clone().requires_grad_(True) for _ in range(2)]
    got = adadim_loss(zs[0], r, alpha=0.0, beta=0.0)
    expected = vicreg_loss(zs[1])
    assert got.item() == expected.item()
    got.backward()
    expected.backward()
    torch.testing.assert_close(zs[0].grad, zs[1].grad)


def renyi2_mi_by_hand(r: np.ndarray, z: np.ndarray) -> float:
    """Order-2 matrix mutual information from eigenvalues, written out with numpy."""

    def gram(x):
        u = x / np.linalg.norm(x, axis=1, keepdims=True)
        k = u @ u.T
        return k / np.trace(k)

    def s2(a):
        lam = np.linalg.eigvalsh(a)
        return -np.log2(np.sum(lam**2))

    a, b = gram(r), gram(z)
    h = a * b
    return s2(a) + s2(b) - s2(h / np.trace(h))


def test_weighted_sum_with_the_per_view_mutual_information():
    z, r = inputs(seed=3, n_views=3)
    mi = np.mean([renyi2_mi_by_hand(r[a].numpy(), z[a].numpy()) for a in range(3)])
    terms = adadim_terms(z, r, temperature=0.2)
    assert terms["mutual_information"].item() == pytest.approx(mi, rel=1e-10)
    expected = 0.3 * simclr_loss(z, 0.2) + 0.7 * vicreg_loss(z) + 0.5 * mi
    got = adadim_loss(z, r, alpha=0.3, beta=0.5, temperature=0.2)
    assert got.item() == pytest.approx(expected.item(), rel=1e-12)


def test_mutual_information_term_is_zero_for_a_constant_representation():
    z, _ = inputs(seed=4)
    r = torch.ones(2, 6, 3, dtype=torch.float64)
    assert adadim_terms(z, r)["mutual_information"].item() == pytest.approx(0.0, abs=1e-12)


def test_gradcheck_through_embeddings_and_representation():
    z, r = inputs(seed=5, n_views=2, batch=4, d_z=3, d_r=4)
    z.requires_grad_(True)
    r.requires_grad_(True)

    def f(a, b):
        return adadim_loss(a, b, alpha=0.4, beta=0.7, temperature=0.5)

    assert torch.autograd.gradcheck(f, (z, r))


def test_bad_weights_and_shapes():
    z, r = inputs()
    with pytest.raises(ValueError, match=r"alpha must lie in \[0, 1\]"):
        adadim_loss(z, r, alpha=1.5, beta=0.0)
    with pytest.raises(ValueError, match="beta must be finite and >= 0"):
        adadim_loss(z, r, alpha=0.5, beta=-1.0)
    with pytest.raises(ValueError, match="beta > 0 needs the representation"):
        adadim_loss(z, None, alpha=0.5, beta=0.1)
    with pytest.raises(ValueError, match="same \\(n_views, batch\\)"):
        adadim_loss(z, r[:, :4], alpha=0.5, beta=0.1)
    with pytest.raises(ValueError, match="representation must have shape"):
        adadim_loss(z, r[0], alpha=0.5, beta=0.1)
    with pytest.raises(ValueError, match="representation contains 1 NaN"):
        bad = r.clone()
        bad[0, 0, 0] = float("nan")
        adadim_loss(z, bad, alpha=0.5, beta=0.1)


# --- the module: state for the training loop -------------------------------------------------


def test_module_follows_the_estimated_alpha():
    z, r = inputs(seed=6)
    loss = create_loss("adadim", temperature=0.3, mi_weight=0.01)
    assert loss.needs_representation
    with pytest.raises(ValueError, match="alpha has not been estimated yet"):
        loss(z, representation=r)
    batches = [randn(2, 16, 7, seed=s) for s in range(3)]
    alpha = loss.update_alpha(batches)
    assert alpha == loss.alpha == pytest.approx(adaptive_alpha(batches))
    assert loss.beta == pytest.approx(0.01 * alpha)
    expected = adadim_loss(z, r, alpha, 0.01 * alpha, temperature=0.3)
    torch.testing.assert_close(loss(z, representation=r), expected)


def test_alpha_is_due_every_tau_epochs_from_epoch_zero():
    loss = AdaDimLoss(tau=5)
    assert [e for e in range(16) if loss.alpha_due(e)] == [0, 5, 10, 15]
    fixed = AdaDimLoss(alpha=0.25)
    assert not any(fixed.alpha_due(e) for e in range(30))
    assert fixed.alpha == 0.25 and fixed.beta == pytest.approx(0.25 * DEFAULT_MI_WEIGHT)
    with pytest.raises(ValueError, match="alpha is fixed at 0.25"):
        fixed.update_alpha([randn(8, 3)])


def test_constant_beta_schedule():
    loss = AdaDimLoss(alpha=0.5, mi_weight=0.2, beta_schedule="constant")
    assert loss.beta == 0.2


def test_alpha_survives_a_state_dict_round_trip():
    trained = AdaDimLoss()
    trained.update_alpha([randn(20, 6, seed=7)])
    fresh = AdaDimLoss()
    fresh.load_state_dict(trained.state_dict())
    assert fresh.alpha == trained.alpha is not None
    fixed = AdaDimLoss(alpha=0.1)
    fixed.load_state_dict(trained.state_dict())  # a fixed alpha stays what was asked
    assert fixed.alpha == 0.1


def test_representation_is_required_here_and_refused_elsewhere():
    z, r = inputs()
    with pytest.raises(ValueError, match="adadim: needs the backbone representation"):
        AdaDimLoss(alpha=0.5)(z)
    for name in ("clamp", "simclr", "vicreg", "mmcr", "directclr"):
        assert not create_loss(name).needs_representation
    with pytest.raises(ValueError, match="simclr: takes only the embeddings z"):
        create_loss("simclr")(z, representation=r)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"alpha": -0.1}, "alpha must lie in"),
        ({"tau": 0}, "tau must be a positive integer"),
        ({"alpha_batches": 2.5}, "alpha_batches must be a positive integer"),
        ({"mi_weight": -1}, "mi_weight"),
        ({"beta_schedule": "cosine"}, "beta_schedule must be one of alpha, constant"),
        ({"renyi_order": 0}, "renyi_order"),
        ({"temperature": math.inf}, "temperature"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        create_loss("adadim", **kwargs)


def test_training_protocol_with_an_ssl_model(one_torch_thread):
    """The calls a training loop makes: alpha at epoch 0 and every tau epochs, R with Z per step."""
    from neuroalign.backbones import create_ssl_model

    torch.manual_seed(0)
    model = create_ssl_model("resnet18", head_dims=(32,), cifar_stem=True)
    loss_fn = create_loss("adadim", tau=2, mi_weight=1.0, temperature=0.5)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    m, b = 2, 8
    batches = [
        torch.rand(m * b, 3, 8, 8, generator=torch.Generator().manual_seed(s)) for s in (1, 2)
    ]
    alphas = []
    for epoch in range(3):
        if loss_fn.alpha_due(epoch):
            with torch.no_grad():
                reps = [model.backbone(x).view(m, b, -1) for x in batches[: loss_fn.alpha_batches]]
            alphas.append(loss_fn.update_alpha(reps))
        for x in batches:
            z, r = model(x, return_features=True)
            loss = loss_fn(z.view(m, b, -1), representation=r.view(m, b, -1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            assert torch.isfinite(loss)
    assert len(alphas) == 2 and all(1 / 15 <= a <= 1 for a in alphas)  # epochs 0 and 2
    assert alphas[0] != alphas[1]  # re-estimated on the trained backbone
    assert loss_fn.state_dict()["_extra_state"] == {"alpha": alphas[1]}
