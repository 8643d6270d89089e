"""On-the-fly dimensionality reduction of layer features to ``k`` dimensions.

* Gaussian random projection (Johnson-Lindenstrauss): y = x R with R_ij ~ N(0, 1/k).
* Sparse random projection (Achlioptas 2003; Li, Hastie & Church 2006, "Very sparse random
  projections"): R_ij = +-sqrt(s/k) with probability 1/(2s) each, 0 otherwise, s = sqrt(d).
* PCA fitted on a seeded random subset of the stimuli (as Brain-Score's ``LayerPCA`` fits
  PCA(1000) on ImageNet images): y = (x - mean) V_k, components from the SVD of the centred
  subset, signs fixed so that each component's largest-magnitude loading is positive.

Random projections are reproducible: R depends only on (seed, d, k), never on the batch size.
The dense Gaussian R is generated ``_BLOCK`` input rows at a time from per-block seeds, so a
ResNet-50 ``layer1`` (d = 802,816) to k = 1000 never needs its 3.2 GB matrix in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from neuroalign.extract.forward import run_extraction

__all__ = [
    "GaussianProjection",
    "PCAReducer",
    "Reduction",
    "SparseProjection",
    "fit_reducers",
    "make_reducer",
    "reducer_bytes",
]

_BLOCK = 16384  # input rows of R generated at once (Gaussian projection)


@dataclass(frozen=True)
class Reduction:
    """What to reduce each layer to.

    Attributes:
        method: ``"gaussian"``, ``"sparse"`` (random projections) or ``"pca"``.
        k: output dimensions per layer (layers with d <= k are still mapped to k dims).
        seed: seed of the projection matrix / of the PCA fitting subset.
        fit_size: number of stimuli PCA is fitted on (a seeded random subset).
    """

    method: str = "gaussian"
    k: int = 1000
    seed: int = 0
    fit_size: int = 1000

    def __post_init__(self) -> None:
        if self.method not in ("gaussian", "sparse", "pca"):
            raise ValueError(
                f"reduction method must be gaussian, sparse or pca, got {self.method!r}"
            )
        if self.k <= 0 or self.fit_size <= 0:
            raise ValueError(f"reduction k and fit_size must be positive, got {self}")

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "k": self.k, "seed": self.seed, "fit_size": self.fit_size}


def _block_seed(seed: int, block: int) -> int:
    return (seed * 1_000_003 + block * 7919 + 12345) % (2**62)


@dataclass
class GaussianProjection:
    """x (B, d) -> x R (B, k), R_ij ~ N(0, 1/k), generated in blocks of rows from ``seed``."""

    d: int
    k: int
    seed: int = 0
    _cache: torch.Tensor | None = field(default=None, repr=False)

    def block(self, b: int, device: torch.device) -> torch.Tensor:
        rows = min(_BLOCK, self.d - b * _BLOCK)
        gen = torch.Generator().manual_seed(_block_seed(self.seed, b))
        r = torch.randn(rows, self.k, generator=gen) / np.sqrt(self.k)
        return r.to(device)

    def matrix(self) -> torch.Tensor:
        """The full (d, k) matrix (for tests and small d)."""
        nblocks = -(-self.d // _BLOCK)
        return torch.cat([self.block(b, torch.device("cpu")) for b in range(nblocks)])

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float()
        if self.d * self.k <= 4_000_000:  # small: keep the whole matrix
            if self._cache is None or self._cache.device != x.device:
                self._cache = self.matrix().to(x.device)
            return x @ self._cache
        out = torch.zeros(x.shape[0], self.k, device=x.device)
        for b in range(-(-self.d // _BLOCK)):
            out += x[:, b * _BLOCK : (b + 1) * _BLOCK] @ self.block(b, x.device)
        return out


@dataclass
class SparseProjection:
    """Very sparse random projection: R_ij = +-sqrt(s/k) w.p. 1/(2s), s = sqrt(d)."""

    d: int
    k: int
    seed: int = 0
    _matrix: torch.Tensor | None = field(default=None, repr=False)

    def matrix(self) -> torch.Tensor:
        """The (d, k) sparse COO matrix (coalesced)."""
        if self._matrix is None:
            s = max(1.0, float(np.sqrt(self.d)))
            rng = np.random.default_rng(self.seed)
            nnz = rng.binomial(self.d * self.k, 1.0 / s)
            flat = rng.choice(self.d * self.k, size=nnz, replace=False) if nnz else np.array([])
            rows, cols = np.divmod(flat.astype(np.int64), self.k)
            signs = rng.choice([-1.0, 1.0], size=nnz) * np.sqrt(s / self.k)
            idx = torch.as_tensor(np.stack([rows, cols]), dtype=torch.int64)
            vals = torch.as_tensor(signs, dtype=torch.float32)
            self._matrix = torch.sparse_coo_tensor(
                idx, vals, (self.d, self.k), check_invariants=False
            ).coalesce()
        return self._matrix

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        m = self.matrix().to(x.device)
        # (B, d) @ (d, k) == ((k, d) @ (d, B))^T with the sparse operand first
        return torch.sparse.mm(m.t(), x.float().t()).t()


@dataclass
class PCAReducer:
    """x (B, d) -> (x - mean) V (B, k): PCA fitted on (n_fit, d) features."""

    mean: torch.Tensor
    components: torch.Tensor  # (d, k)

    @property
    def k(self) -> int:
        return int(self.components.shape[1])

    @classmethod
    def fit(cls, x: torch.Tensor, k: int) -> PCAReducer:
        """Fit on x (n, d); ``k`` may not exceed min(n, d).

        With d > n (the usual case for conv layers) the components come from the n x n Gram
        matrix: Xc Xc^T = U S^2 U^T, V = Xc^T U S^-1, so memory stays at x plus n x n.
        """
        if k > min(x.shape):
            raise ValueError(
                f"PCA to k={k} needs at least k fitting stimuli and features, got x of shape "
                f"{tuple(x.shape)}; lower the reduction k or raise its fit_size"
            )
        x = x.float()
        mean = x.mean(0)
        xc = x - mean
        if xc.shape[1] > xc.shape[0]:
            gram = (xc @ xc.T).double()
            evals, evecs = torch.linalg.eigh(gram)
            order = torch.argsort(evals, descending=True)[:k]
            s = evals[order].clamp_min(1e-12).sqrt()
            v = (xc.T @ evecs[:, order].float()) / s.float()  # (d, k)
        else:
            _, _, vh = torch.linalg.svd(xc.double(), full_matrices=False)
            v = vh[:k].T
        sign = torch.sign(v.gather(0, v.abs().argmax(0, keepdim=True)))
        v = v * sign
        return cls(mean=mean, components=v.float().contiguous())

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        return (x.float() - self.mean.to(x.device)) @ self.components.to(x.device)


def make_reducer(reduction: Reduction, d: int) -> GaussianProjection | SparseProjection:
    """A random projection for features of dimension ``d`` (PCA needs :func:`fit_reducers`)."""
    if reduction.method == "gaussian":
        return GaussianProjection(d, reduction.k, reduction.seed)
    if reduction.method == "sparse":
        return SparseProjection(d, reduction.k, reduction.seed)
    raise ValueError("PCA reducers are fitted with fit_reducers")


def fit_reducers(
    reduction: Reduction | None,
    loaded: Any,
    stimuli: Any,
    layers: Sequence[str],
    shapes: dict[str, tuple[int, ...]],
    batch_size: int,
    device: torch.device,
    num_workers: int | None = None,
) -> dict[str, Any] | None:
    """One reducer per layer, or ``None`` without reduction.

    PCA runs one extra forward pass over ``reduction.fit_size`` stimuli (a seeded random subset,
    all of them if fewer) and holds their features (fit_size x d per layer) while fitting.
    """
    if reduction is None:
        return None
    dims = {name: int(np.prod(shapes[name])) for name in layers}
    if reduction.method != "pca":
        return {name: make_reducer(reduction, dims[name]) for name in layers}
    n = len(stimuli)
    rng = np.random.default_rng(reduction.seed)
    idx = np.sort(rng.choice(n, size=min(reduction.fit_size, n), replace=False))
    subset = stimuli.subset(idx.tolist())
    feats = {name: np.empty((len(subset), dims[name]), dtype=np.float32) for name in layers}

    def write(name: str, start: int, values: np.ndarray) -> None:
        feats[name][start : start + values.shape[0]] = values

    run_extraction(
        loaded, subset, layers, write, batch_size=batch_size, device=device,
        num_workers=num_workers,
    )  # fmt: skip
    return {name: PCAReducer.fit(torch.from_numpy(feats.pop(name)), reduction.k) for name in layers}


def reducer_bytes(reduction: Reduction | None, dims: dict[str, int]) -> int:
    """Memory the reducers of layers with ``dims`` features hold (while fitting, for PCA)."""
    if reduction is None:
        return 0
    if reduction.method == "pca":
        fit = reduction.fit_size
        return sum(4 * d * (fit + reduction.k + 1) + 8 * fit * fit for d in dims.values())
    if reduction.method == "sparse":
        return sum(int(12 * reduction.k * np.sqrt(d)) + 4 * d for d in dims.values())
    return sum(4 * reduction.k * min(d, _BLOCK) for d in dims.values())
