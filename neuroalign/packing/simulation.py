"""A packing simulation: spheres in a periodic box driven by BRO or particle SGD.

:class:`PackingConfig` (a frozen dataclass, mirrored as ``neuroalign packing run`` flags) fixes
the system (dimension d, N spheres, volume fraction phi, polydispersity) and the dynamics
(BRO with kick size eps, or particle SGD with learning rate alpha and batch size B or fraction
b_f; see :mod:`neuroalign.packing.dynamics`). :func:`simulate` starts from uniformly random
centres and steps until the absorbing state L = 0 or ``steps``; each step runs one cell-list
neighbour search, whose overlaps give both the observables of the configuration and the
displacements. The result, :class:`PackingRun`, holds the history (a tidy DataFrame, one row
per recorded step), the final configuration and a summary (steady-state activity,
relaxation time; :mod:`neuroalign.packing.observables`).

Example::

    from neuroalign.packing import PackingConfig, simulate
    run = simulate(PackingConfig(d=3, n=2000, phi=0.6, dynamics="bro", eps=0.05))
    run.absorbed, run.summary()["tau"], run.history.tail()
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
import torch

from neuroalign.packing.box import box_side, make_radii, random_positions, wrap
from neuroalign.packing.config import PackingConfig
from neuroalign.packing.dynamics import dynamics_rule
from neuroalign.packing.loss import Overlaps, find_overlaps
from neuroalign.packing.neighbours import VerletList
from neuroalign.packing.observables import (
    HISTORY_COLUMNS,
    overlap_observables,
    relaxation_time,
    steady_state,
)

__all__ = ["PackingRun", "PackingSimulation", "simulate"]

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass
class PackingRun:
    """The outcome of :func:`simulate`.

    history: one row per recorded step (columns ``HISTORY_COLUMNS``; observables of the
    configuration *before* that step's move, the last row the final configuration).
    positions: final centres (n, d) in [0, side)^d; radii: (n,).
    """

    config: PackingConfig
    history: pd.DataFrame
    positions: torch.Tensor
    radii: torch.Tensor
    side: float
    absorbed: bool
    steps: int
    wall_s: float

    def summary(self) -> dict[str, Any]:
        """One tidy row: the config, absorbed, steps, steady-state f_a / L / z / overlap, tau,
        wall time and steps per second."""
        cfg = self.config
        frac = cfg.steady_fraction
        row: dict[str, Any] = {
            "d": cfg.d,
            "n": cfg.n,
            "phi": cfg.phi,
            "polydispersity": cfg.polydispersity,
            "dynamics": cfg.dynamics,
            "eps": cfg.eps if cfg.dynamics == "bro" else float("nan"),
            "lr": cfg.learning_rate if cfg.dynamics == "sgd" else float("nan"),
            "batch_fraction": cfg.batch_fraction if cfg.dynamics == "sgd" else float("nan"),
            "seed": cfg.seed,
            "absorbed": self.absorbed,
            "steps": self.steps,
        }
        for col in ("f_active", "loss", "z", "mean_overlap"):
            row[col] = steady_state(self.history, col, frac)
        row["tau"] = relaxation_time(self.history, frac)
        row["wall_s"] = self.wall_s
        row["steps_per_s"] = self.steps / self.wall_s if self.wall_s > 0 else float("nan")
        return row


class PackingSimulation:
    """The state of one simulation (positions, radii, box, random stream); steps in place.

    Args:
        config: the system and dynamics.
        positions: optional initial centres (n, d); default uniform random (seeded).
        radii: optional radii (n,); default from ``config.polydispersity`` (seeded). The box
            side is set from the radii and ``config.phi``.
    """

    def __init__(
        self,
        config: PackingConfig,
        positions: torch.Tensor | None = None,
        radii: torch.Tensor | None = None,
    ) -> None:
        self.config = config
        self.rule = dynamics_rule(config)
        self.device = torch.device(config.device)
        dtype = _DTYPES[config.dtype]
        init = torch.Generator().manual_seed(config.seed)
        if radii is None:
            radii = make_radii(config.n, config.polydispersity, generator=init)
        if radii.shape != (config.n,):
            raise ValueError(f"radii: expected shape ({config.n},), got {tuple(radii.shape)}")
        self.side = box_side(radii, config.phi, config.d)
        self.radii = radii.to(self.device, dtype)
        if positions is None:
            positions = random_positions(config.n, config.d, self.side, generator=init)
        if positions.shape != (config.n, config.d):
            raise ValueError(
                f"positions: expected shape ({config.n}, {config.d}), got {tuple(positions.shape)}"
            )
        self.positions = wrap(positions.to(self.device, dtype), self.side)
        self.generator = torch.Generator(self.device).manual_seed(config.seed + 1)
        self.max_radius = float(self.radii.max())
        self.search = VerletList(2.0 * self.max_radius, config.skin, method=config.neighbours)
        self.step_count = 0

    def overlaps(self) -> Overlaps:
        """The overlapping pairs of the current configuration."""
        return find_overlaps(
            self.positions, self.radii, self.side, search=self.search, max_radius=self.max_radius
        )

    def step(self, overlaps: Overlaps | None = None) -> Overlaps:
        """Move the spheres by one step of the dynamics; returns the overlaps it acted on."""
        if overlaps is None:
            overlaps = self.overlaps()
        if overlaps.i.numel():
            move = self.rule.displacement(overlaps, self.generator)
            self.positions = wrap(self.positions + move, self.side)
        self.step_count += 1
        return overlaps

    def run(self, steps: int | None = None, *, progress: bool = False) -> PackingRun:
        """Step until L = 0 or ``steps`` more steps (default ``config.steps``); record every
        ``config.record_every`` steps and the final configuration."""
        steps = self.config.steps if steps is None else steps
        every = self.config.record_every
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=steps, unit="step", dynamic_ncols=True, desc=self._label())
        with _torch_threads(self.config.threads if self.device.type == "cpu" else 0):
            return self._run(steps, every, bar)

    def _run(self, steps: int, every: int, bar: Any) -> PackingRun:
        rows: list[dict[str, float]] = []
        start = time.perf_counter()
        absorbed = False
        first = self.step_count
        while True:
            overlaps = self.overlaps()
            absorbed = overlaps.i.numel() == 0
            done = absorbed or self.step_count - first >= steps
            if done or (self.step_count - first) % every == 0:
                rows.append({"step": self.step_count, **overlap_observables(overlaps)})
                if bar is not None:
                    bar.set_postfix(f_a=f"{rows[-1]['f_active']:.4f}", refresh=False)
            if done:
                break
            self.step(overlaps)
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        wall = time.perf_counter() - start
        history = pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))
        return PackingRun(
            config=self.config,
            history=history,
            positions=self.positions.detach().cpu(),
            radii=self.radii.detach().cpu(),
            side=self.side,
            absorbed=absorbed,
            steps=self.step_count - first,
            wall_s=wall,
        )

    def _label(self) -> str:
        c = self.config
        return f"{c.dynamics} d={c.d} N={c.n} phi={c.phi:.3f}"


@contextlib.contextmanager
def _torch_threads(threads: int) -> Iterator[None]:
    """Use ``threads`` torch CPU threads inside the block (0: leave the setting alone)."""
    before = torch.get_num_threads()
    if threads > 0:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        if threads > 0:
            torch.set_num_threads(before)


def simulate(config: PackingConfig, *, progress: bool = False, **overrides: Any) -> PackingRun:
    """Run one simulation of ``config`` (fields in ``overrides`` replaced) from random
    initial centres; see :class:`PackingSimulation`."""
    if overrides:
        config = replace(config, **overrides)
    return PackingSimulation(config).run(progress=progress)
