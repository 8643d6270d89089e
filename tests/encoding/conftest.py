"""Shared data of the encoding tests: simulated linear encoding problems and real V4 data."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr


def assembly(values: np.ndarray, stim: np.ndarray, prefix: str = "n") -> xr.DataArray:
    """``values`` (presentation x neuroid) with stimulus ids ``stim`` and neuroid ids prefix0.."""
    return xr.DataArray(
        values,
        dims=("presentation", "neuroid"),
        coords={
            "stimulus_id": ("presentation", stim),
            "neuroid_id": ("neuroid", [f"{prefix}{i}" for i in range(values.shape[1])]),
        },
    )


def linear_case(n=600, p=8, q=12, snr=1.0, seed=0):
    """Y = X W + noise with var(signal) = snr * var(noise) per neuroid."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    W = rng.normal(size=(p, q))
    W /= np.sqrt((W**2).sum(axis=0))  # unit signal variance
    Y = X @ W + rng.normal(size=(n, q)) / np.sqrt(snr)
    stim = np.array([f"s{i:04d}" for i in range(n)])
    return assembly(X, stim, "f"), assembly(Y, stim), np.sqrt(snr / (1 + snr))


def regression_data(n: int, p: int, q: int = 6, seed: int = 0):
    """X (n, p) with a non-zero mean, Y (n, q) = X W + noise, and test rows (25, p)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) + 3.0  # non-zero mean: the intercept matters
    Y = X @ rng.normal(size=(p, q)) + 5.0 * rng.normal(size=(n, q)) - 2.0
    return X, Y, rng.normal(size=(25, p))


@pytest.fixture(scope="session")
def v4(shared_data):
    """Cowley et al. (2023) V4 session 210325: 12x12 RGB thumbnails as features (432), the
    responses, and the trials (for the ceiling)."""
    from PIL import Image

    from neuroalign.data import load_cowley2023, load_cowley2023_trials

    responses = load_cowley2023(sessions=["210325"])["210325"]
    trials = load_cowley2023_trials(sessions=["210325"])["210325"]
    stimuli = responses.attrs["stimulus_set"]
    ids = responses["stimulus_id"].values
    # cheap, deterministic "model features": 12x12 RGB thumbnails (432 features)
    pixels = np.stack(
        [
            np.asarray(
                Image.open(stimuli.get_stimulus(s)).convert("RGB").resize((12, 12), Image.BILINEAR),
                dtype=np.float64,
            ).ravel()
            for s in ids
        ]
    )
    from brainscore_core.supported_data_standards.brainio.assemblies import NeuroidAssembly

    features = NeuroidAssembly(
        pixels,
        coords={
            "stimulus_id": ("presentation", ids),
            "image_index": ("presentation", np.arange(len(ids))),
            "neuroid_id": ("neuroid", [f"px{i}" for i in range(pixels.shape[1])]),
            "layer": ("neuroid", ["pixels"] * pixels.shape[1]),
        },
        dims=["presentation", "neuroid"],
    )
    return features, responses, trials
