"""The configs of packing simulations and experiments (frozen dataclasses, mirrored as
``neuroalign packing`` flags), with the choices they accept. Importing them costs no torch.

:class:`DynamicsConfig` holds what every simulation shares; :class:`PackingConfig` is one
simulation (N, phi); :class:`ScanConfig` a grid of sizes x volume fractions x seeds;
:class:`ScalingConfig` a scan plus finite-size scaling; :class:`CompareConfig` BRO against
particle SGD.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

__all__ = [
    "DTYPES",
    "DYNAMICS",
    "KICKS",
    "MANNA_3D",
    "METHODS",
    "CompareConfig",
    "DynamicsConfig",
    "Exponents",
    "PackingConfig",
    "ScalingConfig",
    "ScanConfig",
    "check_dimension",
    "packing_config",
]

#: dynamics accepted by :class:`PackingConfig`
DYNAMICS = ("bro", "sgd")
#: BRO kick rules: "sum" (the paper's) or "unit" (Wilken et al.'s normalised kick)
KICKS = ("sum", "unit")
#: neighbour-search methods: cell lists (O(N)) or all pairs (O(N^2))
METHODS = ("cells", "brute")
#: float dtypes of the positions
DTYPES = ("float32", "float64")


def check_dimension(d: int) -> int:
    """``d`` as an int, or a ValueError naming it when it is not an integer >= 2."""
    if int(d) != d or d < 2:
        raise ValueError(f"d: the dimension must be an integer >= 2, got {d!r}")
    return int(d)


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
        metadata={"help": "float dtype of positions", "choices": DTYPES},
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
            ("dtype", DTYPES),
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
        if self.dynamics == "bro" and not self.eps > 0:
            raise ValueError(f"eps: the BRO kick size must be > 0, got {self.eps}")
        if self.dynamics == "sgd" and not self.learning_rate > 0:
            raise ValueError(f"lr: the learning rate must be > 0, got {self.learning_rate}")

    @property
    def learning_rate(self) -> float:
        """alpha: ``lr``, or eps / b_f when ``lr`` is 0 (matches BRO's mean step)."""
        return self.lr if self.lr > 0 else self.eps / self.batch_fraction


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


@dataclass(frozen=True)
class ScanConfig(DynamicsConfig):
    """A grid of system sizes x volume fractions x seeds (see :class:`DynamicsConfig`)."""

    sizes: tuple[int, ...] = field(
        default=(500, 1000), metadata={"help": "numbers of spheres N, comma-separated"}
    )
    phis: tuple[float, ...] = field(
        default=(0.56, 0.58, 0.60, 0.62, 0.64, 0.66),
        metadata={"help": "volume fractions, comma-separated"},
    )
    n_seeds: int = field(default=3, metadata={"help": "seeds per (N, phi): seed, seed + 1, ..."})
    beta: float = field(
        default=0.84, metadata={"help": "exponent of f_a ~ (phi - phi_c)^beta in the phi_c fit"}
    )
    f_max: float = field(default=0.6, metadata={"help": "largest mean f_a used in the phi_c fit"})

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.sizes or min(self.sizes) < 2:
            raise ValueError(f"sizes: need sizes >= 2, got {self.sizes}")
        if not self.phis or not all(0.0 < p < 1.0 for p in self.phis):
            raise ValueError(f"phis: need volume fractions in (0, 1), got {self.phis}")
        if self.n_seeds < 1:
            raise ValueError(f"n_seeds: must be >= 1, got {self.n_seeds}")
        if not self.beta > 0 or not 0 < self.f_max <= 1:
            raise ValueError(f"beta must be > 0 and f_max in (0, 1], got {self.beta}, {self.f_max}")


@dataclass(frozen=True)
class Exponents:
    """Critical exponents of an absorbing-state universality class."""

    beta: float
    nu_parallel: float
    nu_perp: float


#: Manna class in d = 3 (Henkel, Hinrichsen & Luebeck 2009; used by Zhang & Martiniani)
MANNA_3D = Exponents(beta=0.84, nu_parallel=1.08, nu_perp=0.59)


@dataclass(frozen=True)
class ScalingConfig(ScanConfig):
    """A phi scan plus the finite-size-scaling analysis (see :class:`ScanConfig`; ``beta``
    is also the collapse exponent)."""

    nu_parallel: float = field(default=MANNA_3D.nu_parallel, metadata={"help": "exponent nu_par"})
    nu_perp: float = field(default=MANNA_3D.nu_perp, metadata={"help": "exponent nu_perp"})
    phi_c: float = field(
        default=0.0, metadata={"help": "critical volume fraction; 0 = fit it by best collapse"}
    )

    @property
    def exponents(self) -> Exponents:
        return Exponents(self.beta, self.nu_parallel, self.nu_perp)


@dataclass(frozen=True)
class CompareConfig(ScanConfig):
    """A phi scan of BRO and of SGD at several batch fractions (see :class:`ScanConfig`;
    ``dynamics``, ``lr``, ``batch_fraction`` and ``batch_size`` are set per rule)."""

    batch_fractions: tuple[float, ...] = field(
        default=(0.25, 0.75, 1.0),
        metadata={"help": "SGD batch fractions b_f (alpha = eps / b_f), comma-separated"},
    )
    noise_phi: float = field(
        default=0.6, metadata={"help": "volume fraction of the configuration for the noise table"}
    )
    noise_n: int = field(default=500, metadata={"help": "spheres in the noise-table configuration"})
    noise_draws: int = field(
        default=2000, metadata={"help": "steps drawn from it to measure drift and noise"}
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.batch_fractions or not all(0 < b <= 1 for b in self.batch_fractions):
            raise ValueError(f"batch_fractions: need values in (0, 1], got {self.batch_fractions}")
