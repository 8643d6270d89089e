"""Spectral entropies of a batch, in torch: effective rank and matrix-based Renyi information.

The one home of these quantities: the AdaDim loss (:mod:`neuroalign.losses.adadim`) uses them
during training (differentiably), and :mod:`neuroalign.geometry` wraps them for numpy arrays
(``effective_rank``, ``gram_matrix``, ``matrix_renyi_entropy``, ``matrix_mutual_information``
there return floats and raise ``DataError`` on bad input). Every function takes samples as rows.

- Effective rank (Roy & Vetterli, "The effective rank: a measure of effective dimensionality",
  EUSIPCO 2007): for the singular values sigma_k of X (n, d), p_k = sigma_k / sum sigma and
  erank = exp(-sum p_k log p_k). It equals k for k equal non-zero singular values, so it lies in
  [1, rank X] with rank X <= min(n, d) (min(n - 1, d) once the samples are centred).
- Matrix-based alpha-order Renyi entropy (Sanchez Giraldo, Rao & Principe, "Measures of entropy
  from data using infinitely divisible kernels", IEEE Trans. Inf. Theory 61, 2015): rows of X
  L2-normalised, K = X X^T, A = K / tr K (n x n, trace 1);
  S_a(A) = log2(sum_k lambda_k(A)^a) / (1 - a) bits (a -> 1: -sum lambda log2 lambda).
  For a = 2 no eigendecomposition is needed: sum lambda^2 = tr(A^2) = sum_ij A_ij^2.
- Joint entropy S_a(A o B / tr(A o B)) (Hadamard product) and mutual information
  I(X; Y) = S_a(A_X) + S_a(A_Y) - S_a(A_X, A_Y).

Gradients: all functions are differentiable. Eigenvalues that are exactly zero are masked out of
the sums (their gradient is zero); orders a <= 1 have unbounded derivatives at small
eigenvalues, so a loss should use a > 1 (AdaDim uses a = 2).
"""

from __future__ import annotations

import torch

__all__ = [
    "effective_rank",
    "effective_rank_of_spectrum",
    "gram_entropy",
    "gram_matrix",
    "matrix_joint_entropy",
    "matrix_mutual_information",
    "matrix_renyi_entropy",
    "max_effective_rank",
]


def _check_samples(x: torch.Tensor, name: str) -> None:
    if not isinstance(x, torch.Tensor) or x.ndim != 2 or x.shape[0] < 2:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"{name}: expected a tensor (n_samples >= 2, n_features), got {shape}")
    if not x.is_floating_point():
        raise ValueError(f"{name}: must be a floating-point tensor, got {x.dtype}")


def _check_order(order: float) -> float:
    order = float(order)
    if not order > 0:
        raise ValueError(f"Renyi order must be > 0, got {order}")
    return order


