"""Pairs of spheres closer than a cutoff in a periodic box: cell lists (O(N)) and brute force.

The cell list divides the box into n_c^d cubic cells of side >= cutoff, so every pair closer
than the cutoff lies in the same or in adjacent cells. Each particle is paired with the
particles of its own cell (keeping i < j) and of the "half shell" of (3^d - 1) / 2 adjacent
cells whose first non-zero offset is +1, which finds every unordered pair exactly once
(needs n_c >= 3). All of it is tensor operations on the whole system (a sort, a bincount and
a ``repeat_interleave``; no Python loop over particles), so the same code runs on CPU and GPU;
the number of candidate pairs, hence the cost, grows linearly with N at fixed density. Boxes
too small for three cells per side fall back to the brute-force search, which is also the
O(N^2) reference the tests and the benchmark compare with.

A :class:`VerletList` keeps the pairs within cutoff + skin and reuses them until some particle
has moved skin / 2: with the small steps of BRO and SGD near the transition one cell-list
search then serves many steps, and each step only re-measures the listed pairs.
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import NamedTuple

import torch

from neuroalign.packing.box import minimum_image, wrap
from neuroalign.packing.config import METHODS

__all__ = [
    "Pairs",
    "VerletList",
    "brute_force_pairs",
    "cell_count",
    "cell_list_pairs",
    "half_shell_offsets",
    "neighbour_pairs",
]


class Pairs(NamedTuple):
    """Unordered pairs (i, j) closer than the cutoff, each once.

    i, j: (P,) int64 indices; dr: (P, d) minimum-image x_i - x_j; r: (P,) |dr|.
    """

    i: torch.Tensor
    j: torch.Tensor
    dr: torch.Tensor
    r: torch.Tensor


def _check(x: torch.Tensor, side: float, cutoff: float) -> None:
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError(f"x: expected positions of shape (n, d >= 2), got {tuple(x.shape)}")
    if not cutoff > 0:
        raise ValueError(f"cutoff: must be > 0, got {cutoff}")
    if not cutoff < side / 2:
        raise ValueError(
            f"cutoff: must be below half the box side ({side / 2:.4g}) for the minimum image "
            f"convention, got {cutoff:.4g}; use more particles"
        )


def _within(x: torch.Tensor, i: torch.Tensor, j: torch.Tensor, side: float, cutoff: float) -> Pairs:
    """The candidate pairs (i, j) whose minimum-image distance is below the cutoff.

    Works one coordinate at a time on contiguous 1-d gathers (about 4x faster on CPU than
    gathering (P, d) rows) and forms the displacement vectors of the kept pairs only.
    """
    xt = x.T.contiguous()  # (d, n)
    inv_side = 1.0 / side
    r2 = None
    for coord in xt:
        delta = coord.index_select(0, i) - coord.index_select(0, j)
        delta -= side * torch.round(delta * inv_side)
        r2 = delta * delta if r2 is None else r2.addcmul_(delta, delta)
    keep = torch.nonzero(r2 < cutoff * cutoff).squeeze(1)
    i, j = i.index_select(0, keep), j.index_select(0, keep)
    dr = torch.stack([c.index_select(0, i) - c.index_select(0, j) for c in xt], dim=1)
    dr = minimum_image(dr, side)
    return Pairs(i, j, dr, torch.sqrt(r2.index_select(0, keep)))


def brute_force_pairs(x: torch.Tensor, side: float, cutoff: float, *, chunk: int = 2048) -> Pairs:
    """All pairs i < j with minimum-image distance < cutoff, by checking every pair (O(N^2)).

    Args:
        x: positions (n, d) in the periodic box of side ``side``.
        cutoff: distance below which a pair is kept (< side / 2).
        chunk: rows of the distance table handled at once (bounds memory to chunk * n).
    """
    _check(x, side, cutoff)
    n = x.shape[0]
    found: list[Pairs] = []
    cols = torch.arange(n, device=x.device)
    for start in range(0, n - 1, chunk):
        rows = torch.arange(start, min(start + chunk, n - 1), device=x.device)
        ii, jj = torch.meshgrid(rows, cols, indexing="ij")
        upper = jj > ii
        found.append(_within(x, ii[upper], jj[upper], side, cutoff))
    return Pairs(*(torch.cat(parts) for parts in zip(*found, strict=True)))


def half_shell_offsets(d: int, device: str | torch.device = "cpu") -> torch.Tensor:
    """Cell offsets (K, d), K = (3^d + 1) / 2: the zero offset first, then every offset in
    {-1, 0, 1}^d whose first non-zero component is +1."""
    return _half_shell(d, str(device))


@functools.lru_cache(maxsize=32)
def _half_shell(d: int, device: str) -> torch.Tensor:
    rows = [o for o in itertools.product((-1, 0, 1), repeat=d) if any(o)]
    rows = [o for o in rows if next(c for c in o if c) > 0]
    return torch.tensor([(0,) * d, *rows], dtype=torch.long, device=device)


def cell_count(side: float, cutoff: float, n: int, d: int) -> int:
    """Cells per side used for ``n`` particles: side / n_c >= cutoff, and at most about 8 n
    cells in all (more would be empty); 0 when fewer than 3 fit (brute force then)."""
    per_side = math.floor(side / cutoff * (1.0 - 1e-12))
    per_side = min(per_side, max(3, int((8 * n) ** (1.0 / d))))
    return per_side if per_side >= 3 else 0


def cell_list_pairs(x: torch.Tensor, side: float, cutoff: float) -> Pairs:
    """All pairs i != j (each once) with minimum-image distance < cutoff, via cell lists.

    Args:
        x: positions (n, d) (folded into the box here, so any real values are accepted).
        side: box side; cutoff: pair distance cutoff (< side / 2).

    Returns:
        :class:`Pairs` (the order of i and j inside a pair is arbitrary; see
        :func:`brute_force_pairs` for i < j). Falls back to brute force when fewer than three
        cells of side >= cutoff fit in the box.
    """
    _check(x, side, cutoff)
    n, d = x.shape
    n_c = cell_count(side, cutoff, n, d)
    if n_c == 0:
        return brute_force_pairs(x, side, cutoff)
    device = x.device
    coords = (wrap(x, side) * (n_c / side)).long().clamp_(0, n_c - 1)  # (n, d)
    strides = n_c ** torch.arange(d, device=device)
    cell = (coords * strides).sum(dim=1)  # (n,)
    # work in the frame sorted by cell, so that the gathers below read memory in order
    order = torch.argsort(cell)
    coords, x_sorted = coords[order], x[order]
    counts = torch.bincount(cell, minlength=n_c**d)
    starts = torch.cumsum(counts, 0) - counts
    offsets = half_shell_offsets(d, device)  # (K, d)
    k = offsets.shape[0]
    neighbour_cell = (((coords[:, None, :] + offsets) % n_c) * strides).sum(dim=2)  # (n, K)
    cnt = counts[neighbour_cell]  # (n, K) candidates of each (particle, offset) segment
    # candidate c of segment s is particle starts[cell of s] + (c - first candidate of s)
    shift = starts[neighbour_cell] - (torch.cumsum(cnt.reshape(-1), 0) - cnt.reshape(-1)).view(n, k)
    total = int(cnt.sum())
    j = torch.arange(total, device=device) + torch.repeat_interleave(
        shift.reshape(-1), cnt.reshape(-1), output_size=total
    )
    i = torch.repeat_interleave(torch.arange(n, device=device), cnt.sum(dim=1), output_size=total)
    own = torch.zeros_like(cnt, dtype=torch.bool)
    own[:, 0] = True
    own = torch.repeat_interleave(own.reshape(-1), cnt.reshape(-1), output_size=total)
    keep = torch.nonzero(~own | (i < j)).squeeze(1)  # own cell: i < j only
    pairs = _within(x_sorted, i[keep], j[keep], side, cutoff)
    return Pairs(order[pairs.i], order[pairs.j], pairs.dr, pairs.r)


def neighbour_pairs(x: torch.Tensor, side: float, cutoff: float, method: str = "cells") -> Pairs:
    """Pairs closer than ``cutoff`` by ``method``: "cells" (O(N)) or "brute" (O(N^2))."""
    if method == "cells":
        return cell_list_pairs(x, side, cutoff)
    if method == "brute":
        return brute_force_pairs(x, side, cutoff)
    raise ValueError(f"method: expected one of {METHODS}, got {method!r}")


class VerletList:
    """Pairs closer than ``cutoff``, reusing a list of pairs closer than cutoff + skin.

    The list is rebuilt (by ``method``) only when some particle has moved by skin / 2 or
    more since the last build: until then no pair outside the list can have come closer than
    the cutoff, so :meth:`pairs` returns exactly what a fresh search would. With small steps
    (BRO near the transition) one build serves many steps. ``skin = 0`` searches every call.
    """

    def __init__(self, cutoff: float, skin: float = 0.0, method: str = "cells") -> None:
        if skin < 0:
            raise ValueError(f"skin: must be >= 0, got {skin}")
        if method not in METHODS:
            raise ValueError(f"method: expected one of {METHODS}, got {method!r}")
        self.cutoff, self.skin, self.method = float(cutoff), float(skin), method
        self.builds = 0
        self._reference: torch.Tensor | None = None
        self._i = self._j = None

    def pairs(self, x: torch.Tensor, side: float) -> Pairs:
        """Pairs of ``x`` (n, d) closer than the cutoff (see :func:`cell_list_pairs`)."""
        reach = min(self.cutoff + self.skin, 0.999 * side / 2)
        if reach <= self.cutoff:
            self.builds += 1
            return neighbour_pairs(x, side, self.cutoff, self.method)
        if self._reference is None or self._reference.shape != x.shape or self._moved(x, side):
            listed = neighbour_pairs(x, side, reach, self.method)
            self._i, self._j = listed.i, listed.j
            self._reference = x.detach().clone()
            self._margin = reach - self.cutoff
            self.builds += 1
        return _within(x, self._i, self._j, side, self.cutoff)

    def _moved(self, x: torch.Tensor, side: float) -> bool:
        step = minimum_image(x.detach() - self._reference, side)
        return bool(2.0 * torch.linalg.vector_norm(step, dim=1).max() >= self._margin)
