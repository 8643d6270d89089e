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
from dataclasses import dataclass, field, fields, replace
from typing import Any

import pandas as pd
import torch

from neuroalign.packing.box import box_side, check_dimension, make_radii, random_positions, wrap
from neuroalign.packing.dynamics import BRO, KICKS, ParticleSGD
from neuroalign.packing.loss import Overlaps, find_overlaps
from neuroalign.packing.neighbours import METHODS, VerletList
from neuroalign.packing.observables import (
    HISTORY_COLUMNS,
    overlap_observables,
    relaxation_time,
    steady_state,
)

__all__ = [
    "DYNAMICS",
    "DynamicsConfig",
    "PackingConfig",
    "PackingRun",
    "PackingSimulation",
    "packing_config",
    "simulate",
]

#: dynamics accepted by :class:`PackingConfig`
DYNAMICS = ("bro", "sgd")
_DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass(frozen=True)
class DynamicsConfig:
    """What every simulation shares: dimension, radii, dynamics, run length, numerics.

    :class:`PackingConfig` adds N and phi; the experiment configs (phi scans, finite-size
    scaling, BRO vs SGD) add the values they sweep.
    """

    d: int = field(default=3, metadata={"help": "dimension of the periodic box (>= 2)"})
    polydispersity: float = field(
        default=0.0,
        metadata={"help": "relative std of the diameters (uniform; 0 = monodisperse)"},
    )
    dynamics: str = field(
        default="bro",
        metadata={"help": "bro (random kicks) or sgd (particle SGD)", "choices": DYNAMICS},
    )
    eps: float = field(default=0.05, metadata={"help": "BRO kick size (mean diameters)"})
    kick: str = field(
        default="sum",
        metadata={
            "help": "BRO kick: sum (the paper's: U[0,eps] times the sum of unit vectors) or "
            "unit (Wilken et al.: length U[0,eps] along that sum)",
            "choices": KICKS,
        },
    )
    lr: float = field(
        default=0.0,
        metadata={
            "help": "SGD learning rate alpha (mean diameters); 0 = eps / batch fraction, the "
            "mean step of BRO with kick size eps"
        },
    )
    batch_fraction: float = field(
        default=1.0, metadata={"help": "SGD batch fraction b_f = B / |active| (1 = GD)"}
    )
    batch_size: int = field(
        default=0, metadata={"help": "SGD batch size B (> 0 overrides --batch-fraction)"}
    )
    steps: int = field(
        default=20000, metadata={"help": "maximum number of steps (stops when L = 0)"}
    )
    record_every: int = field(default=10, metadata={"help": "steps between recorded rows"})
    steady_fraction: float = field(
        default=0.25, metadata={"help": "last fraction of the run averaged as steady state"}
    )
    seed: int = field(default=0, metadata={"help": "seed of radii, positions and the dynamics"})
    device: str = field(default="cpu", metadata={"help": "torch device (cpu, cuda, ...)"})
    dtype: str = field(
        default="float32",
        metadata={"help": "float dtype of positions", "choices": tuple(_DTYPES)},
    )
    neighbours: str = field(
        default="cells",
        metadata={"help": "neighbour search: cells (O(N)) or brute (O(N^2))", "choices": METHODS},
    )
    threads: int = field(
        default=1,
        metadata={
            "help": "torch CPU threads while simulating (a step is many small tensor "
            "operations: one thread was fastest at every N measured on a shared 2-core CPU); "
            "0 = leave torch's setting"
        },
    )
    skin: float = field(
        default=0.3,
        metadata={
            "help": "Verlet skin (diameters): pairs within 2 max R + skin are listed and the "
            "list reused until a sphere has moved skin/2; 0 = search every step"
        },
    )

    def __post_init__(self) -> None:
        check_dimension(self.d)
        for name, choices in (
            ("dynamics", DYNAMICS),
            ("kick", KICKS),
            ("dtype", tuple(_DTYPES)),
            ("neighbours", METHODS),
        ):
            if getattr(self, name) not in choices:
                raise ValueError(f"{name}: expected one of {choices}, got {getattr(self, name)!r}")
        if self.batch_size < 0:
            raise ValueError(
                f"batch_size: must be >= 0 (0 = use batch_fraction), got {self.batch_size}"
            )
        if not 0.0 < self.batch_fraction <= 1.0:
            raise ValueError(f"batch_fraction: must be in (0, 1], got {self.batch_fraction}")
        if self.lr < 0:
            raise ValueError(f"lr: must be >= 0 (0 = eps / batch fraction), got {self.lr}")
        if self.threads < 0:
            raise ValueError(f"threads: must be >= 0, got {self.threads}")
        if self.skin < 0:
            raise ValueError(f"skin: must be >= 0, got {self.skin}")
        if self.steps < 0 or self.record_every < 1:
            raise ValueError(
                f"steps must be >= 0 and record_every >= 1, got {self.steps}, {self.record_every}"
            )
        self.rule()  # validates eps / lr / batch

    @property
    def learning_rate(self) -> float:
        """alpha: ``lr``, or eps / b_f when ``lr`` is 0 (matches BRO's mean step)."""
        return self.lr if self.lr > 0 else self.eps / self.batch_fraction

    def rule(self) -> BRO | ParticleSGD:
        """The dynamics object of this config."""
        if self.dynamics == "bro":
            return BRO(self.eps, self.kick)
        return ParticleSGD(self.learning_rate, self.batch_fraction, self.batch_size)


@dataclass(frozen=True)
class PackingConfig(DynamicsConfig):
    """One simulation: N spheres at volume fraction phi (see :class:`DynamicsConfig`)."""

    n: int = field(default=1000, metadata={"help": "number of spheres"})
    phi: float = field(default=0.6, metadata={"help": "volume fraction"})

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.n < 2:
            raise ValueError(f"n: need at least 2 spheres, got {self.n}")
        if not 0.0 < self.phi < 1.0:
            raise ValueError(f"phi: the volume fraction must be in (0, 1), got {self.phi}")


def packing_config(base: DynamicsConfig, **values: Any) -> PackingConfig:
    """A :class:`PackingConfig` with the shared fields of ``base`` and ``values`` (n, phi, ...)."""
    shared = {f.name: getattr(base, f.name) for f in fields(DynamicsConfig)}
    return PackingConfig(**{**shared, **values})


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
        self.rule = config.rule()
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
        self.search = VerletList(
            2.0 * float(self.radii.max()), config.skin, method=config.neighbours
        )
        self.step_count = 0

    def overlaps(self) -> Overlaps:
        """The overlapping pairs of the current configuration."""
        return find_overlaps(self.positions, self.radii, self.side, search=self.search)

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
