"""Shared input checks and the DDP-aware ``nn.Module`` base of the losses."""

from __future__ import annotations

import contextvars
import math

import torch
from torch import nn

from neuroalign.losses.distributed import gather_batch, get_world_size, scale_gradient

__all__ = ["EmbeddingLoss", "check_embeddings", "check_positive"]

# Whether check_embeddings reads z back to look for NaN/inf. Reading a GPU tensor on the host
# waits for the device (a synchronisation per training step); an EmbeddingLoss with
# ``check_finite = False`` switches the check off for the duration of its call.
_FINITE_CHECKS: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "neuroalign_finite_checks", default=True
)


def check_embeddings(
    z: object, loss: str, min_batch: int = 1, check_finite: bool = True, what: str = "z"
) -> None:
    """Raise ``ValueError`` unless ``z`` is a floating tensor (n_views >= 2, batch >= min_batch, dim).

    ``loss`` names the caller and ``what`` the argument in the message. The NaN/inf check
    (``check_finite``) reads z on the host; it is skipped inside an :class:`EmbeddingLoss` whose
    ``check_finite`` is False.
    """
    if not isinstance(z, torch.Tensor):
        raise ValueError(f"{loss}: {what} must be a torch.Tensor, got {type(z).__name__}")
    if z.ndim != 3:
        raise ValueError(
            f"{loss}: {what} must have shape (n_views, batch, dim), got {z.ndim}-D shape "
            f"{tuple(z.shape)}"
        )
    if not z.is_floating_point():
        raise ValueError(f"{loss}: {what} must be a floating-point tensor, got {z.dtype}")
    n_views, batch, dim = z.shape
    if n_views < 2:
        raise ValueError(f"{loss}: needs n_views >= 2 augmented views per image, got {n_views}")
    if batch < min_batch:
        raise ValueError(f"{loss}: needs a batch of >= {min_batch} images, got {batch}")
    if dim < 1:
        raise ValueError(f"{loss}: {what} dim must be >= 1, got {dim}")
    if check_finite and _FINITE_CHECKS.get() and not bool(torch.isfinite(z).all()):
        n_bad = int((~torch.isfinite(z)).sum())
        raise ValueError(f"{loss}: {what} contains {n_bad} NaN/inf value(s)")


def check_positive(name: str, value: float, allow_zero: bool = False) -> float:
    """Return ``float(value)`` or raise ``ValueError`` if it is not finite and > 0 (>= 0)."""
    value = float(value)
    ok = math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {bound}, got {value}")
    return value


class EmbeddingLoss(nn.Module):
    """Base of the loss modules: ``forward(z)`` with z (n_views, batch, dim) -> scalar.

    With ``gather_distributed=True`` and an initialised process group, the embeddings of all
    ranks are gathered along the batch axis (local slice differentiable), the loss of the global
    batch is computed, and its gradient is multiplied by the world size so that DDP's gradient
    averaging reproduces the single-process gradients (see :mod:`neuroalign.losses.distributed`).
    Subclasses implement :meth:`compute` (the pure loss function of the full batch, which
    validates its input) and set ``name``.

    Losses that also need the backbone representation R of the same views (AdaDim's I(R; Z))
    set the class attribute ``needs_representation = True``; they are called as
    ``loss(z, representation=r)`` with r (n_views, batch, d_r), which is gathered across ranks
    like z, and implement ``compute(z, representation)``. The training loop checks the
    attribute: ``loss(z, representation=r) if loss.needs_representation else loss(z)``.

    ``check_finite`` (default True): refuse embeddings holding NaN/inf. The check reads z on the
    host, a host-device synchronisation per call on a GPU; the training loop sets it to False
    and checks the loss when it logs instead (a NaN in z makes the loss NaN). Under DDP it also
    switches off the per-call exchange of shapes and NaN counts before the gather (every rank
    then must pass the same shape, as the loop's equal per-rank batches guarantee).
    """

    name = "loss"
    #: True for losses whose ``forward`` needs ``representation=`` (the backbone features).
    needs_representation = False
    check_finite: bool = True

    def __init__(self, gather_distributed: bool = True) -> None:
        super().__init__()
        self.gather_distributed = bool(gather_distributed)

    def compute(self, z: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, z: torch.Tensor, representation: torch.Tensor | None = None) -> torch.Tensor:
        if self.needs_representation and representation is None:
            raise ValueError(
                f"{self.name}: needs the backbone representation of the same views: call "
                "loss(z, representation=r) with r of shape (n_views, batch, d_r)"
            )
        if representation is not None and not self.needs_representation:
            raise ValueError(
                f"{self.name}: takes only the embeddings z, not a representation "
                "(its needs_representation is False)"
            )
        world = get_world_size() if self.gather_distributed else 1
        token = _FINITE_CHECKS.set(bool(self.check_finite))
        try:
            if world > 1:
                # structure is checked locally; NaN/inf is checked inside gather_batch so that all
                # ranks raise together instead of leaving the others waiting in a collective
                validate = bool(self.check_finite)
                check_embeddings(z, self.name, min_batch=1, check_finite=False)
                z = gather_batch(z, dim=1, validate=validate)
                if representation is not None:
                    check_embeddings(
                        representation, self.name, 1, check_finite=False, what="representation"
                    )
                    representation = gather_batch(representation, dim=1, validate=validate)
            if representation is None:
                loss = self.compute(z)
            else:
                loss = self.compute(z, representation)  # type: ignore[call-arg]
        finally:
            _FINITE_CHECKS.reset(token)
        return scale_gradient(loss, world)
