"""Named neural benchmarks: Brain-Score ``Benchmark`` objects that also score features fast.

* ``Cowley2023.V4-ridge`` / ``Cowley2023.V4-pls`` (:class:`Cowley2023V4`): V4 predictivity,
  per session, pooled by the mean over sessions, ceiled where trials exist.
* ``Kriegeskorte2008.IT-rsa`` (:class:`Kriegeskorte2008IT`): RSA against monkey/human IT.
* Brain-Score's own benchmarks by identifier (:mod:`~neuroalign.neural_benchmarks.passthrough`).
* Aliases ``V1``, ``V2``, ``V4``, ``IT`` (:func:`resolve_benchmark`).

Each neuroalign benchmark is callable as ``benchmark(brain_model)`` like any Brain-Score
benchmark, and offers ``score_features({set: {layer: DataArray}})`` and
``score_model(loaded_model, layers)`` to score many layers from one extraction.
"""

from __future__ import annotations

from neuroalign.neural_benchmarks.cowley2023 import BenchmarkResult, Cowley2023V4, pool_sessions
from neuroalign.neural_benchmarks.kriegeskorte2008 import Kriegeskorte2008IT
from neuroalign.neural_benchmarks.passthrough import (
    BRAINSCORE_BENCHMARKS,
    brain_model_for,
    brainscore_data_cached,
    load_brainscore_benchmark,
    score_with_brainscore,
)
from neuroalign.neural_benchmarks.registry import (
    ALIASES,
    BENCHMARKS,
    list_benchmarks,
    load_benchmark,
    resolve_benchmark,
)

__all__ = [
    "ALIASES",
    "BENCHMARKS",
    "BRAINSCORE_BENCHMARKS",
    "BenchmarkResult",
    "Cowley2023V4",
    "Kriegeskorte2008IT",
    "brain_model_for",
    "brainscore_data_cached",
    "list_benchmarks",
    "load_benchmark",
    "load_brainscore_benchmark",
    "pool_sessions",
    "resolve_benchmark",
    "score_with_brainscore",
]
