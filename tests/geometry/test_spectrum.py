from __future__ import annotations

import numpy as np
import pytest

from neuroalign.errors import DataError
from neuroalign.geometry import collapsed_dimensions, eigenspectrum_table, fit_power_law


def test_power_law_exact():
    n = np.arange(1, 301)
    fit = fit_power_law(5.0 * n**-1.3, fit_range=(10, 100))
    assert fit.alpha == pytest.approx(1.3, rel=1e-10)
    assert fit.intercept == pytest.approx(np.log(5.0), rel=1e-10)
    assert fit.r2 == pytest.approx(1.0)
    assert fit.fit_range == (10, 100)


def test_power_law_range_is_used_and_clipped():
    n = np.arange(1, 51)
    lam = np.where(n <= 10, n**-0.5, 10**-0.5 * (n / 10.0) ** -2.0)  # knee at n = 10
    assert fit_power_law(lam, (10, 50)).alpha == pytest.approx(2.0, rel=1e-10)
    assert fit_power_law(lam, (20, 1000)).fit_range == (20, 50)
    with pytest.raises(DataError, match="at least 3"):
        fit_power_law(lam, (49, 60))


def test_collapsed_dimensions_of_rank_deficient_embeddings():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 10)) @ rng.standard_normal((10, 32))
    assert collapsed_dimensions(X) == 22
    # fewer samples than dimensions: at most n - 1 non-zero directions
    assert collapsed_dimensions(rng.standard_normal((20, 50))) == 31
    # full rank: nothing collapsed
    assert collapsed_dimensions(rng.standard_normal((500, 16))) == 0


def test_collapsed_dimensions_threshold():
    lam = np.array([1.0, 1e-2, 1e-4, 1e-7, 0.0])
    assert collapsed_dimensions(lam, is_spectrum=True) == 2
    assert collapsed_dimensions(lam, rel_threshold=1e-3, is_spectrum=True) == 3


def test_eigenspectrum_table():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((100, 8)) * np.arange(1, 9)
    table = eigenspectrum_table(X)
    assert list(table.columns) == ["rank", "eigenvalue", "relative"]
    assert table["rank"].tolist() == list(range(1, 9))
    assert np.all(np.diff(table["eigenvalue"]) <= 0)
    assert table["relative"].iloc[0] == 1.0
    assert len(eigenspectrum_table(X, max_rank=3)) == 3
