"""Structure of a final configuration: S(q), g(r), contacts and coordination, hexatic order.

- Structure factor S(q) = |sum_j exp(-i q.x_j)|^2 / N on the wave vectors of the periodic box,
  q = 2 pi n / side (n integer, one of each +-n pair), averaged over shells of equal
  round(|n|). A hyperuniform packing has S(q) -> 0 as q -> 0; at the densest critical point of
  BRO in d = 3, S(q) ~ q^0.25 (Wilken, Guerra, Levine & Chaikin, PRL 127, 038002, 2021).
- Radial distribution g(r): the pair-distance histogram over that of an ideal gas at the same
  density, rho S_d(r) dr with S_d the area of the (d-1)-sphere.
- Contacts: pairs with |r_ij| < (R_i + R_j)(1 + tolerance); the mean coordination Z = 2
  contacts / N, optionally without rattlers (spheres with fewer than d + 1 contacts, removed
  repeatedly). Jammed random packings are isostatic, Z = 2d (6 in d = 3).
- Hexatic (m = 6) bond-orientational order in d = 2: psi_i = mean over neighbours closer than
  a cutoff of exp(i m theta_ij); mean |psi_i| (local) and |mean psi_i| (global) tend to 1 in a
  hexagonal crystal and are small in a random packing.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from neuroalign.packing.config import check_dimension
from neuroalign.packing.neighbours import cell_list_pairs

__all__ = [
    "bond_order_2d",
    "contact_numbers",
    "mean_coordination",
    "radial_distribution",
    "structure_factor",
    "structure_factor_exponent",
    "wave_vectors",
]

_MAX_LATTICE = 2_000_000


def wave_vectors(
    d: int, n_max: int, *, per_shell: int = 256, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Integer vectors n (M, d) with 0 < |n| <= n_max, one of each +-n pair, and their shell
    round(|n|) (M,); at most ``per_shell`` per shell (a seeded random subset)."""
    check_dimension(d)
    if n_max < 1:
        raise ValueError(f"n_max: must be >= 1, got {n_max}")
    if (2 * n_max + 1) ** d > _MAX_LATTICE:
        raise ValueError(
            f"n_max: {n_max} gives {(2 * n_max + 1) ** d} lattice vectors in d = {d}; "
            f"use n_max <= {int((_MAX_LATTICE ** (1 / d) - 1) / 2)}"
        )
    axis = torch.arange(-n_max, n_max + 1)
    grid = torch.cartesian_prod(*([axis] * d)) if d > 1 else axis[:, None]
    norm = torch.linalg.vector_norm(grid.double(), dim=1)
    # one of +-n: the first non-zero component positive
    nonzero = grid != 0
    first = torch.where(nonzero.any(1), nonzero.float().argmax(1), 0)
    positive = grid.gather(1, first[:, None]).squeeze(1) > 0
    keep = positive & (norm <= n_max + 1e-9)
    grid, shell = grid[keep], torch.round(norm[keep]).long()
    rng = np.random.default_rng(seed)
    chosen = []
    for k in torch.unique(shell).tolist():
        idx = torch.nonzero(shell == k).squeeze(1).numpy()
        if len(idx) > per_shell:
            idx = np.sort(rng.choice(idx, per_shell, replace=False))
        chosen.append(idx)
    idx = torch.from_numpy(np.concatenate(chosen))
    return grid[idx], shell[idx]


def structure_factor(
    x: torch.Tensor,
    side: float,
    *,
    n_max: int | None = None,
    per_shell: int = 256,
    seed: int = 0,
    chunk: int = 256,
) -> pd.DataFrame:
    """S(q) of positions x (n, d) in the periodic box, averaged over shells of wave vectors.

    Args:
        n_max: largest |n| (q = 2 pi n / side); default about 1.5 side (q up to ~3 pi / diameter,
            past the first peak), capped at what the lattice size allows.
        per_shell: wave vectors per shell (random subset of larger shells).

    Returns:
        DataFrame with columns shell (round |n|), q (mean |q| of the shell), s (S(q)),
        n_vectors.
    """
    n, d = x.shape
    if n_max is None:
        cap = int((_MAX_LATTICE ** (1 / d) - 1) / 2)
        n_max = max(1, min(math.ceil(1.5 * side), cap))
    vecs, shell = wave_vectors(d, n_max, per_shell=per_shell, seed=seed)
    q = (2.0 * math.pi / side) * vecs.double().to(x.device)
    pos = x.double()
    s = torch.empty(q.shape[0], dtype=torch.float64, device=x.device)
    for start in range(0, q.shape[0], chunk):
        phase = pos @ q[start : start + chunk].T  # (n, chunk)
        s[start : start + chunk] = (torch.cos(phase).sum(0) ** 2 + torch.sin(phase).sum(0) ** 2) / n
    table = pd.DataFrame(
        {
            "shell": shell.numpy(),
            "q": torch.linalg.vector_norm(q, dim=1).cpu().numpy(),
            "s": s.cpu().numpy(),
        }
    )
    out = table.groupby("shell").agg(q=("q", "mean"), s=("s", "mean"), n_vectors=("s", "size"))
    return out.reset_index()


