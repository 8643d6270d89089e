"""The figure of a training run: every tracked quantity against step, several runs overlaid.

:func:`plot_run` reads the ``metrics.csv`` of one or more ``neuroalign train`` output folders
and draws one panel per quantity: the training loss, the kNN accuracy, AdaDim's alpha and beta
when present, and every tracker column (``TRACKER/LAYER/QUANTITY``,
:mod:`~neuroalign.tracking.names`) against the optimizer step. Runs are told apart by colour
(the legend names each run by its loss, from the run's ``config.yaml``), layers by line style.
Values logged only every N epochs are drawn at the steps where they were measured.
``neuroalign plot-run RUN_DIR [RUN_DIR ...]`` writes it (:func:`save_run_figure`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neuroalign.errors import DataError
from neuroalign.tracking.names import TRACKERS, parse_metric_name, quantity_axis, quantity_title

__all__ = ["PLAIN_COLUMNS", "plot_run", "read_run_metrics", "run_label", "save_run_figure"]

#: Columns of every run's metrics that get a panel of their own, in this order.
PLAIN_COLUMNS = ("loss", "knn_top1")

_LINESTYLES = ("-", "--", ":", "-.")


def read_run_metrics(run_dir: str | Path) -> pd.DataFrame:
    """A run's ``metrics.csv`` as a table sorted by step (a step logged twice keeps its last row).

    Raises:
        DataError: the folder has no readable ``metrics.csv`` with a ``step`` column.
    """
    path = Path(run_dir) / "metrics.csv"
    if not path.is_file():
        raise DataError(f"{run_dir}: no metrics.csv (is it a `neuroalign train` output folder?)")
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: not a readable CSV table ({err})") from None
    if "step" not in table.columns or table.empty:
        raise DataError(f"{path}: needs a 'step' column and at least one row")
    table = table.drop_duplicates("step", keep="last").sort_values("step", ignore_index=True)
    return table


def run_label(run_dir: str | Path) -> str:
    """The run's loss (``loss:`` of its ``config.yaml``), else the folder's name."""
    import yaml

    path = Path(run_dir) / "config.yaml"
    if path.is_file():
        with open(path) as handle:
            config = yaml.safe_load(handle) or {}
        if isinstance(config, dict) and config.get("loss"):
            return str(config["loss"])
    return Path(run_dir).resolve().name


def _labels(run_dirs: Sequence[Path]) -> list[str]:
    """Each run's loss; runs that share a loss get their folder name added."""
    losses = [run_label(d) for d in run_dirs]
    return [
        f"{loss} ({Path(d).resolve().name})" if losses.count(loss) > 1 else loss
        for loss, d in zip(losses, run_dirs)
    ]


def _panels(tables: Sequence[pd.DataFrame], include_costs: bool) -> list[tuple[str, list[str]]]:
    """(quantity, [columns]) per panel: plain columns, then trackers in :data:`TRACKERS` order."""
    columns: list[str] = []
    for table in tables:
        columns += [c for c in table.columns if c not in columns]

    def has_values(column: str) -> bool:
        return any(column in t and t[column].notna().any() for t in tables)

    panels: list[tuple[str, list[str]]] = [(c, [c]) for c in PLAIN_COLUMNS if has_values(c)]
    grouped: dict[tuple[str, str], list[str]] = {}
    for column in columns:
        name = parse_metric_name(column)
        if name is None or not has_values(column):
            continue
        if name.quantity == "seconds" and not include_costs:
            continue
        grouped.setdefault((name.tracker, name.quantity), []).append(column)
    order = {t: i for i, t in enumerate(TRACKERS)}
    trackers = sorted({t for t, _ in grouped}, key=lambda t: (order.get(t, len(order)), t))
    for tracker in trackers:
        panels += [(q, cols) for (t, q), cols in grouped.items() if t == tracker]
    return panels


