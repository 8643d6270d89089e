"""The score workflow: a model on a neural benchmark, with its table, plot and run record.

:func:`run_score` is everything ``neuroalign score`` does, as one call for scripts and notebooks::

    from neuroalign.neural_benchmarks import ScoreConfig, run_score
    report = run_score(ScoreConfig(model="resnet18", benchmark="V4", layers=("layer3", "avgpool")))
    print(report.summary())          # the table the command prints
    report.result.table              # pandas DataFrame, one row per layer
    report.result.to_score()         # Brain-Score Score of the selected layer

The model is a neuroalign model spec (torchvision name, checkpoint, ``timm:NAME``...; every
requested layer is extracted once per stimulus set with the benchmark's preprocessing, through
the content-addressed activation cache) or a registered Brain-Score model identifier (scored
through its ``BrainModel`` interface: the layer it committed to the benchmark's region).
Outputs (``out``) are written with :func:`neuroalign.provenance.write_report`: ``run.json``
(the run record, the conventions and every number), ``scores.csv``, ``scores_per_session.csv``,
``scores.png`` and ``config.yaml``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from neuroalign.defaults import BRAINSCORE_SEED, V4_SESSION
from neuroalign.errors import DataError

if TYPE_CHECKING:
    from neuroalign.neural_benchmarks.base import BenchmarkResult

# The benchmark modules (Brain-Score, scikit-learn...) are imported by the functions that use
# them, so that building `neuroalign score --help` from ScoreConfig stays light.

__all__ = [
    "ScoreConfig",
    "ScoreReport",
    "format_table",
    "model_title",
    "plot_scores",
    "run_score",
]

#: Prefix that forces a model spec to be read as a Brain-Score model identifier.
BRAINSCORE_PREFIX = "brainscore:"


@dataclass(frozen=True)
class ScoreConfig:
    """Options of `neuroalign score` (and of :func:`run_score`)."""

    model: str = field(
        default="resnet18",
        metadata={"help": "model spec, checkpoint, or registered Brain-Score model id"},
    )
    benchmark: str = field(default="V4", metadata={"help": "benchmark name or region alias"})
    layers: tuple[str, ...] = field(
        default=(), metadata={"help": "comma-separated layers; empty: the ResNet stages + avgpool"}
    )
    data_root: Path | None = field(
        default=None, metadata={"help": "folder of the neural data; none: the data home / mirror"}
    )
    sessions: tuple[str, ...] = field(
        default=(V4_SESSION,),
        metadata={"help": "Cowley2023 sessions, or 'all' (210325 is the one with trials)"},
    )
    n_boot: int = field(
        default=1000,
        metadata={"help": "bootstrap resamples for the intervals (V4: of neuroids; 0: none)"},
    )
    seed: int = field(
        default=BRAINSCORE_SEED, metadata={"help": "split seed (1 = Brain-Score's splits)"}
    )
    batch_size: int = field(default=32, metadata={"help": "images per forward pass"})
    device: str | None = field(
        default=None, metadata={"help": "cpu, cuda...; none: CUDA when available"}
    )
    reduce_k: int = field(
        default=0,
        metadata={"help": "random-project each layer to k features first (0: keep all)"},
    )
    cache: bool = field(
        default=True, metadata={"help": "reuse activations from the content-hashed cache"}
    )
    out: Path | None = field(
        default=None, metadata={"help": "output folder (run.json, CSV, PNG, config.yaml)"}
    )
    plot: bool = field(default=True, metadata={"help": "write the score-vs-layer plot"})


@dataclass
class ScoreReport:
    """What :func:`run_score` produced.

    Attributes:
        config: the resolved config.
        benchmark: the benchmark identifier; resolution: how the name was resolved.
        model_name: the model's readable name (plot titles, tables).
        model: the model's record (identity, weights digest, preprocessing).
        result: the benchmark's :class:`~neuroalign.neural_benchmarks.base.BenchmarkResult`.
        record: the run record written to ``run.json``.
        written: name -> path of every file written (empty without ``out``).
    """

    config: ScoreConfig
    benchmark: str
    resolution: str
    model_name: str
    model: dict[str, Any]
    result: BenchmarkResult
    record: dict[str, Any]
    written: dict[str, Path] = field(default_factory=dict)

    def summary(self) -> str:
        """The text ``neuroalign score`` prints: header, table, selection, conventions."""
        meta = self.result.meta
        lines = [f"{self.benchmark}  model: {self.model_name}"]
        if meta.get("preprocessing"):
            lines.append(f"preprocessing: {meta['preprocessing']}")
        lines += ["", format_table(self.result.table)]
        selected = self.result.selected
        if selected.get("layer") and len(self.result.table) > 1:
            line = f"\nselected layer: {selected['layer']}  r = {selected['score']:.3f}"
            if np.isfinite(selected.get("explained_variance", np.nan)):
                line += f"  (r²/ceiling = {selected['explained_variance']:.3f})"
            lines.append(f"{line}\n  ({selected.get('how', '')})")
        lines.append("")
        table = self.result.table
        notes = [meta.get("score") or meta.get("comparison")]
        if np.isfinite(table.get("ci_low", _nan_column(table))).any():
            notes.append(meta.get("interval_note") or meta.get("interval"))
        if np.isfinite(table.get("explained_variance", _nan_column(table))).any():
            notes.append(f"r²/ceil: {meta.get('ceiled_score')}")
        lines += [f"  {note}" for note in notes if note]
        return "\n".join(lines)


def _nan_column(table: Any) -> np.ndarray:
    """A column of NaN as long as ``table`` (for absent columns)."""
    return np.full(len(table), np.nan)


def model_title(loaded: Any) -> str:
    """A readable model name for titles: a checkpoint's architecture, loss and epoch rather
    than its file name (``last``), a torchvision name with its weights (or "random init")."""
    metadata = getattr(loaded, "metadata", None) or {}
    config = metadata.get("config") or {}
    if getattr(loaded, "kind", None) == "checkpoint" and config:
        parts = [str(config.get("arch", "")), str(config.get("loss", "")).upper()]
        details = [str(config[k]) for k in ("dataset",) if config.get(k)]
        if metadata.get("epoch") is not None:
            details.append(f"epoch {metadata['epoch']}")
        name = " ".join(p for p in parts if p)
        return f"{name} ({', '.join(details)})" if details else name
    identifier = str(getattr(loaded, "identifier", loaded))
    if getattr(loaded, "pretrained", True) is False and "random" not in identifier:
        return f"{identifier} (random init)"
    return identifier


def _fmt(value: Any, digits: int = 3) -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return "-"
    return "-" if not math.isfinite(value) else f"{value:.{digits}f}"


def format_table(table: Any) -> str:
    """A plain-text table: layer x (score ± error, 95% CI, ceiling, r²/ceiling with its CI,
    training score); columns that are empty for this benchmark are left out."""
    columns = [
        ("layer", lambda r: str(r["layer"])),
        ("score", lambda r: _fmt(r["score"])),
        ("± err", lambda r: _fmt(r.get("error"))),
        ("95% CI", lambda r: _interval(r.get("ci_low"), r.get("ci_high"))),
        ("ceiling", lambda r: _fmt(r.get("ceiling"))),
        ("r²/ceil", lambda r: _fmt(r.get("explained_variance"))),
        ("95% CI r²/ceil", lambda r: _interval(r.get("ev_ci_low"), r.get("ev_ci_high"))),
        ("monkey IT", lambda r: _fmt(r.get("monkey_IT"))),
        ("human IT", lambda r: _fmt(r.get("human_IT"))),
        ("train", lambda r: _fmt(r.get("train_score"))),
        ("sel", lambda r: "*" if r.get("selected", False) and len(table) > 1 else ""),
    ]
    cells = [[fn(row) for _, fn in columns] for _, row in table.iterrows()]
    keep = [
        i
        for i, (name, _) in enumerate(columns)
        if name == "layer" or any(c[i] not in ("-", "") for c in cells)
    ]
    header = [columns[i][0] for i in keep]
    rows = [[c[i] for i in keep] for c in cells]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def _interval(low: Any, high: Any) -> str:
    if _fmt(low) == "-" or _fmt(high) == "-":
        return "-"
    return f"[{_fmt(low)}, {_fmt(high)}]"


def plot_scores(table: Any, title: str, score_label: str = "Pearson r (held-out images)") -> Any:
    """Score per layer with its 95 % interval; with a ceiling, a second panel of the ceiled
    score (Brain-Score's explained variance r² / ceiling, 1 = the ceiling). Returns the figure
    (the caller saves it; nothing here switches the matplotlib backend)."""
    import matplotlib.pyplot as plt

    ceiled = bool(np.isfinite(table["explained_variance"]).any())
    width = max(4.0, 0.8 * len(table) + 2.2)
    fig, axes = plt.subplots(1, 2 if ceiled else 1, figsize=(width * (2 if ceiled else 1), 3.4))
    axes = np.atleast_1d(axes)
    x = np.arange(len(table))

    def panel(ax, values, low, high, ylabel, line=None, line_label=""):
        values, low, high = (np.asarray(v, dtype=float) for v in (values, low, high))
        ax.plot(x, values, marker="o", color="C0", label="score")
        if np.isfinite(low).any():
            yerr = np.vstack([values - low, high - values])
            ax.errorbar(x, values, yerr=yerr, fmt="none", ecolor="C0", capsize=3, label="95% CI")
        if line is not None and np.isfinite(line):
            ax.axhline(line, ls="--", color="gray", label=line_label)
        ax.set_xticks(x, [str(v) for v in table["layer"]], rotation=30, ha="right")
        ax.set_xlabel("layer (shallow to deep)")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=7)

    ceiling = float(table["ceiling"].dropna().iloc[0]) if ceiled else float("nan")
    panel(
        axes[0],
        table["score"],
        table["ci_low"],
        table["ci_high"],
        score_label,
        math.sqrt(ceiling) if ceiled else None,
        "√ceiling: expected r of a perfect model",
    )
    axes[0].set_title("raw score", fontsize=9)
    if ceiled:
        panel(
            axes[1],
            table["explained_variance"],
            table["ev_ci_low"],
            table["ev_ci_high"],
            "explained variance r² / ceiling",
            1.0,
            "ceiling (split-half reliability)",
        )
        axes[1].set_title("ceiled score (Brain-Score's explained variance)", fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def _load_model(spec: str, device: str | None) -> tuple[Any, bool]:
    """``(model, is_brain_model)``: a neuroalign model, else a registered Brain-Score model."""
    from neuroalign.extract import load_model
    from neuroalign.neural_benchmarks.passthrough import brainscore_registered, load_brain_model

    if spec.startswith(BRAINSCORE_PREFIX):
        return load_brain_model(spec[len(BRAINSCORE_PREFIX) :]), True
    try:
        return load_model(spec, device=device or "cpu"), False
    except (ValueError, FileNotFoundError) as err:
        if brainscore_registered("models", spec):
            return load_brain_model(spec), True
        raise DataError(
            f"unknown model {spec!r}: {str(err).rstrip('.')}; nor is it a registered Brain-Score "
            f"model identifier"
        ) from None


def run_score(cfg: ScoreConfig, log: Callable[[str], None] | None = None) -> ScoreReport:
    """Score ``cfg.model`` on ``cfg.benchmark`` (see the module docstring); write the outputs
    into ``cfg.out`` when given. ``log`` receives progress lines (alias resolution, model)."""
    from neuroalign.neural_benchmarks.passthrough import score_layers_with_brainscore
    from neuroalign.neural_benchmarks.registry import load_benchmark, resolve_benchmark
    from neuroalign.provenance import model_record, run_record, write_report

    say = log or (lambda _line: None)
    if cfg.n_boot < 0 or cfg.batch_size < 1 or cfg.reduce_k < 0:
        raise ValueError("--n-boot and --reduce-k must be >= 0 and --batch-size >= 1")
    identifier, how = resolve_benchmark(cfg.benchmark, cfg.data_root)
    say(f"benchmark: {how}")
    sessions = tuple(s.lower() for s in cfg.sessions)
    sessions = None if sessions in ((), ("all",)) else list(cfg.sessions)
    model, is_brain_model = _load_model(cfg.model, cfg.device)
    neuroalign_benchmark = _is_neuroalign(identifier)
    if neuroalign_benchmark:
        bench = load_benchmark(
            identifier, root=cfg.data_root, sessions=sessions, n_boot=cfg.n_boot, seed=cfg.seed
        )
    else:
        bench = load_benchmark(identifier)

    if is_brain_model:
        name = str(getattr(model, "identifier", cfg.model))
        record_model = {
            "brainscore_identifier": name,
            "visual_degrees": model.visual_degrees(),
            "scored_through": "its Brain-Score BrainModel interface (start_recording/look_at)",
        }
        say(f"model: Brain-Score model {name} (its committed layer)")
        if neuroalign_benchmark:
            result = bench.score_brain_model(model)
        else:
            result = score_layers_with_brainscore(bench, identifier, model, None)
    else:
        name = model_title(model)
        layers = list(cfg.layers) or model.default_layers()
        for layer in layers:
            model.resolve_layer(layer)  # unknown layer: ValueError naming valid ones
        record_model = model_record(model)
        say(f"model: {name}  layers: {', '.join(layers)}")
        if neuroalign_benchmark:
            from neuroalign.extract import Reduction

            reduction = Reduction("gaussian", cfg.reduce_k, seed=0) if cfg.reduce_k else None
            result = bench.score_model(
                model, layers, cfg.batch_size, reduction, progress=True, cache=cfg.cache,
                device=cfg.device,
            )  # fmt: skip
            record_model["scored_with_preprocessing"] = result.meta.get("preprocessing")
        else:
            result = score_layers_with_brainscore(bench, identifier, model, list(cfg.layers))
    record = run_record(
        cfg,
        record_model,
        benchmark=identifier,
        benchmark_resolution=how,
        conventions={
            key: result.meta[key]
            for key in (
                "preprocessing",
                "score",
                "comparison",
                "error",
                "interval",
                "ceiled_score",
                "mapping",
            )
            if key in result.meta
        },
        result=result.to_dict(),
    )
    report = ScoreReport(cfg, identifier, how, name, record_model, result, record)
    if cfg.out is not None:
        figures = {}
        if cfg.plot and len(result.table):
            label = "Spearman r (RDMs)" if "rsa" in identifier else "Pearson r (held-out images)"
            figures["scores"] = plot_scores(result.table, f"{name} on {identifier}", label)
        report.written = write_report(
            cfg.out,
            record,
            tables={"scores": result.table, "scores_per_session": result.per_set},
            figures=figures,
            config=cfg,
        )
    return report


def _is_neuroalign(identifier: str) -> bool:
    from neuroalign.neural_benchmarks.registry import benchmark_entry

    try:
        return benchmark_entry(identifier).neuroalign
    except KeyError:
        return False
