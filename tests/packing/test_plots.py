from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from neuroalign.packing.config import MANNA_3D
from neuroalign.packing.plots import (
    plot_activity,
    plot_collapse,
    plot_history,
    plot_noise,
    plot_structure,
)
from neuroalign.packing.scaling import scaled_table


def labelled(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    assert fig.get_suptitle() or all(ax.get_title() for ax in fig.axes)
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()


def scan_table():
    rows = [
        {
            "n": n,
            "phi": phi,
            "seed": s,
            "f_active": max(phi - 0.62, 0) * 5 + 0.01 * s,
            "tau": 100.0 + s,
            "rule": "BRO",
        }
        for n in (100, 200)
        for phi in (0.6, 0.62, 0.64)
        for s in range(2)
    ]
    return pd.DataFrame(rows)


def test_every_plot_is_titled_and_labelled():
    history = pd.DataFrame(
        {"step": [0, 10, 20], "f_active": [0.9, 0.5, 0.0], "loss": [3.0, 1.0, 0.0]}
    )
    labelled(plot_history(history))
    labelled(plot_activity(scan_table(), 0.62))
    labelled(plot_activity(scan_table(), by="rule"))
    labelled(plot_collapse(scaled_table(scan_table(), 0.62, 3), MANNA_3D, 0.62, 3))
    sq = pd.DataFrame({"q": np.linspace(0.5, 5, 10), "s": np.linspace(0.1, 1, 10)})
    gr = pd.DataFrame({"r": np.linspace(0, 3, 10), "g": np.ones(10)})
    labelled(plot_structure(sq, gr))
    noise = pd.DataFrame(
        {"name": ["BRO", "SGD"], "b_f": [np.nan, 0.5], "noise_ratio_sampled": [0.33, 1.0]}
    )
    labelled(plot_noise(noise))
