"""The neuroalign checkpoint format and :func:`load_checkpoint`.

A checkpoint is a ``torch.save`` dict readable with ``torch.load(weights_only=True)`` (only
tensors, numbers, strings, lists and dicts), with keys:

- ``format``: ``"neuroalign-checkpoint/1"``
- ``arch``: backbone name; ``model_spec``: ``{"arch", "cifar_stem", "head_dims",
  "head_batch_norm"}`` enough to rebuild the :class:`~neuroalign.backbones.SSLModel`
- ``config``: the resolved training config (dict); ``preprocessing``: ``{"image_size",
  "resize", "mean", "std"}`` to feed the backbone at evaluation time
- ``model``: the SSLModel state dict; ``optimizer``, ``scheduler``, ``epoch``, ``step``,
  ``rng``, ``metrics``: the training state needed to resume exactly.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from neuroalign.backbones.heads import SSLModel
from neuroalign.backbones.registry import create_ssl_model
from neuroalign.errors import DataError
from neuroalign.io import atomic_path

__all__ = [
    "CHECKPOINT_FORMAT",
    "build_model_from_spec",
    "load_checkpoint",
    "read_checkpoint",
    "write_checkpoint",
]

CHECKPOINT_FORMAT = "neuroalign-checkpoint/1"
_REQUIRED = ("format", "arch", "model", "preprocessing")


def write_checkpoint(payload: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """``torch.save`` ``payload`` (with ``format`` set) atomically to ``path``."""
    payload = {"format": CHECKPOINT_FORMAT, **payload}
    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return path


def read_checkpoint(path: str | os.PathLike[str], map_location: Any = "cpu") -> dict[str, Any]:
    """Load and validate a checkpoint dict (``weights_only=True``: no code is unpickled).

    Raises:
        FileNotFoundError: no such file.
        DataError: the file is not a readable torch file, or not a neuroalign checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # corrupt zip, truncated file, unsafe pickle...
        raise DataError(
            f"{path}: not a readable neuroalign checkpoint ({type(err).__name__}: {err})"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise DataError(
            f"{path}: not a neuroalign checkpoint (format {found!r}, expected {CHECKPOINT_FORMAT!r})"
        )
    missing = [k for k in _REQUIRED if k not in payload]
    if missing:
        raise DataError(f"{path}: checkpoint lacks keys {missing}")
    return payload


def build_model_from_spec(spec: dict[str, Any]) -> SSLModel:
    """Rebuild the (randomly initialised) SSLModel a checkpoint's ``model_spec`` describes."""
    return create_ssl_model(
        spec["arch"],
        tuple(spec.get("head_dims", ())),
        cifar_stem=bool(spec.get("cifar_stem", False)),
        head_batch_norm=bool(spec.get("head_batch_norm", False)),
    )


def load_checkpoint(
    path: str | os.PathLike[str], map_location: Any = "cpu"
) -> tuple[SSLModel, dict[str, Any]]:
    """Rebuild the trained model of a checkpoint.

    Returns:
        ``(model, metadata)``: the :class:`SSLModel` in eval mode with the saved weights, and
        the checkpoint dict without its ``model``/``optimizer``/``scheduler`` tensors
        (``config``, ``preprocessing``, ``epoch``, ``step``, ``metrics``, ``model_spec``...).

    Raises:
        DataError: corrupt file, not a neuroalign checkpoint, or weights that do not fit the
            architecture it names.
    """
    payload = read_checkpoint(path, map_location=map_location)
    spec = payload.get("model_spec") or {"arch": payload["arch"]}
    try:
        model = build_model_from_spec(spec)
    except (ValueError, KeyError) as err:
        raise DataError(f"{path}: cannot rebuild the model it describes: {err}") from None
    try:
        model.load_state_dict(payload["model"], strict=True)
    except RuntimeError as err:
        raise DataError(f"{path}: weights do not match architecture {spec}: {err}") from None
    model.eval()
    meta = {k: v for k, v in payload.items() if k not in ("model", "optimizer", "scheduler")}
    return model, meta
