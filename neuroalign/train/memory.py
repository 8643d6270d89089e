"""Will a training step fit on the GPU? An estimate before the first step, and activation
checkpointing for the runs that do not fit.

CLAMP couples every pair of images of a batch, so a large batch cannot be replaced by gradient
accumulation over small ones (the loss of the halves is not the loss of the whole). What does
not fit on one GPU is spread over several with torchrun (the loss gathers the global batch) or
traded for compute with activation checkpointing: every residual block keeps only its input in
the forward pass and recomputes the rest during the backward pass (about a third more compute,
a fraction of the activation memory).

The estimate counts what the step keeps: weights, gradients and LARS momentum (float32), the
tensors autograd saves for the backward pass -- measured by running the network on the ``meta``
device (shapes only, no memory) at two batch sizes, half the bytes under bfloat16 autocast --
and the augmentation's working set. It is an estimate: the GPU suite prints it next to the
measured peak.
"""

from __future__ import annotations

import contextlib
import copy
import functools
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn

__all__ = [
    "MemoryEstimate",
    "check_fits",
    "enable_activation_checkpointing",
    "estimate_training_memory",
    "saved_activation_bytes",
]

_GB = 1e9
_WORKSPACE = 1 << 30  # cuDNN workspaces, allocator slack, CUDA context (not in torch's count)


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a training step needs on its device, by kind."""

    parameters: int
    gradients: int
    optimizer: int
    activations: int
    augmentation: int
    workspace: int
    n_inputs: int
    image_size: int

    @property
    def total(self) -> int:
        return (
            self.parameters
            + self.gradients
            + self.optimizer
            + self.activations
            + self.augmentation
            + self.workspace
        )

    def describe(self) -> str:
        """One line, e.g. "estimated peak 12.3 GB: weights 0.1, gradients 0.1, ..."."""
        return (
            f"estimated peak {self.total / _GB:.1f} GB per device for {self.n_inputs} "
            f"view-images of {self.image_size} px: weights {self.parameters / _GB:.2f}, "
            f"gradients {self.gradients / _GB:.2f}, LARS momentum + update "
            f"{self.optimizer / _GB:.2f}, saved activations {self.activations / _GB:.1f}, "
            f"augmentation {self.augmentation / _GB:.1f}, workspace {self.workspace / _GB:.1f}"
        )


class _SavedBytes:
    """Counts the distinct storages autograd saves while active (saved_tensors_hooks)."""

    def __init__(self, element_bytes: int | None) -> None:
        self.element_bytes = element_bytes
        self.total = 0
        self._seen: set[int] = set()

    def pack(self, t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        key = storage._cdata
        if key not in self._seen and not isinstance(t, nn.Parameter):
            self._seen.add(key)
            if self.element_bytes and t.is_floating_point():
                self.total += storage.nbytes() // t.element_size() * self.element_bytes
            else:
                self.total += storage.nbytes()
        return t

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        with torch.autograd.graph.saved_tensors_hooks(self.pack, lambda t: t):
            yield


def _meta_copy(model: nn.Module) -> nn.Module:
    """A copy of ``model`` whose parameters and buffers live on ``meta`` (no data copied),
    without activation checkpointing (so that every saved tensor is seen)."""
    memo: dict[int, torch.Tensor] = {}
    for p in model.parameters():
        memo[id(p)] = nn.Parameter(torch.empty_like(p, device="meta"), p.requires_grad)
    for b in model.buffers():
        memo[id(b)] = torch.empty_like(b, device="meta")
    twin = copy.deepcopy(model, memo).train()
    for module in twin.modules():
        module.__dict__.pop("forward", None)  # the class's forward again
    return twin


def saved_activation_bytes(
    model: nn.Module,
    image_size: int,
    batch: int,
    *,
    element_bytes: int | None = None,
    blocks: list[nn.Module] | None = None,
) -> tuple[int, list[tuple[int, int]]]:
    """Bytes autograd saves for a forward pass of ``batch`` images (3, S, S), measured on the
    ``meta`` device (a copy of ``model``; nothing is allocated). ``element_bytes``: count
    floating tensors at this size (2 for bfloat16 autocast). With ``blocks`` (modules of
    ``model``), also (input bytes, bytes saved inside) of each block."""
    meta = _meta_copy(model)
    counter = _SavedBytes(element_bytes)
    per_block: list[tuple[int, int]] = []
    handles = []
    if blocks:
        index = {id(m): i for i, m in enumerate(model.modules())}
        meta_modules = list(meta.modules())
        for block in blocks:
            twin = meta_modules[index[id(block)]]
            marks: dict[str, int] = {}

            def pre(_m, inputs, marks=marks):
                x = inputs[0]
                scale = (element_bytes or x.element_size()) if x.is_floating_point() else 1
                marks["input"] = x.numel() * scale
                marks["start"] = counter.total

            def post(_m, _inputs, _out, marks=marks):
                per_block.append((marks["input"], counter.total - marks["start"]))

            handles += [twin.register_forward_pre_hook(pre), twin.register_forward_hook(post)]
    try:
        x = torch.zeros(batch, 3, image_size, image_size, device="meta", requires_grad=False)
        with torch.enable_grad(), counter.active():
            meta(x)
    finally:
        for h in handles:
            h.remove()
    return counter.total, per_block


def _residual_blocks(model: nn.Module) -> list[nn.Module]:
    from torchvision.models.resnet import BasicBlock, Bottleneck

    return [m for m in model.modules() if isinstance(m, BasicBlock | Bottleneck)]


def estimate_training_memory(
    model: nn.Module,
    image_size: int,
    n_inputs: int,
    *,
    amp: bool = False,
    activation_checkpointing: bool = False,
    source_size: int | None = None,
    n_images: int | None = None,
) -> MemoryEstimate:
    """Bytes one training step of ``model`` needs for ``n_inputs`` view-images of
    ``image_size`` px (see the module docstring). ``source_size`` / ``n_images``: side and
    number of the uint8 images the views are cut from (default: the views' side, n_inputs)."""
    n_params = sum(p.numel() * p.element_size() for p in model.parameters())
    element = 2 if amp else None
    blocks = _residual_blocks(model) if activation_checkpointing else None
    small, _ = saved_activation_bytes(model, image_size, 2, element_bytes=element)
    large, per_block = saved_activation_bytes(
        model, image_size, 4, element_bytes=element, blocks=blocks
    )
    per_image = (large - small) / 2
    constant = max(0.0, small - 2 * per_image)  # e.g. weights cast to bfloat16 by autocast
    activations = per_image * n_inputs
    if activation_checkpointing and per_block:  # blocks keep their input; one block at a time
        inside = [b for _, b in per_block]
        kept = sum(i for i, _ in per_block) + max(inside)
        activations = (per_image - (sum(inside) - kept) / 4) * n_inputs
    views = n_inputs * 3 * image_size * image_size * 4
    sources = (n_images or n_inputs) * 3 * (source_size or image_size) ** 2 * 4
    return MemoryEstimate(
        parameters=n_params,
        gradients=n_params,
        optimizer=2 * n_params,
        activations=int(activations + constant),
        augmentation=int(5 * views + sources),
        workspace=_WORKSPACE,
        n_inputs=int(n_inputs),
        image_size=int(image_size),
    )


def check_fits(estimate: MemoryEstimate, device: torch.device) -> None:
    """Refuse (ValueError) a CUDA run whose estimate exceeds the device's memory."""
    if device.type != "cuda":
        return
    free, total = torch.cuda.mem_get_info(device)
    available = free + torch.cuda.memory_reserved(device)
    if estimate.total > available:
        name = torch.cuda.get_device_name(device)
        raise ValueError(
            f"{estimate.describe()}; {name} has {available / _GB:.1f} of {total / _GB:.1f} GB "
            "available. Lower --batch-size or --views, spread the batch over GPUs with torchrun "
            "(the loss gathers the global batch; lr scales with it), or pass "
            "--activation-checkpointing"
        )


@contextlib.contextmanager
def _running_stats_frozen(block: nn.Module) -> Iterator[None]:
    """During a block's recomputation: batch norms normalise exactly as in the forward pass
    but do not update their running statistics a second time."""
    norms = [m for m in block.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [
        (m, m.momentum, None if m.num_batches_tracked is None else m.num_batches_tracked.clone())
        for m in norms
    ]
    for m in norms:
        m.momentum = 0.0  # running = (1 - 0) running + 0 batch
    try:
        yield
    finally:
        for m, momentum, count in saved:
            m.momentum = momentum
            if count is not None:
                m.num_batches_tracked.copy_(count)


def _checkpointed(block: nn.Module, forward, x: torch.Tensor) -> torch.Tensor:
    if not torch.is_grad_enabled():
        return forward(x)
    return torch.utils.checkpoint.checkpoint(
        forward,
        x,
        use_reentrant=False,
        context_fn=lambda: (contextlib.nullcontext(), _running_stats_frozen(block)),
    )


def enable_activation_checkpointing(model: nn.Module) -> int:
    """Recompute every ResNet residual block of ``model`` in the backward pass instead of
    keeping its activations (weights, names and results unchanged); returns the number of
    blocks. Batch-norm running statistics are updated once per step, as without it."""
    blocks = _residual_blocks(model)
    for block in blocks:
        block.forward = functools.partial(_checkpointed, block, block.forward)
    return len(blocks)
