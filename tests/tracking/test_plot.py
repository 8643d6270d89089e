"""plot_run: one titled, labelled panel per quantity; runs overlaid and named by their loss."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neuroalign.errors import DataError
from neuroalign.tracking.plot import plot_run, read_run_metrics, save_run_figure


def _run(folder: Path, loss: str | None, scale: float = 1.0) -> Path:
    """A run folder with loss every 10 steps and trackers every 40 (NaN in between)."""
    folder.mkdir(parents=True)
    steps = np.arange(10, 210, 10)
    every = steps % 40 == 0
    table = pd.DataFrame({"step": steps, "loss": scale / steps, "lr": 0.1})
    table["knn_top1"] = np.where(every, 0.1 + steps / 1000, np.nan)
    for layer in ("embedding", "representation"):
        table[f"packing/{layer}/neighbour_count"] = np.where(every, scale * 100 / steps, np.nan)
    table["dimension/mutual_information"] = np.where(every, 0.5, np.nan)
    table["alignment/layer3/v4_r"] = np.where(every, 0.3, np.nan)
    table["packing/seconds"] = np.where(every, 1.5, np.nan)
    table.to_csv(folder / "metrics.csv", index=False)
    if loss:
        (folder / "config.yaml").write_text(f"loss: {loss}\nviews: 4\n")
    return folder


def _panels(fig) -> dict[str, object]:
    return {ax.get_title(): ax for ax in fig.axes if ax.axison}


def test_one_panel_per_quantity_titled_and_labelled(tmp_path) -> None:
    fig = plot_run(_run(tmp_path / "a", "clamp"))
    panels = _panels(fig)
    assert list(panels) == [
        "Training loss",
        "kNN top-1 accuracy (test images)",
        "Neighbour count",
        "I(R; Z), matrix Renyi entropy",
        "V4 predictivity (Cowley 2023, ridge)",
    ]  # plain columns first, then packing, dimension, alignment; no cost panel, no lr
    for ax in panels.values():
        assert ax.get_xlabel() == "training step" and ax.get_ylabel()
    # the two layers of a quantity are two lines, told apart by style and named in a legend
    lines = panels["Neighbour count"].get_lines()
    assert len(lines) == 2 and lines[0].get_linestyle() != lines[1].get_linestyle()
    legend = [t.get_text() for t in panels["Neighbour count"].get_legend().get_texts()]
    assert legend == ["embedding", "representation"]
    # sparse values are drawn at the steps where they were measured
    assert list(lines[0].get_xdata()) == [40, 80, 120, 160, 200]
    assert np.allclose(lines[0].get_ydata(), 100 / np.array([40, 80, 120, 160, 200]))
    assert "Cost of one tracker call" in _panels(plot_run(tmp_path / "a", include_costs=True))


def test_runs_are_overlaid_and_named_by_their_loss(tmp_path) -> None:
    runs = [_run(tmp_path / "a", "clamp"), _run(tmp_path / "b", "simclr", 2.0)]
    runs.append(_run(tmp_path / "c", "simclr", 3.0))
    runs.append(_run(tmp_path / "no_config", None))
    fig = plot_run(runs)
    names = [t.get_text() for t in fig.legends[0].get_texts()]
    assert names == ["clamp", "simclr (b)", "simclr (c)", "no_config"]
    loss_lines = _panels(fig)["Training loss"].get_lines()
    assert len(loss_lines) == 4 and len({line.get_color() for line in loss_lines}) == 4
    out = save_run_figure(runs, tmp_path / "fig.png")
    assert out.stat().st_size > 20_000
    assert save_run_figure(runs[0]) == runs[0] / "dynamics.png"


def test_a_step_logged_twice_keeps_its_last_row(tmp_path) -> None:
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "metrics.csv").write_text("step,loss\n10,1.0\n20,0.5\n10,0.9\n")
    table = read_run_metrics(folder)
    assert table["step"].tolist() == [10, 20] and table["loss"].tolist() == [0.9, 0.5]


def test_bad_folders_are_named_in_the_error(tmp_path) -> None:
    with pytest.raises(DataError, match="no metrics.csv"):
        plot_run(tmp_path)
    (tmp_path / "metrics.csv").write_text("step,lr\n10,0.1\n")
    with pytest.raises(DataError, match="no loss or tracked column"):
        plot_run(tmp_path)
    (tmp_path / "metrics.csv").write_text("epoch\n1\n")
    with pytest.raises(DataError, match="needs a 'step' column"):
        plot_run(tmp_path)


def test_a_quantity_logged_with_and_without_a_layer_gets_one_legend(tmp_path) -> None:
    """A user's tracker may log ``mine/score`` and ``mine/layer4/score``: both lines, one legend."""
    (tmp_path / "metrics.csv").write_text("step,loss,mine/score,mine/layer4/score\n10,1,0.2,0.3\n")
    axes = [ax for ax in plot_run(tmp_path).axes if ax.axison and ax.get_legend() is not None]
    assert len(axes) == 1 and len(axes[0].get_lines()) == 2
    legend = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert legend == ["(no layer)", "layer4"]
