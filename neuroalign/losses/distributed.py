"""Gathering embeddings across DDP ranks so that a batch-level loss sees the global batch.

Self-supervised losses compare every image of a batch with every other one, so under
``torch.nn.parallel.DistributedDataParallel`` each rank gathers the embeddings of all ranks and
computes the loss of the *global* batch (as the CLAMP reference implementation does,
github.com/guanming-zhang/clamp ``model/loss_module.py``). Two details make a W-rank run
identical to one process holding the concatenated batch:

1. :func:`gather_batch` all-gathers ``z`` along the batch axis and puts the local tensor back in
   its own slot, so the local slice keeps its autograd graph (the copies received from other
   ranks are constants). Every rank therefore computes the same loss value ``L``, but the
   gradient reaching rank r's parameters is only the part of ``dL/dtheta`` that flows through
   rank r's own images.
2. DDP *averages* parameter gradients over ranks: ``(1/W) sum_r g_r``, whereas the single-process
   gradient is ``sum_r g_r``. :func:`scale_gradient` therefore multiplies the gradient of the
   loss by W while leaving its value unchanged, so that after DDP's averaging the parameter
   gradients equal the single-process ones exactly.

Consequence to keep in mind: on rank r, ``z_local.grad`` is W times the corresponding slice of
the single-process ``dL/dz`` (the parameter gradients, after DDP's averaging, are exact).
All ranks must hold the same local batch size (``drop_last=True`` in the sampler). Cost: every
rank evaluates the loss of the whole global batch (O((W B)^2) pairs for CLAMP and SimCLR), as
the reference implementation does; for these losses that is small next to the backbone.
"""

from __future__ import annotations

import torch
import torch.distributed as dist

__all__ = ["gather_batch", "get_rank", "get_world_size", "is_distributed", "scale_gradient"]


def is_distributed() -> bool:
    """True when a ``torch.distributed`` process group is initialised."""
    return dist.is_available() and dist.is_initialized()


def get_world_size() -> int:
    """Number of ranks of the default process group (1 when not distributed)."""
    return dist.get_world_size() if is_distributed() else 1


def get_rank() -> int:
    """Rank of this process in the default process group (0 when not distributed)."""
    return dist.get_rank() if is_distributed() else 0


def gather_batch(z: torch.Tensor, dim: int = 1, validate: bool = True) -> torch.Tensor:
    """All-gather ``z`` along axis ``dim`` (the batch axis), keeping the local slice's graph.

    Args:
        z: the local embeddings, e.g. shape (n_views, batch, dim) with ``dim=1``; every rank
            must pass the same shape.
        dim: the axis along which the ranks' tensors are concatenated (in rank order).
        validate: first exchange every rank's shape and count of NaN/inf values (one small
            collective whose result is read on the host: a host-device synchronisation). With
            ``False`` the gather is the only collective and nothing waits for the device; every
            rank must then pass the same shape (a mismatch is undefined behaviour).

    Returns:
        Shape of ``z`` with ``dim`` multiplied by the world size; ``z`` itself when not
        distributed. Slot ``rank`` is ``z`` (differentiable), the other slots are detached.

    Raises:
        ValueError: on every rank alike (so that no rank is left waiting in a collective) when
            the ranks' shapes differ or any rank's ``z`` holds NaN/inf.
    """
    world = get_world_size()
    if world == 1:
        return z
    local = z.contiguous()
    if not validate:
        return _all_gather_keeping_graph(local, world, dim)
    # one small collective carries every rank's shape and its count of non-finite values
    n_bad = (~torch.isfinite(local)).sum().reshape(1) if local.is_floating_point() else None
    shape = torch.tensor(local.shape, dtype=torch.int64, device=local.device)
    meta = torch.cat([shape, n_bad if n_bad is not None else shape.new_zeros(1)])
    metas = [torch.empty_like(meta) for _ in range(world)]
    dist.all_gather(metas, meta)
    shapes = [tuple(m[:-1].tolist()) for m in metas]
    if any(s != tuple(local.shape) for s in shapes):
        raise ValueError(
            f"gather_batch: every rank must hold the same embedding shape, got {shapes} "
            "(use drop_last=True in the DistributedSampler / DataLoader)"
        )
    bad_ranks = [r for r, m in enumerate(metas) if m[-1] > 0]
    if bad_ranks:
        raise ValueError(f"gather_batch: z contains NaN/inf values on rank(s) {bad_ranks}")
    return _all_gather_keeping_graph(local, world, dim)


def _all_gather_keeping_graph(local: torch.Tensor, world: int, dim: int) -> torch.Tensor:
    parts = [torch.empty_like(local) for _ in range(world)]
    dist.all_gather(parts, local.detach())
    parts[dist.get_rank()] = local
    return torch.cat(parts, dim=dim)


def scale_gradient(loss: torch.Tensor, factor: float) -> torch.Tensor:
    """Return a tensor equal to ``loss`` whose gradient is ``factor`` times that of ``loss``.

    ``loss + (factor - 1) * (loss - loss.detach())``: the second term is exactly zero in value
    and contributes ``(factor - 1) * dloss`` to the gradient.
    """
    if factor == 1:
        return loss
    return loss + (factor - 1) * (loss - loss.detach())
