"""Geometry figures: titled, every axis labelled, spectra cut above round-off."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from neuroalign.geometry.plots import (
    METRICS,
    NUMERICAL_FLOOR,
    plot_layer_metrics,
    plot_overlap,
    plot_spectra,
)


def _labelled(fig) -> list:
    axes = [ax for ax in fig.axes if ax.get_visible()]
    for ax in axes:
        assert ax.get_xlabel() and ax.get_ylabel(), ax.get_title()
    return axes


def test_metric_panels_are_titled_in_words_and_compare_models():
    summary = pd.DataFrame(
        {"layer": ["layer1", "layer2"], "pr_global": [3.0, 5.0], "overlap_fraction_intra": [1, 0.5]}
    )
    fig = plot_layer_metrics(
        {"untrained": summary, "CLAMP": summary.assign(pr_global=[4.0, 9.0])},
        ["pr_global", "overlap_fraction_intra", "not_a_column"],
        "a title",
    )
    axes = _labelled(fig)
    assert [ax.get_title() for ax in axes] == [
        METRICS["pr_global"][0],
        METRICS["overlap_fraction_intra"][0],
    ]
    assert "=" not in axes[1].get_title() and "_" not in axes[1].get_title()
    assert axes[1].get_ylim() == pytest.approx((-0.04, 1.04))  # a fraction: the whole range
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["layer1", "layer2"]
    assert len(axes[0].get_lines()) == 2 and fig._suptitle.get_text() == "a title"
    plt.close(fig)


def test_spectra_stop_above_round_off():
    lam = np.r_[np.logspace(0, -6, 20), 1e-20, 1e-32]
    spectra = pd.DataFrame({"layer": "avgpool", "rank": np.arange(1, 23), "relative": lam})
    fig = plot_spectra({"m1": spectra, "m2": spectra}, "t", collapse_threshold=1e-5)
    axes = _labelled(fig)
    assert len(axes) == 2 and axes[0].get_title() == "m1"
    drawn = axes[0].get_lines()[0].get_ydata()
    assert len(drawn) == 20 and drawn.min() > NUMERICAL_FLOOR
    assert axes[0].get_ylim()[0] == pytest.approx(NUMERICAL_FLOOR)
    plt.close(fig)


def test_overlap_histograms_label_every_axis():
    rng = np.random.default_rng(0)
    n = 60
    pairs = pd.DataFrame(
        {
            "layer": np.repeat(["a", "b"], n),
            "distance": rng.uniform(0.5, 1.5, 2 * n),
            "contact": 1.0,
            "same_class": np.tile([True, False], n),
        }
    )
    summary = pd.DataFrame(
        {"layer": ["a", "b"], "overlap_fraction_intra": [0.5, 0.4], "overlap_fraction_inter": 0.3}
    )
    fig = plot_overlap(pairs, summary, "t")
    axes = _labelled(fig)
    assert len(axes) == 4 and axes[0].get_title().startswith("a\noverlapping: same class 0.50")
    assert sum(ax.get_legend() is not None for ax in axes) == 1
    plt.close(fig)
