"""Array backend: one implementation for NumPy arrays and torch tensors (CPU or CUDA).

The encoding code is written once with the operators NumPy and torch share (``@``, ``.T``,
``x.sum(axis=..., keepdims=...)``, indexing, arithmetic); the few functions whose names
differ (eigendecomposition, allocation, conversion) live here. Inputs decide the backend:
NumPy in, NumPy out (float64); torch in, torch out on the tensor's device (float64 by
default, as himalaya does on CPU; pass ``dtype=torch.float32`` for speed on a GPU).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "Array",
    "asarray",
    "eigh",
    "is_torch",
    "pinv",
    "to_numpy",
    "zeros",
]

#: A 2-D float array of either kind.
Array = Any


def is_torch(x: Any) -> bool:
    """True if ``x`` is a ``torch.Tensor`` (without importing torch when it is not loaded)."""
    return type(x).__module__.startswith("torch")


def asarray(x: Any, like: Any = None, dtype: Any = None) -> Array:
    """``x`` as a float array of the backend of ``like`` (or of ``x`` itself).

    NumPy / lists / xarray become ``float64`` NumPy arrays; tensors stay tensors on their device
    (``float64`` unless ``dtype`` says otherwise). With ``like`` a tensor, ``x`` moves to its
    device and dtype.
    """
    if hasattr(x, "values") and not is_torch(x) and not isinstance(x, np.ndarray):
        x = x.values  # xarray / pandas
    template = x if like is None else like
    if is_torch(template):
        import torch

        target_dtype = dtype or (template.dtype if like is not None else torch.float64)
        if not target_dtype.is_floating_point:
            target_dtype = torch.float64
        if is_torch(x):
            return x.to(device=template.device, dtype=target_dtype)
        return torch.as_tensor(np.asarray(x), dtype=target_dtype, device=template.device)
    if is_torch(x):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=dtype or np.float64)


def to_numpy(x: Array) -> np.ndarray:
    """A NumPy copy/view of ``x`` (tensors are moved to the CPU)."""
    if is_torch(x):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def zeros(shape: tuple[int, ...], like: Array) -> Array:
    """Zeros of ``shape`` with the backend, dtype and device of ``like``."""
    if is_torch(like):
        import torch

        return torch.zeros(shape, dtype=like.dtype, device=like.device)
    return np.zeros(shape, dtype=like.dtype)


def eigh(a: Array) -> tuple[Array, Array]:
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix."""
    if is_torch(a):
        import torch

        return torch.linalg.eigh(a)
    return np.linalg.eigh(a)


def pinv(a: Array) -> Array:
    """Moore-Penrose pseudo-inverse."""
    if is_torch(a):
        import torch

        return torch.linalg.pinv(a)
    import scipy.linalg

    return scipy.linalg.pinv(a, check_finite=False)
