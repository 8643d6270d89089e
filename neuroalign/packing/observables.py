"""Observables of a packing over time: loss, activity, overlaps, contacts, relaxation time.

For one configuration (from its :class:`~neuroalign.packing.loss.Overlaps`):

- ``loss``: the hinge loss L = sum_{i<j} (sigma_ij - r_ij)_+ / 2;
- ``n_active``, ``f_active``: spheres overlapping at least one other, and their fraction f_a;
- ``n_contacts``: overlapping pairs; ``z``: mean coordination 2 n_contacts / N;
- ``mean_overlap``: mean of sigma_ij - r_ij over the overlapping pairs (diameters; 0 if none).

Over a run (Zhang & Martiniani; Wilken et al., PRL 127, 038002, 2021): the steady-state
activity f_a, averaged over the last part of the run (0 once absorbed), and the relaxation
time tau: the step at which the absorbing state (L = 0) is reached or, for runs that stay
active, the first recorded step at which the excess activity f_a(t) - f_ss has fallen to
1/e of its initial value.
"""

from __future__ import annotations

import math

import pandas as pd

from neuroalign.packing.loss import Overlaps, active_mask

__all__ = ["HISTORY_COLUMNS", "overlap_observables", "relaxation_time", "steady_state"]

#: columns of a run's history, one row per recorded step
HISTORY_COLUMNS = ("step", "loss", "f_active", "n_active", "n_contacts", "z", "mean_overlap")


def overlap_observables(overlaps: Overlaps) -> dict[str, float]:
    """loss, n_active, f_active, n_contacts, z and mean_overlap of one configuration."""
    n_contacts = int(overlaps.i.numel())
    n_active = int(active_mask(overlaps).sum()) if n_contacts else 0
    total = float(overlaps.overlap.sum()) if n_contacts else 0.0
    return {
        "loss": 0.5 * total,
        "f_active": n_active / overlaps.n,
        "n_active": n_active,
        "n_contacts": n_contacts,
        "z": 2.0 * n_contacts / overlaps.n,
        "mean_overlap": total / n_contacts if n_contacts else 0.0,
    }


def _check_history(history: pd.DataFrame, column: str) -> None:
    missing = {"step", column} - set(history.columns)
    if missing:
        raise ValueError(f"history: missing columns {sorted(missing)}")
    if history.empty:
        raise ValueError("history: no recorded steps")


def steady_state(history: pd.DataFrame, column: str = "f_active", fraction: float = 0.25) -> float:
    """Mean of ``column`` over the last ``fraction`` of the recorded steps (at least one row);
    0 when the run ended absorbed (last loss 0)."""
    _check_history(history, column)
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction: must be in (0, 1], got {fraction}")
    if "loss" in history and history["loss"].iloc[-1] == 0.0:
        return 0.0
    last_steps = history["step"].iloc[-1] - fraction * (
        history["step"].iloc[-1] - history["step"].iloc[0]
    )
    return float(history.loc[history["step"] >= last_steps, column].mean())


def relaxation_time(history: pd.DataFrame, fraction: float = 0.25) -> float:
    """tau in steps: the step of absorption, or, for a run that stays active, the first step
    with f_a(t) - f_ss <= (f_a(0) - f_ss) / e (0 if it starts at or below f_ss)."""
    _check_history(history, "f_active")
    if history["loss"].iloc[-1] == 0.0:
        return float(history["step"].iloc[-1])
    f_ss = steady_state(history, "f_active", fraction)
    excess = history["f_active"].to_numpy() - f_ss
    if excess[0] <= 0.0:
        return 0.0
    # some step of the averaged tail lies at or below f_ss, so this always finds one
    below = excess <= excess[0] / math.e
    return float(history["step"].to_numpy()[below.argmax()])
