"""`neuroalign extract` as one library call: :class:`ExtractConfig` -> :func:`run_extract`.

Example (what the command does, from Python)::

    from neuroalign.extract.workflow import ExtractConfig, run_extract
    result = run_extract(ExtractConfig(model="resnet18:IMAGENET1K_V1", stimuli="kriegeskorte2008",
                                       layers=("layer3", "layer4"), out=Path("acts/r18")))
    result.paths["layer4"]          # acts/r18/layer4.nc (open with neuroalign.extract.open_assembly)

The output folder holds one netCDF file per layer, ``manifest.json`` (model, preprocessing,
layers, reduction), ``run.json`` (:func:`neuroalign.provenance.run_record`: versions, model
identity and weights, the config) and ``config.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neuroalign.defaults import V4_SESSION

__all__ = ["ExtractConfig", "ExtractResult", "default_out_dir", "named_stimuli", "run_extract"]


@dataclass(frozen=True)
class ExtractConfig:
    """What `neuroalign extract` does (each field is a command-line flag)."""

    model: str = field(
        default="resnet18",
        metadata={"help": "model spec (NAME, NAME:WEIGHTS, timm:NAME[:TAG], PATH.pt) or 'list'"},
    )
    stimuli: str = field(
        default="kriegeskorte2008",
        metadata={"help": "kriegeskorte2008, cowley2023[:SESSION] or an image folder"},
    )
    layers: tuple[str, ...] = field(
        default=("layer4",), metadata={"help": "comma-separated module names, or 'list'"}
    )
    out: Path | None = field(
        default=None,
        metadata={"help": "output folder (default: activations/<model>/<stimuli>)"},
    )
    batch_size: int = field(default=64, metadata={"help": "images per forward pass (upper bound)"})
    max_memory: str = field(
        default="4GB",
        metadata={"help": "peak resident memory of the whole process (see above), e.g. 2GB"},
    )
    device: str | None = field(default=None, metadata={"help": "cpu, cuda, cuda:1 (default: auto)"})
    num_workers: int | None = field(
        default=None, metadata={"help": "image-decoding workers (default: min(4, CPUs-1))"}
    )
    reduce: str | None = field(
        default=None,
        metadata={"help": "reduce each layer: gaussian, sparse (random projection) or pca"},
    )
    reduce_k: int = field(default=1000, metadata={"help": "features per layer after --reduce"})
    reduce_seed: int = field(default=0, metadata={"help": "seed of the projection / PCA subset"})
    reduce_fit_size: int = field(default=1000, metadata={"help": "stimuli PCA is fitted on"})
    precision: str = field(
        default="auto",
        metadata={
            "help": "auto (bfloat16 autocast on CUDA, float32 on CPU), float32 or bfloat16",
            "choices": ("auto", "float32", "bfloat16"),
        },
    )
    progress: bool = field(default=True, metadata={"help": "show a progress bar"})


@dataclass
class ExtractResult:
    """What :func:`run_extract` wrote: ``paths`` (layer -> netCDF file) in ``out``."""

    out: Path
    paths: dict[str, Path]
    model: Any
    record: dict[str, Any]


def named_stimuli(name: str) -> Any:
    """A StimulusSet for ``kriegeskorte2008`` / ``cowley2023[:SESSION]`` (default session
    :data:`neuroalign.defaults.V4_SESSION`), or the path of an existing image folder."""
    low = name.lower()
    if low == "kriegeskorte2008":
        from neuroalign.data import load_kriegeskorte2008

        return load_kriegeskorte2008().stimulus_set
    if low.startswith("cowley2023"):
        from neuroalign.data import cowley2023_stimulus_set

        session = name.split(":", 1)[1] if ":" in name else V4_SESSION
        return cowley2023_stimulus_set(session)
    folder = Path(name).expanduser()
    if folder.is_dir():
        return folder
    raise FileNotFoundError(
        f"--stimuli {name!r} is neither a named stimulus set (kriegeskorte2008, "
        f"cowley2023[:SESSION]) nor an existing image folder"
    )


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(text).stem if "/" in text else text)


def default_out_dir(cfg: ExtractConfig) -> Path:
    """``activations/<model>/<stimuli>`` (names made file-safe)."""
    return Path("activations") / _slug(cfg.model) / _slug(cfg.stimuli)


def run_extract(cfg: ExtractConfig, loaded: Any = None) -> ExtractResult:
    """Extract ``cfg.layers`` of ``cfg.model`` for ``cfg.stimuli`` into ``cfg.out`` (one netCDF
    file per layer, within ``cfg.max_memory``) and record the run (``run.json``,
    ``config.yaml``). ``loaded`` skips loading ``cfg.model`` again."""
    from neuroalign.extract.model_spec import load_model
    from neuroalign.extract.reduce import Reduction
    from neuroalign.extract.stream import stream_activations
    from neuroalign.provenance import run_record, write_json

    loaded = loaded if loaded is not None else load_model(cfg.model, device="cpu")
    stimuli = named_stimuli(cfg.stimuli)
    reduction = None
    if cfg.reduce:
        reduction = Reduction(cfg.reduce, cfg.reduce_k, cfg.reduce_seed, cfg.reduce_fit_size)
    out = Path(cfg.out or default_out_dir(cfg))
    paths = stream_activations(
        loaded,
        stimuli,
        list(cfg.layers),
        out,
        max_memory=cfg.max_memory,
        batch_size=cfg.batch_size,
        reduction=reduction,
        device=cfg.device,
        num_workers=cfg.num_workers,
        progress=cfg.progress,
        precision=cfg.precision,
    )
    record = run_record(
        cfg,
        loaded,
        stimuli=cfg.stimuli,
        files={layer: path.name for layer, path in paths.items()},
    )
    write_json(record, out / "run.json")
    from neuroalign.config import save_config

    save_config(cfg, out / "config.yaml")
    return ExtractResult(out=out, paths=dict(paths), model=loaded, record=record)