def structure_factor_exponent(sq: pd.DataFrame, q_max: float) -> float:
    """Slope of log S vs log q over the shells with q <= q_max (S(q) ~ q^slope)."""
    low = sq[(sq["q"] <= q_max) & (sq["s"] > 0)]
    if len(low) < 2:
        raise ValueError(f"q_max: fewer than two shells with q <= {q_max}")
    return float(np.polyfit(np.log(low["q"]), np.log(low["s"]), 1)[0])


def radial_distribution(
    x: torch.Tensor, side: float, *, r_max: float = 3.0, n_bins: int = 150
) -> pd.DataFrame:
    """g(r) of positions x (n, d) up to r_max (clipped below side / 2).

    Returns:
        DataFrame with columns r (bin centres) and g.
    """
    n, d = x.shape
    r_max = min(r_max, 0.499 * side)
    pairs = cell_list_pairs(x, side, r_max)
    counts = torch.histc(pairs.r.double(), bins=n_bins, min=0.0, max=r_max).cpu().numpy()
    edges = np.linspace(0.0, r_max, n_bins + 1)
    unit = math.pi ** (d / 2) / math.gamma(d / 2 + 1)
    shell_volume = unit * (edges[1:] ** d - edges[:-1] ** d)
    density = n / side**d
    g = 2.0 * counts / (n * density * shell_volume)
    return pd.DataFrame({"r": 0.5 * (edges[1:] + edges[:-1]), "g": g})


def _contacts(
    x: torch.Tensor, radii: torch.Tensor, side: float, tolerance: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pairs (i, j) with |r_ij| < (R_i + R_j)(1 + tolerance)."""
    if tolerance < 0:
        raise ValueError(f"tolerance: must be >= 0, got {tolerance}")
    pairs = cell_list_pairs(x, side, 2.0 * float(radii.max()) * (1.0 + tolerance))
    touch = pairs.r < (radii[pairs.i] + radii[pairs.j]) * (1.0 + tolerance)
    return pairs.i[touch], pairs.j[touch]


def contact_numbers(
    x: torch.Tensor, radii: torch.Tensor, side: float, tolerance: float = 0.0
) -> torch.Tensor:
    """Contacts per sphere (n,): neighbours with |r_ij| < (R_i + R_j)(1 + tolerance)."""
    i, j = _contacts(x, radii, side, tolerance)
    n = x.shape[0]
    return torch.bincount(i, minlength=n) + torch.bincount(j, minlength=n)


def mean_coordination(
    x: torch.Tensor,
    radii: torch.Tensor,
    side: float,
    tolerance: float = 0.0,
    *,
    remove_rattlers: bool = False,
) -> dict[str, float]:
    """Mean coordination Z over all spheres, or over the non-rattlers.

    Returns:
        dict with z, n_spheres (counted) and rattler_fraction.
    """
    n, d = x.shape
    i, j = _contacts(x, radii, side, tolerance)
    keep = torch.ones(n, dtype=torch.bool, device=x.device)
    while True:
        live = keep[i] & keep[j]
        counts = torch.bincount(i[live], minlength=n) + torch.bincount(j[live], minlength=n)
        if not remove_rattlers:
            break
        rattlers = keep & (counts < d + 1)
        if not bool(rattlers.any()):
            break
        keep &= ~rattlers
    kept = int(keep.sum())
    z = float(counts[keep].double().mean()) if kept else 0.0
    return {"z": z, "n_spheres": kept, "rattler_fraction": 1.0 - kept / n}


def bond_order_2d(x: torch.Tensor, side: float, *, m: int = 6, cutoff: float = 1.4) -> dict:
    """Bond-orientational order psi_m of a 2-d configuration x (n, 2).

    Args:
        cutoff: neighbour distance (mean diameters; 1.4 lies between the first and second
            shells of a dense hexagonal packing).

    Returns:
        dict with local (mean_i |psi_i|), global (|mean_i psi_i|) and mean_neighbours.
    """
    n, d = x.shape
    if d != 2:
        raise ValueError(f"x: bond_order_2d needs 2-d positions, got d = {d}")
    pairs = cell_list_pairs(x, side, cutoff)
    theta = torch.atan2(pairs.dr[:, 1], pairs.dr[:, 0]).double()
    # the bond seen from j points the other way: theta + pi, same exp(i m theta) for even m
    sign = 1.0 if m % 2 == 0 else -1.0
    re = torch.zeros(n, dtype=torch.float64, device=x.device)
    im = torch.zeros_like(re)
    re.index_add_(0, pairs.i, torch.cos(m * theta)).index_add_(
        0, pairs.j, sign * torch.cos(m * theta)
    )
    im.index_add_(0, pairs.i, torch.sin(m * theta)).index_add_(
        0, pairs.j, sign * torch.sin(m * theta)
    )
    deg = (torch.bincount(pairs.i, minlength=n) + torch.bincount(pairs.j, minlength=n)).double()
    has = deg > 0
    re, im = re[has] / deg[has], im[has] / deg[has]
    return {
        "local": float(torch.sqrt(re**2 + im**2).sum() / n),
        "global": float(torch.sqrt(re.sum() ** 2 + im.sum() ** 2) / n),
        "mean_neighbours": float(deg.mean()),
    }