def _linalg_dtype(x: torch.Tensor) -> torch.Tensor:
    """float16 / bfloat16 (autocast outputs) -> float32: torch.linalg needs >= 32 bits."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def effective_rank_of_spectrum(singular_values: torch.Tensor) -> torch.Tensor:
    """exp(entropy of sigma / sum sigma) of non-negative singular values (1-D); 0 if all zero."""
    s = _linalg_dtype(singular_values).clamp_min(0)
    total = s.sum()
    p = s / torch.where(total > 0, total, torch.ones_like(total))
    positive = p > 0
    safe = torch.where(positive, p, torch.ones_like(p))
    entropy = -torch.where(positive, safe * torch.log(safe), torch.zeros_like(p)).sum()
    return torch.where(total > 0, torch.exp(entropy), torch.zeros_like(total))


def effective_rank(x: torch.Tensor, *, center: bool = True) -> torch.Tensor:
    """Effective rank (Roy & Vetterli 2007) of the samples x (n, d): a scalar tensor.

    Args:
        x: samples (n >= 2, d).
        center: subtract the mean sample first (the rank of the spread, not of the offset).

    Returns:
        erank in [1, :func:`max_effective_rank`]; 0 for an all-zero (centred) matrix.
    """
    _check_samples(x, "effective_rank")
    x = _linalg_dtype(x)
    if center:
        x = x - x.mean(dim=0, keepdim=True)
    # same singular values either way; LAPACK on CPU is up to 20x faster on the tall side
    return effective_rank_of_spectrum(torch.linalg.svdvals(x.T if x.shape[0] < x.shape[1] else x))


def max_effective_rank(n_samples: int, n_features: int, *, center: bool = True) -> int:
    """The largest effective rank of n samples in d dimensions: min(n - 1, d) centred, else
    min(n, d) (reached when all non-zero singular values are equal)."""
    return min(n_samples - 1 if center else n_samples, n_features)


def gram_matrix(x: torch.Tensor) -> torch.Tensor:
    """Trace-normalised cosine Gram matrix A (n, n) of the samples x (n, d).

    Rows are L2-normalised (rows of zero norm stay zero), K = X X^T and A = K / tr K. An
    all-zero x has tr K = 0 and gives NaN (callers that take user data check this first).
    """
    _check_samples(x, "gram_matrix")
    x = _linalg_dtype(x)
    norms = torch.linalg.vector_norm(x, dim=1, keepdim=True)
    unit = x / torch.where(norms > 0, norms, torch.ones_like(norms))
    kernel = unit @ unit.T
    return kernel / torch.diagonal(kernel).sum()


def gram_entropy(a: torch.Tensor, order: float) -> torch.Tensor:
    """Renyi entropy S_order (bits) of a symmetric PSD matrix a (n, n) with trace 1."""
    order = _check_order(order)
    if order == 2.0:
        return -torch.log2((a * a).sum())
    lam = torch.linalg.eigvalsh((a + a.T) / 2).clamp_min(0)
    lam = lam / lam.sum()
    positive = lam > 0
    safe = torch.where(positive, lam, torch.ones_like(lam))
    zero = torch.zeros_like(lam)
    if abs(order - 1.0) < 1e-12:
        return -torch.where(positive, safe * torch.log2(safe), zero).sum()
    return torch.log2(torch.where(positive, safe**order, zero).sum()) / (1.0 - order)


def matrix_renyi_entropy(x: torch.Tensor, order: float) -> torch.Tensor:
    """S_order of the samples x (n, d) in bits: 0 <= S <= log2 n."""
    return gram_entropy(gram_matrix(x), order)


def _gram_pair(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Gram matrices of the same n samples in two spaces, in their common dtype."""
    _check_samples(x, "x")
    _check_samples(y, "y")
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"x and y must hold the same number of samples, got {x.shape[0]} and {y.shape[0]}"
        )
    dtype = torch.promote_types(x.dtype, y.dtype)
    return gram_matrix(x.to(dtype)), gram_matrix(y.to(dtype))


def _joint_gram(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """A o B / tr(A o B) for two Gram matrices of the same samples."""
    h = a * b
    return h / torch.diagonal(h).sum()


def matrix_joint_entropy(x: torch.Tensor, y: torch.Tensor, order: float) -> torch.Tensor:
    """Joint S_order(x, y) in bits from the Hadamard product of the two Gram matrices."""
    return gram_entropy(_joint_gram(*_gram_pair(x, y)), order)


def matrix_mutual_information(x: torch.Tensor, y: torch.Tensor, order: float) -> torch.Tensor:
    """I(x; y) = S(x) + S(y) - S(x, y) in bits, for the same n samples in two spaces.

    Args:
        x: (n, d_x), e.g. the backbone representation R of n images.
        y: (n, d_y), e.g. their embeddings Z.
        order: the Renyi order a > 0 (2 for AdaDim's loss).

    Returns:
        A scalar tensor, 0 <= I <= min(S(x), S(y)); 0 when y is the same for every sample.
    """
    a, b = _gram_pair(x, y)
    joint = _joint_gram(a, b)
    return gram_entropy(a, order) + gram_entropy(b, order) - gram_entropy(joint, order)
