"""DDP gathering: 2 CPU ranks (gloo) on half batches == one process on the whole batch."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

from neuroalign.losses import create_loss
from neuroalign.losses.distributed import (
    gather_batch,
    get_rank,
    get_world_size,
    is_distributed,
    scale_gradient,
)
from tests.conftest import free_port

HERE = Path(__file__).resolve().parent


@pytest.fixture
def ddp(monkeypatch):
    """The worker module, importable by name (also in spawned ranks) while the test runs."""
    monkeypatch.syspath_prepend(str(HERE))
    return importlib.import_module("_losses_ddp_worker")


@pytest.mark.slow
def test_two_ranks_equal_one_process(ddp, tmp_path):
    mp.spawn(ddp.worker, args=(free_port(), str(tmp_path)), nprocs=ddp.WORLD, join=True)
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(ddp.WORLD)]
    z, x, state = ddp.make_inputs()
    for rank, res in enumerate(ranks):
        assert res["info"]["rank"] == rank and res["info"]["world"] == ddp.WORLD
        assert "same embedding shape" in res["info"]["unequal_error"]
        assert "NaN/inf values on rank(s) [1]" in res["info"]["nan_error"]
    for name in ddp.CASES:
        single = ddp.run_case(name, z, x, state, ddp=False)
        assert single["grad_weight"].abs().max() > 0
        for rank, res in enumerate(ranks):
            got = res[name]
            # the same loss value on every rank as on the concatenated batch
            torch.testing.assert_close(got["loss_z"], single["loss_z"], rtol=1e-12, atol=1e-12)
            torch.testing.assert_close(got["loss_w"], single["loss_w"], rtol=1e-12, atol=1e-12)
            # parameters under DDP: the same gradients as one process (after DDP averaging)
            torch.testing.assert_close(got["grad_weight"], single["grad_weight"])
            torch.testing.assert_close(got["grad_bias"], single["grad_bias"])
            # embeddings: the local slice of the single-process gradient, times the world size
            expected_grad_z = ddp.WORLD * single["grad_z"][:, ddp.local_slice(rank)]
            torch.testing.assert_close(got["grad_z"], expected_grad_z)
            if name == "adadim":  # the representation is gathered like the embeddings
                assert single["grad_r"].abs().max() > 0
                expected_grad_r = ddp.WORLD * single["grad_r"][:, ddp.local_slice(rank)]
                torch.testing.assert_close(got["grad_r"], expected_grad_r)
            unchecked = res["unchecked"][name]
            for key in got:
                torch.testing.assert_close(unchecked[key], got[key], rtol=0, atol=0)
    alpha = create_loss("adadim").update_alpha(ddp.alpha_batches())
    assert 0 < alpha < 1
    for res in ranks:
        assert res["info"]["alpha"] == pytest.approx(alpha, rel=1e-12)


def test_single_process_helpers_are_identities():
    assert not is_distributed()
    assert get_world_size() == 1 and get_rank() == 0
    z = torch.randn(2, 3, 4)
    assert gather_batch(z) is z


def test_scale_gradient_keeps_value_and_scales_gradient():
    x = torch.tensor([1.5, -2.0], dtype=torch.float64, requires_grad=True)
    loss = (x**2).sum()
    scaled = scale_gradient(loss, 3)
    assert scaled.item() == loss.item()
    (grad,) = torch.autograd.grad(scaled, x)
    torch.testing.assert_close(grad, 3 * 2 * x.detach())
    assert scale_gradient(loss, 1) is loss


@pytest.mark.parametrize("name", ["clamp", "simclr", "vicreg", "mmcr", "directclr", "adadim"])
def test_gather_flag_is_harmless_without_process_group(ddp, name):
    z, x, _ = ddp.make_inputs()
    on = create_loss(name, gather_distributed=True, **ddp.CASES[name])
    off = create_loss(name, gather_distributed=False, **ddp.CASES[name])
    extra = {"representation": x} if on.needs_representation else {}
    torch.testing.assert_close(on(z, **extra), off(z, **extra))


def test_finite_check_can_be_left_to_the_caller():
    """check_finite=False: no host read of z (the training loop checks z itself when it logs:
    CLAMP masks NaN distances out of its energy, so its loss can stay finite)."""
    z = torch.randn(2, 4, 3, dtype=torch.float64)
    z[0, 0, 0] = float("nan")
    loss = create_loss("simclr")
    with pytest.raises(ValueError, match="NaN"):
        loss(z)
    loss.check_finite = False
    assert torch.isnan(loss(z))
    with pytest.raises(ValueError, match="NaN"):  # the switch does not outlive the call
        create_loss("clamp")(z)
