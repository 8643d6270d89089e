"""Training-state checkpoints: the payload, the files of a run, RNG state and the resume check.

The checkpoint format itself is defined in :mod:`neuroalign.backbones.checkpoint`; this module
adds what a training run writes into it and what exact resumption needs: the payload
(:func:`training_payload`: model, optimizer, schedule, step, RNG states, callback states...),
the files of a run (:class:`RunCheckpoints`: ``init.pt``, ``last.pt``, ``epoch_NNNN.pt``;
temporary files left by a killed writer are removed when a run starts or resumes) and
:func:`restore_training`. RNG states are stored as tensors and plain numbers only, so the file
still loads with ``torch.load(weights_only=True)``; checkpoints are always read onto the CPU
(the RNG states must stay there; the weights are copied into the model where it lives).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from neuroalign.backbones import read_checkpoint, write_checkpoint
from neuroalign.errors import DataError
from neuroalign.io import atomic_link

__all__ = [
    "RunCheckpoints",
    "capture_rng_state",
    "check_resume_compatible",
    "remove_partial_files",
    "restore_rng_state",
    "restore_training",
    "training_payload",
]

#: config fields that must match between a checkpoint and the run resuming it
_MUST_MATCH = ("arch", "cifar_stem", "head_dims", "loss", "views", "batch_size", "dataset")


def capture_rng_state() -> dict[str, Any]:
    """The torch, CUDA, numpy and Python global RNG states as weights-only-safe values."""
    np_state = np.random.get_state()  # noqa: NPY002 - the global state is what we save
    py_version, py_internal, py_gauss = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": {
            "key": str(np_state[0]),
            "state": torch.from_numpy(np.asarray(np_state[1], dtype=np.int64)),
            "pos": int(np_state[2]),
            "has_gauss": int(np_state[3]),
            "cached_gaussian": float(np_state[4]),
        },
        "python": {"version": int(py_version), "state": list(py_internal), "gauss": py_gauss},
    }


def restore_rng_state(state: dict[str, Any]) -> None:
    """Inverse of :func:`capture_rng_state` (CUDA states restored only where CUDA exists)."""
    torch.set_rng_state(state["torch"].cpu())
    cuda_states = state.get("cuda") or []
    if cuda_states and torch.cuda.is_available():
        n = min(len(cuda_states), torch.cuda.device_count())
        for i in range(n):
            torch.cuda.set_rng_state(cuda_states[i].cpu(), i)
    npy = state["numpy"]
    np.random.set_state(  # noqa: NPY002
        (
            npy["key"],
            npy["state"].cpu().numpy().astype(np.uint32),
            int(npy["pos"]),
            int(npy["has_gauss"]),
            float(npy["cached_gaussian"]),
        )
    )
    py = state["python"]
    random.setstate((py["version"], tuple(py["state"]), py["gauss"]))


def check_resume_compatible(saved: dict[str, Any], current: dict[str, Any], path: Any) -> None:
    """Refuse to resume a checkpoint whose model/data settings differ from the current run."""
    diffs = []
    for key in _MUST_MATCH:
        a, b = saved.get(key), current.get(key)
        if isinstance(a, tuple | list) or isinstance(b, tuple | list):
            a, b = list(a or []), list(b or [])
        if a != b:
            diffs.append(f"{key}: checkpoint {saved.get(key)!r} vs now {current.get(key)!r}")
    if diffs:
        raise DataError(
            f"{path}: cannot resume, the checkpoint was made with other settings: "
            + "; ".join(diffs)
        )


def training_payload(
    *,
    config: Mapping[str, Any],
    model_spec: Mapping[str, Any],
    preprocessing: Mapping[str, Any],
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Mapping[str, Any],
    step: int,
    epoch: int,
    world: int,
    metrics: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The checkpoint dict of a training run at ``step`` (see
    :mod:`neuroalign.backbones.checkpoint` for the keys; callbacks add ``"callbacks"``)."""
    return {
        "arch": model_spec["arch"],
        "model_spec": dict(model_spec),
        "config": dict(config),
        "preprocessing": dict(preprocessing),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": dict(scheduler),
        "epoch": int(epoch),
        "step": int(step),
        "rng": capture_rng_state(),
        "metrics": dict(metrics or {}),
        "world_size": int(world),
    }


def restore_training(
    payload: Mapping[str, Any],
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    config: Mapping[str, Any],
    path: Any,
) -> int:
    """Load a checkpoint's weights, optimizer and global RNG states into a run made with
    ``config`` (after :func:`check_resume_compatible`); return the checkpoint's step."""
    check_resume_compatible(payload.get("config", {}), dict(config), path)
    try:
        model.load_state_dict(payload["model"])
        optimizer.load_state_dict(payload["optimizer"])
    except (RuntimeError, ValueError, KeyError) as err:
        raise DataError(f"{path}: checkpoint does not fit this model: {err}") from None
    restore_rng_state(payload["rng"])
    return int(payload["step"])


def remove_partial_files(folder: str | Path) -> list[Path]:
    """Delete the temporary files (``.NAME.part-*``) a process killed while writing left in
    ``folder``; returns what was removed. Only call it when no other writer is active."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = []
    for path in folder.glob(".*.part-*"):
        if path.is_file():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


class RunCheckpoints:
    """The checkpoint files of a run folder: ``checkpoints/init.pt`` (the network before its
    first step), ``last.pt`` (refreshed as the run goes) and ``epoch_NNNN.pt``.

    Args:
        run_dir: the run folder.
        writer: whether this process writes (rank 0); the others only read.
    """

    def __init__(self, run_dir: str | Path, writer: bool = True) -> None:
        self.folder = Path(run_dir) / "checkpoints"
        self.last = self.folder / "last.pt"
        self.writer = bool(writer)
        self.last_good: Path | None = None
        self.saved_step = -1

    def prepare(self, resume: bool) -> list[Path]:
        """Refuse to start over an existing run (or to resume a missing one) and remove
        orphaned temporary files; returns the removed files."""
        if not resume and self.last.is_file():
            raise ValueError(
                f"{self.folder.parent} already holds a run ({self.last}); pass --resume to "
                "continue it or choose another --output-dir"
            )
        if resume and not self.last.is_file():
            raise FileNotFoundError(f"--resume: no checkpoint at {self.last}")
        self.last_good = self.last if self.last.is_file() else None
        return remove_partial_files(self.folder) if self.writer else []

    def read_last(self) -> dict[str, Any]:
        """``last.pt`` read onto the CPU (validated; see :func:`read_checkpoint`)."""
        return read_checkpoint(self.last, map_location="cpu")

    def write(
        self, payload: dict[str, Any], *, tag: str | None = None, update_last: bool = True
    ) -> None:
        """Write ``payload`` as ``last.pt`` and/or ``<tag>.pt`` (writer only; atomic).

        When both are written they are one file on disk with two names (a hard link): a
        ResNet-50 checkpoint with its optimiser state is written, and stored, once.
        """
        if self.writer:
            if tag:
                tagged = write_checkpoint(payload, self.folder / f"{tag}.pt")
            if update_last:
                if tag:
                    atomic_link(tagged, self.last)
                else:
                    write_checkpoint(payload, self.last)
                self.last_good = self.last
        self.saved_step = int(payload["step"])
