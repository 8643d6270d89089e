"""`neuroalign score`: neural predictivity / RSA of every layer of a model on a benchmark."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neuroalign.cli._common import add_subparser
from neuroalign.config import add_config_arguments, config_from_args

__all__ = ["ScoreConfig", "add_parser", "format_table", "run"]

DESCRIPTION = """\
Score a model against cortical recordings, every requested layer from ONE extraction.

--benchmark takes a neuroalign benchmark, a Brain-Score benchmark identifier, or a region alias:
  V4  -> Cowley2023.V4-ridge (offline, mirrored data), else MajajHong2015public.V4-pls
  IT  -> Kriegeskorte2008.IT-rsa (offline), else MajajHong2015public.IT-pls
  V1, V2 -> FreemanZiemba2013public.V1-pls / .V2-pls (need Brain-Score's data cache or S3)
  Cowley2023.V4-ridge | Cowley2023.V4-pls | Kriegeskorte2008.IT-rsa | <Brain-Score id>
The alias resolution is printed. Neural predictivity follows Brain-Score: 10 random 90/10
splits (seed 1), per-neuroid Pearson r on held-out images, median over neuroids, mean over
splits (error = SEM over splits). Ridge picks one alpha per neuroid by exact leave-one-out;
PLS is Brain-Score's 25-component PLS. Where single trials exist (Cowley session 210325) the
split-half ceiling is given with both ceiled scores: explained variance r^2/ceiling
(Brain-Score's) and r/ceiling. The "selected" layer is chosen on TRAINING data only.

--model: a torchvision arch (random init, seed 0), a neuroalign checkpoint (.pt), timm:NAME,
or a registered Brain-Score model identifier (scored through Brain-Score itself).

Outputs (with --out results.json): the JSON (model hash, benchmark, splits, seed, config,
all scores), a CSV of the table, a PNG plot of score vs layer depth, the resolved config YAML.

Examples:
  neuroalign score --model resnet18 --benchmark V4
  neuroalign score --model runs/clamp/last.pt --benchmark Cowley2023.V4-pls --sessions all \\
      --layers layer3,layer4,avgpool --out results/clamp_v4.json
  neuroalign score --model resnet50 --benchmark IT --n-boot 1000
"""

#: Layers scored by default, when the model has them (ResNet stages and the pooled output).


@dataclass(frozen=True)
class ScoreConfig:
    """Options of `neuroalign score`."""

    model: str = field(default="resnet18", metadata={"help": "model spec (see above)"})
    benchmark: str = field(default="V4", metadata={"help": "benchmark name or region alias"})
    layers: tuple[str, ...] = field(
        default=(), metadata={"help": "comma-separated layers (default: ResNet stages + avgpool)"}
    )
    data_root: Path | None = field(
        default=None, metadata={"help": "folder of the neural data (default: data home / mirror)"}
    )
    sessions: tuple[str, ...] = field(
        default=("210325",),
        metadata={"help": "Cowley2023 sessions, or 'all' (210325 is the one with trials)"},
    )
    n_boot: int = field(default=200, metadata={"help": "bootstrap samples for CIs (0: none)"})
    seed: int = field(default=1, metadata={"help": "split seed (1 = Brain-Score's splits)"})
    batch_size: int = field(default=32, metadata={"help": "images per forward pass"})
    device: str | None = field(default=None, metadata={"help": "cpu, cuda... (default: auto)"})
    reduce_k: int = field(
        default=0,
        metadata={"help": "random-project each layer to k features first (0: keep all)"},
    )
    out: Path | None = field(
        default=None, metadata={"help": "results JSON (CSV, PNG, YAML written beside it)"}
    )
    plot: bool = field(default=True, metadata={"help": "write the score-vs-depth plot"})


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = add_subparser(
        subparsers,
        "score",
        help="score a model's layers on a neural benchmark (V4, IT, Brain-Score ids)",
        description=DESCRIPTION,
    )
    add_config_arguments(parser, ScoreConfig)
    parser.set_defaults(func=run)
    return parser


def _fmt(value: float, digits: int = 3) -> str:
    import math

    return (
        "-"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else f"{value:.{digits}f}"
    )


def format_table(table: Any) -> str:
    """A plain-text table: layer x (r ± SEM, CI, ceiling, ceiled scores, training r)."""
    header = ["layer", "r", "± SEM", "95% CI", "ceiling", "r²/ceil", "r/ceil", "train r", "sel"]
    rows = []
    for _, row in table.iterrows():
        ci = (
            f"[{_fmt(row.get('ci_low'))}, {_fmt(row.get('ci_high'))}]"
            if row.get("ci_low") == row.get("ci_low")
            else "-"
        )
        rows.append(
            [
                str(row["layer"]),
                _fmt(row["score"]),
                _fmt(row.get("error", float("nan"))),
                ci,
                _fmt(row.get("ceiling", float("nan"))),
                _fmt(row.get("explained_variance", float("nan"))),
                _fmt(row.get("r_over_ceiling", float("nan"))),
                _fmt(row.get("train_score", float("nan"))),
                "*" if row.get("selected", False) else "",
            ]
        )
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def _plot(table: Any, title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from neuroalign.io import atomic_path

    fig, ax = plt.subplots(figsize=(max(4.0, 0.9 * len(table) + 2), 3.2))
    x = np.arange(len(table))
    ax.errorbar(
        x, table["score"], yerr=table["error"].fillna(0.0), marker="o", capsize=3, label="r"
    )
    if table["ci_low"].notna().any():
        ax.fill_between(x, table["ci_low"], table["ci_high"], alpha=0.2, label="95% CI")
    ceiling = table["ceiling"].dropna()
    if len(ceiling):
        ax.axhline(
            float(ceiling.iloc[0]), ls="--", color="gray", label="ceiling (split-half reliability)"
        )
    ax.set_xticks(x, table["layer"], rotation=30, ha="right")
    ax.set_xlabel("layer (depth order)")
    ax.set_ylabel("score (Pearson r)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)


def _brainscore_rows(bench: Any, identifier: str, model: Any, layers: list[str]) -> Any:
    """Score each layer through Brain-Score's own benchmark (one BrainModel per layer)."""
    import pandas as pd

    from neuroalign.neural_benchmarks.passthrough import (
        BRAINSCORE_BENCHMARKS,
        score_with_brainscore,
    )

    region = BRAINSCORE_BENCHMARKS.get(identifier, (identifier.split(".")[1].split("-")[0], ""))[0]
    rows = []
    for depth, layer in enumerate(layers or [None]):
        score = score_with_brainscore(bench, model, region, layer)
        raw = score.attrs.get("raw")
        ceiling = score.attrs.get("ceiling")
        rows.append(
            {
                "layer": layer or "(committed)",
                "depth": depth,
                "score": float(raw)
                if raw is not None and getattr(raw, "size", 1) == 1
                else float(score),
                "error": float(score.attrs.get("error", float("nan"))),
                "ci_low": float("nan"),
                "ci_high": float("nan"),
                "ceiling": float(ceiling) if ceiling is not None else float("nan"),
                "explained_variance": float(score),
                "r_over_ceiling": float("nan"),
                "train_score": float("nan"),
                "selected": False,
            }
        )
    return pd.DataFrame(rows)


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(ScoreConfig, args)
    return score_main(cfg)


def score_main(cfg: ScoreConfig) -> int:
    """Run a :class:`ScoreConfig` (the CLI without argparse); returns the exit code."""
    import datetime
    import json
    import platform

    import neuroalign
    from neuroalign.config import config_to_dict, save_config
    from neuroalign.io import atomic_write
    from neuroalign.neural_benchmarks import BENCHMARKS, load_benchmark, resolve_benchmark

    if cfg.n_boot < 0 or cfg.batch_size < 1 or cfg.reduce_k < 0:
        raise ValueError("--n-boot and --reduce-k must be >= 0 and --batch-size >= 1")
    identifier, how = resolve_benchmark(cfg.benchmark, cfg.data_root)
    print(f"benchmark: {how}", file=sys.stderr)
    sessions = (
        None if tuple(s.lower() for s in cfg.sessions) in ((), ("all",)) else list(cfg.sessions)
    )
    model_info: dict[str, Any] = {"spec": cfg.model}
    if identifier in BENCHMARKS:
        from neuroalign.extract import Reduction, load_model

        bench = load_benchmark(
            identifier, root=cfg.data_root, sessions=sessions, n_boot=cfg.n_boot, seed=cfg.seed
        )
        loaded = load_model(cfg.model, device=cfg.device or "cpu")
        layers = list(cfg.layers) or loaded.default_layers()
        for layer in layers:
            loaded.resolve_layer(layer)  # unknown layer: ValueError naming valid ones
        model_info.update(
            identifier=loaded.identifier,
            weights_sha256=loaded.weights_sha256,
            file_sha256=loaded.file_sha256,
            preprocessing=loaded.preprocessing.to_dict(),
        )
        print(f"model: {loaded.identifier}  layers: {', '.join(layers)}", file=sys.stderr)
        reduction = Reduction("gaussian", cfg.reduce_k, seed=0) if cfg.reduce_k else None
        result = bench.score_model(loaded, layers, cfg.batch_size, reduction, progress=True)
        table, payload = result.table, result.to_dict()
        selected = result.selected
    else:
        bench = load_benchmark(identifier)
        table = _brainscore_rows(bench, identifier, cfg.model, list(cfg.layers))
        payload = {"benchmark": identifier, "layers": table.to_dict(orient="records")}
        selected = {}

    print(f"\n{identifier}  model={cfg.model}")
    print(format_table(table))
    if selected.get("layer"):
        line = f"\nselected layer: {selected['layer']}  score = {selected['score']:.3f}"
        if selected.get("explained_variance") == selected.get("explained_variance"):
            line += f"  (r²/ceiling = {selected['explained_variance']:.3f})"
        print(f"{line}\n  ({selected.get('how', '')})")
    if cfg.out is None:
        return 0
    out = Path(cfg.out)
    record = {
        "neuroalign_version": neuroalign.__version__,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(["neuroalign", *sys.argv[1:]]) if sys.argv else "",
        "host": platform.node(),
        "benchmark": identifier,
        "benchmark_resolution": how,
        "model": model_info,
        "config": config_to_dict(cfg),
        "result": payload,
    }
    with atomic_write(out) as handle:
        json.dump(_finite(record), handle, indent=2, default=_json_default)
    with atomic_write(out.with_suffix(".csv")) as handle:
        table.to_csv(handle, index=False)
    save_config(dataclasses.replace(cfg), out.with_suffix(".yaml"))
    written = [out, out.with_suffix(".csv"), out.with_suffix(".yaml")]
    if cfg.plot and len(table):
        _plot(table, f"{identifier} — {cfg.model}", out.with_suffix(".png"))
        written.append(out.with_suffix(".png"))
    print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr)
    return 0


def _finite(value: Any) -> Any:
    """NaN/inf -> None, recursively, so that the JSON is standard."""
    import math

    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    return str(value)
