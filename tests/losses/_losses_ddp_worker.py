"""Worker for tests/losses/test_distributed.py, in its own module so spawned ranks can import it.

(pytest runs with ``--import-mode=importlib``, so test modules themselves cannot be imported
by name in a child process; the test puts this folder on ``sys.path`` before spawning.)
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

from neuroalign.losses import create_loss
from neuroalign.losses.distributed import gather_batch, get_rank, get_world_size

WORLD = 2
N_VIEWS, BATCH, IN_DIM, DIM = 3, 8, 5, 4  # BATCH = global batch, split over the ranks
CASES = {
    "clamp": {"r_s": 3.0},
    "simclr": {"temperature": 0.3},
    "vicreg": {},
    "mmcr": {"lmbda": 0.1},
    "directclr": {"d0": 3, "temperature": 0.3},
    "adadim": {"alpha": 0.4, "mi_weight": 0.5, "temperature": 0.3},
}


def local_slice(rank: int) -> slice:
    """The images of the global batch that rank ``rank`` holds."""
    return slice(rank * BATCH // WORLD, (rank + 1) * BATCH // WORLD)


def make_inputs() -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
    """Embeddings z (m, B, DIM), inputs x (m, B, IN_DIM) and a linear layer's weights."""
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(N_VIEWS, BATCH, DIM, generator=gen, dtype=torch.float64)
    x = torch.randn(N_VIEWS, BATCH, IN_DIM, generator=gen, dtype=torch.float64)
    state = {
        "weight": torch.randn(DIM, IN_DIM, generator=gen, dtype=torch.float64),
        "bias": torch.randn(DIM, generator=gen, dtype=torch.float64),
    }
    return z, x, state


def run_case(
    name: str, z: torch.Tensor, x: torch.Tensor, state: dict, ddp: bool, checks: bool = True
) -> dict:
    """Loss and gradients for embeddings z and for a linear layer applied to x (``checks``:
    the loss's NaN/inf and shape validation, which the training loop switches off).

    Losses that need a representation get x as the representation of the views: its gradient
    is checked in the first case, and in the second it is the layer's input.
    """
    z = z.clone().requires_grad_(True)
    r = x.clone().requires_grad_(True)
    loss_fn = create_loss(name, **CASES[name])
    loss_fn.check_finite = checks
    needs_r = loss_fn.needs_representation
    loss_z = loss_fn(z, representation=r) if needs_r else loss_fn(z)
    loss_z.backward()
    layer = nn.Linear(IN_DIM, DIM).double()
    layer.load_state_dict(state)
    model = nn.parallel.DistributedDataParallel(layer) if ddp else layer
    loss_w = loss_fn(model(x), representation=x) if needs_r else loss_fn(model(x))
    loss_w.backward()
    return {
        "loss_z": loss_z.detach(),
        "grad_z": z.grad,
        "grad_r": r.grad if needs_r else torch.zeros(()),
        "loss_w": loss_w.detach(),
        "grad_weight": layer.weight.grad,
        "grad_bias": layer.bias.grad,
    }


def alpha_batches() -> list[torch.Tensor]:
    """Representation batches (m, B, IN_DIM) for AdaDim's adaptive alpha."""
    gen = torch.Generator().manual_seed(1)
    mix = torch.randn(IN_DIM, IN_DIM, generator=gen, dtype=torch.float64)
    return [torch.randn(N_VIEWS, BATCH, IN_DIM, generator=gen).double() @ mix for _ in range(3)]


def worker(rank: int, port: int, out_dir: str) -> None:
    """One rank: every loss on its half of the batch; results saved to out_dir/rank{rank}.pt."""
    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=WORLD
    )
    try:
        z, x, state = make_inputs()
        local = local_slice(rank)
        results = {
            name: run_case(name, z[:, local], x[:, local], state, ddp=True) for name in CASES
        }
        results["unchecked"] = {  # no validation collective: the same numbers
            name: run_case(name, z[:, local], x[:, local], state, ddp=True, checks=False)
            for name in CASES
        }
        results["info"] = {"rank": get_rank(), "world": get_world_size()}
        # AdaDim's alpha from each rank's half batches: the value of the whole batches
        adadim = create_loss("adadim")
        adadim.update_alpha([b[:, local] for b in alpha_batches()])
        results["info"]["alpha"] = adadim.alpha
        try:  # ranks holding different batch sizes must get a clear error, not a hang
            gather_batch(torch.zeros(2, rank + 1, 3))
            results["info"]["unequal_error"] = ""
        except ValueError as exc:
            results["info"]["unequal_error"] = str(exc)
        try:  # NaN on one rank: every rank raises (none hangs in the all-gather)
            bad = torch.zeros(N_VIEWS, 2, DIM)
            bad[0, 0, 0] = float("nan") if rank == 1 else 0.0
            create_loss("clamp")(bad)
            results["info"]["nan_error"] = ""
        except ValueError as exc:
            results["info"]["nan_error"] = str(exc)
        torch.save(results, Path(out_dir) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()
