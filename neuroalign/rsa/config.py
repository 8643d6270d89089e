"""The options of an RSA of a model against IT (``neuroalign rsa``, :func:`run_rsa`).

Torch-free, so that the command line builds its ``--help`` from it instantly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["BENCHMARKS", "RSAConfig"]

#: Reference data sets: "IT" is an alias of the 92 images of Kriegeskorte et al. (2008).
BENCHMARKS = ("IT", "kriegeskorte2008")


@dataclass(frozen=True)
class RSAConfig:
    """Options of the RSA of a model's layers with monkey and human IT."""

    model: str = field(
        default="resnet18",
        metadata={
            "help": "model spec: torchvision/neuroalign arch name (random init), "
            "checkpoint path, or timm:NAME"
        },
    )
    benchmark: str = field(
        default="IT", metadata={"help": "reference data set", "choices": BENCHMARKS}
    )
    layers: tuple[str, ...] = field(
        default=(),
        metadata={"help": "comma-separated module names (default: ResNet stages + avgpool)"},
    )
    compare: str = field(
        default="spearman",
        metadata={"help": "RDM comparison", "choices": ("spearman", "tau_a", "pearson", "cosine")},
    )
    rdm_method: str = field(
        default="correlation",
        metadata={
            "help": "layer RDM dissimilarity",
            "choices": ("correlation", "euclidean", "cosine"),
        },
    )
    n_bootstrap: int = field(
        default=1000, metadata={"help": "bootstrap resamples of stimuli (0: no CIs)"}
    )
    ci: float = field(default=0.95, metadata={"help": "confidence level of the intervals"})
    seed: int = field(default=0, metadata={"help": "seed of the bootstrap"})
    batch_size: int = field(default=32, metadata={"help": "images per forward pass"})
    device: str | None = field(
        default=None, metadata={"help": "cpu, cuda, ...; none = CUDA when available"}
    )
    data_root: Path | None = field(
        default=None,
        metadata={"help": "folder of the Kriegeskorte data; none = fetch into the cache"},
    )
    out: Path = field(default=Path("rsa_report"), metadata={"help": "output folder"})

    def __post_init__(self) -> None:
        if self.n_bootstrap < 0:
            raise ValueError(f"n_bootstrap (--n-bootstrap) must be >= 0, got {self.n_bootstrap}")
        if not 0 < self.ci < 1:
            raise ValueError(f"ci (--ci) must be in (0, 1), got {self.ci}")
