"""Training-state checkpoints: RNG capture/restore and the resume check.

The checkpoint dict itself is defined in :mod:`neuroalign.backbones.checkpoint`; this module adds
what exact resumption needs. RNG states are stored as tensors and plain numbers only, so the
file still loads with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch

from neuroalign.errors import DataError

__all__ = ["capture_rng_state", "check_resume_compatible", "restore_rng_state"]

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
            npy["state"].numpy().astype(np.uint32),
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