def plot_run(run_dirs: str | Path | Sequence[str | Path], *, include_costs: bool = False) -> Any:
    """Every tracked quantity of one or more training runs against step.

    Args:
        run_dirs: one ``neuroalign train`` output folder or several (overlaid; each coloured
            and named in the legend by its loss).
        include_costs: also draw each tracker's seconds per call.

    Returns:
        A matplotlib ``Figure`` with one titled, labelled panel per quantity; the layers of a
        tracker quantity (embedding, representation, layer3, ...) are line styles.

    Raises:
        DataError: a folder without a readable ``metrics.csv``, or nothing to draw.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    dirs = [Path(run_dirs)] if isinstance(run_dirs, (str, Path)) else [Path(d) for d in run_dirs]
    if not dirs:
        raise ValueError("plot_run: give at least one run folder")
    tables = [read_run_metrics(d) for d in dirs]
    labels = _labels(dirs)
    panels = _panels(tables, include_costs)
    if not panels:
        raise DataError(f"{', '.join(map(str, dirs))}: metrics.csv has no loss or tracked column")
    ncols = min(4, len(panels))
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.2 * nrows), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    # one line style per layer across the figure: embedding, representation, then the rest
    layers = [n.layer for _, cols in panels for c in cols if (n := parse_metric_name(c))]
    named = ["embedding", "representation"]
    order = [*named, *sorted({la for la in layers if la} - set(named))]
    style_of = {layer: _LINESTYLES[i % len(_LINESTYLES)] for i, layer in enumerate(order)}
    for ax, (quantity, columns) in zip(axes.flat, panels):
        styles: dict[str, str] = {}
        for r, table in enumerate(tables):
            for column in columns:
                if column not in table:
                    continue
                series = pd.to_numeric(table[column], errors="coerce")
                keep = np.isfinite(series.to_numpy(dtype=float))
                if not keep.any():
                    continue
                name = parse_metric_name(column)
                layer = name.layer if name is not None and name.layer else ""
                style = styles.setdefault(layer, style_of.get(layer, "-"))
                ax.plot(
                    table["step"][keep],
                    series[keep],
                    color=colours[r % len(colours)],
                    linestyle=style,
                    marker="o" if keep.sum() <= 30 else None,
                    markersize=3,
                )
        ax.set_title(quantity_title(quantity), fontsize=10)
        ax.set_xlabel("training step")
        ax.set_ylabel(quantity_axis(quantity))
        ax.grid(alpha=0.3)
        ax.ticklabel_format(axis="y", useOffset=False)  # a near-constant quantity reads as is
        if len(styles) > 1 or any(styles):
            # a column without a layer (a user's tracker may mix both) comes first, unnamed
            shown = sorted(styles, key=lambda la: order.index(la) if la in order else -1)
            handles = [Line2D([], [], color="0.3", linestyle=styles[la]) for la in shown]
            names = [la or "(no layer)" for la in shown]
            ax.legend(handles, names, fontsize=8, title="layer", title_fontsize=8)
    for ax in axes.flat[len(panels) :]:
        ax.set_axis_off()
    run_handles = [Line2D([], [], color=colours[r % len(colours)]) for r in range(len(dirs))]
    fig.legend(
        run_handles, labels, loc="upper center", ncol=min(len(labels), 6), frameon=False,
        title="run (loss)", bbox_to_anchor=(0.5, 1.0),
    )  # fmt: skip
    fig.suptitle("Training dynamics", y=1.0 + 0.12 / nrows)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.12 / nrows))
    return fig


def save_run_figure(
    run_dirs: str | Path | Sequence[str | Path],
    out: str | Path | None = None,
    *,
    include_costs: bool = False,
) -> Path:
    """:func:`plot_run` written as a PNG (default: ``dynamics.png`` in the first run folder)."""
    from neuroalign.provenance import save_figure

    dirs = [Path(run_dirs)] if isinstance(run_dirs, (str, Path)) else [Path(d) for d in run_dirs]
    fig = plot_run(dirs, include_costs=include_costs)
    target = Path(out) if out is not None else dirs[0] / "dynamics.png"
    return save_figure(fig, target)
