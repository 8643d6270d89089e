"""What produced a result, and the one writer of result folders (tables, figures, run record).

Every analysis that writes files (``score``, ``rsa``, ``geometry``, ``extract``, the demo, the
training-time trackers) describes its run with :func:`run_record` -- package versions, date,
host, the command line, the model (identity, weights digest, preprocessing) and the resolved
config -- and writes its outputs with :func:`write_report`: ``run.json`` (the record and the
results, NaN written as ``null``), one CSV per table, one PNG per figure and ``config.yaml``,
each file written atomically. Figures are closed after saving; nothing here switches the
matplotlib backend (notebooks keep their inline plots).
"""

from __future__ import annotations

import datetime
import json
import math
import platform
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from neuroalign.io import atomic_path, atomic_write

__all__ = [
    "model_name",
    "model_record",
    "run_record",
    "save_figure",
    "to_json",
    "write_csv",
    "write_json",
    "write_report",
]


def model_name(loaded: Any) -> str:
    """The name to title a model's figures and tables with.

    A checkpoint is named after its training run's folder, not after its file:
    ``runs/clamp/checkpoints/last.pt`` -> ``clamp``, ``runs/clamp/checkpoints/init.pt`` ->
    ``clamp (init)``; any other model by its identifier (``resnet18``, ``timm-vit_small``).
    """
    if getattr(loaded, "kind", None) != "checkpoint":  # pretrained weights have files too
        return str(getattr(loaded, "identifier", loaded))
    path = Path(str(loaded.spec)).expanduser().resolve()
    run = path.parent.parent if path.parent.name == "checkpoints" else path.parent
    return run.name if path.stem == "last" else f"{run.name} ({path.stem})"


def model_record(loaded: Any) -> dict[str, Any]:
    """Identity of a :class:`~neuroalign.extract.LoadedModel`: name, spec, digests, preprocessing."""
    prep = getattr(loaded, "preprocessing", None)
    return {
        "identifier": getattr(loaded, "identifier", None),
        "name": model_name(loaded),
        "spec": getattr(loaded, "spec", None),
        "kind": getattr(loaded, "kind", None),
        "weights": getattr(loaded, "weights", None),
        "pretrained": getattr(loaded, "pretrained", None),
        "weights_sha256": getattr(loaded, "weights_sha256", None),
        "file_sha256": getattr(loaded, "file_sha256", None),
        "preprocessing": prep.to_dict() if prep is not None else None,
        "preprocessing_description": prep.describe() if prep is not None else None,
    }


def run_record(config: Any = None, model: Any = None, **fields: Any) -> dict[str, Any]:
    """A JSON-ready record of a run: versions, date, host, command, model, config, ``fields``.

    Args:
        config: the resolved frozen-dataclass config (saved with its values) or a dict.
        model: a :class:`~neuroalign.extract.LoadedModel` (see :func:`model_record`) or a dict.
        fields: anything else to record (benchmark, conventions, layers, ...).
    """
    import numpy as np

    import neuroalign

    record: dict[str, Any] = {
        "neuroalign_version": neuroalign.__version__,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(["neuroalign", *sys.argv[1:]]) if _from_cli() else None,
        "host": platform.node(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    try:
        import torch

        record["torch"] = torch.__version__
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    if model is not None:
        record["model"] = model if isinstance(model, Mapping) else model_record(model)
    if config is not None:
        from neuroalign.config import config_to_dict

        record["config"] = dict(config) if isinstance(config, Mapping) else config_to_dict(config)
    record.update(fields)
    return to_json(record)


def _from_cli() -> bool:
    return Path(sys.argv[0]).name in ("neuroalign", "__main__.py") if sys.argv else False


def to_json(value: Any) -> Any:
    """``value`` with NaN/inf as ``None``, numpy scalars/arrays as Python values, paths as str."""
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, str):  # numpy / torch values
        return to_json(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def write_json(obj: Any, path: str | Path) -> Path:
    """Write ``obj`` as standard JSON (see :func:`to_json`), atomically."""
    path = Path(path)
    with atomic_write(path) as handle:
        json.dump(to_json(obj), handle, indent=2)
    return path


def write_csv(table: Any, path: str | Path) -> Path:
    """Write a DataFrame as CSV without its index, atomically."""
    path = Path(path)
    with atomic_write(path) as handle:
        table.to_csv(handle, index=False)
    return path


def save_figure(fig: Any, path: str | Path, dpi: int = 120) -> Path:
    """Save a matplotlib figure as PNG (atomically) and close it."""
    import matplotlib.pyplot as plt

    path = Path(path)
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return path


def write_report(
    out_dir: str | Path,
    record: Mapping[str, Any],
    tables: Mapping[str, Any] | None = None,
    figures: Mapping[str, Any] | None = None,
    config: Any = None,
) -> dict[str, Path]:
    """Write a result folder: ``run.json`` (``record``), ``<name>.csv`` per table, ``<name>.png``
    per figure, ``config.yaml`` (the resolved ``config``). Returns name -> path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {"run": write_json(record, out / "run.json")}
    for name, table in (tables or {}).items():
        written[name] = write_csv(table, out / f"{name}.csv")
    for name, fig in (figures or {}).items():
        written[f"{name}.png"] = save_figure(fig, out / f"{name}.png")
    if config is not None:
        from neuroalign.config import save_config

        written["config"] = save_config(config, out / "config.yaml")
    return written
