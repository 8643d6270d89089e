"""The loss registry: names -> classes, keyword forwarding, clear errors."""

from __future__ import annotations

import pytest
import torch

from neuroalign.losses import (
    LOSSES,
    AdaDimLoss,
    CLAMPLoss,
    DirectCLRLoss,
    MMCRLoss,
    SimCLRLoss,
    VICRegLoss,
    clamp_loss,
    create_loss,
)


def test_registry_names():
    assert LOSSES == {
        "clamp": CLAMPLoss,
        "simclr": SimCLRLoss,
        "vicreg": VICRegLoss,
        "mmcr": MMCRLoss,
        "directclr": DirectCLRLoss,
        "adadim": AdaDimLoss,
    }


#: keywords that let every loss run on small test embeddings (DirectCLR's d0 defaults to 360;
#: AdaDim's adaptive alpha is estimated by the training loop, fixed here)
SMALL = {"directclr": {"d0": 4}, "adadim": {"alpha": 0.5}}


def call(loss_fn, z: torch.Tensor) -> torch.Tensor:
    """The loss of z; losses that need a representation get tanh(z) reversed along dims."""
    if loss_fn.needs_representation:
        return loss_fn(z, representation=torch.tanh(z.flip(-1)))
    return loss_fn(z)


@pytest.mark.parametrize("name", ["clamp", "SimCLR", " vicreg ", "MMCR", "DirectCLR", "adadim"])
def test_create_loss_returns_a_module_giving_a_scalar(name):
    key = name.strip().lower()
    loss_fn = create_loss(name, **SMALL.get(key, {}))
    assert isinstance(loss_fn, LOSSES[key])
    z = torch.randn(2, 6, 5, generator=torch.Generator().manual_seed(0), requires_grad=True)
    loss = call(loss_fn, z)
    assert loss.shape == () and torch.isfinite(loss)
    loss.backward()
    assert z.grad is not None and torch.isfinite(z.grad).all()


def test_kwargs_are_forwarded():
    loss_fn = create_loss("clamp", r_s=8.5, lw0=0.1, gather_distributed=False)
    assert loss_fn.r_s == 8.5 and loss_fn.lw0 == 0.1 and not loss_fn.gather_distributed
    z = torch.randn(4, 6, 5, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(loss_fn(z), clamp_loss(z, 8.5, lw0=0.1))


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="adadim, clamp, directclr, mmcr, simclr, vicreg"):
        create_loss("byol")


def test_unknown_keyword_is_a_value_error():
    with pytest.raises(ValueError, match="temperature"):
        create_loss("clamp", temperature=0.5)


@pytest.mark.gpu
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_cuda_matches_cpu(name):
    z = torch.randn(4, 16, 8, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    cpu = z.clone().requires_grad_(True)
    gpu = z.cuda().requires_grad_(True)
    kwargs = SMALL.get(name, {})
    loss_cpu, loss_gpu = (
        call(create_loss(name, **kwargs), cpu),
        call(create_loss(name, **kwargs), gpu),
    )
    loss_cpu.backward()
    loss_gpu.backward()
    torch.testing.assert_close(loss_gpu.cpu(), loss_cpu)
    torch.testing.assert_close(gpu.grad.cpu(), cpu.grad)
