"""Named neural benchmarks: Brain-Score ``Benchmark`` objects that also score many layers fast.

* ``Cowley2023.V4-pls`` / ``Cowley2023.V4-ridge`` (:class:`Cowley2023V4`): V4 predictivity,
  per session, pooled by the mean over sessions, ceiled where trials exist.
* ``Kriegeskorte2008.IT-rsa`` (:class:`Kriegeskorte2008IT`): RSA against monkey/human IT.
* Brain-Score's own benchmarks by identifier (:mod:`~neuroalign.neural_benchmarks.passthrough`).
* One registry entry per benchmark and region aliases ``V1``, ``V2``, ``V4``, ``IT``
  (:mod:`~neuroalign.neural_benchmarks.registry`).
* :func:`run_score` (:mod:`~neuroalign.neural_benchmarks.scoring`): what ``neuroalign score`` does --
  a model (spec, checkpoint or registered Brain-Score model) on a benchmark, with tables,
  plots and the run record.

Each neuroalign benchmark is callable as ``benchmark(brain_model)`` like any Brain-Score
benchmark (it returns a ``Score``: the ceiled value where a ceiling exists), and offers
``score_features({set: {layer: DataArray}})`` and ``score_model(loaded_model, layers)`` to
score many layers from one extraction (:mod:`~neuroalign.neural_benchmarks.base`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names below, imported lazily by __getattr__
    from neuroalign.neural_benchmarks.base import (
        CEILED_QUANTITY,
        BenchmarkResult,
        NeuralBenchmark,
        ceiled_interval,
    )
    from neuroalign.neural_benchmarks.cowley2023 import (
        Cowley2023V4,
        pool_sessions,
    )
    from neuroalign.neural_benchmarks.kriegeskorte2008 import (
        Kriegeskorte2008IT,
    )
    from neuroalign.neural_benchmarks.passthrough import (
        BRAINSCORE_BENCHMARKS,
        brain_model_for,
        brainscore_data_cached,
        brainscore_registered,
        load_brain_model,
        load_brainscore_benchmark,
        score_layers_with_brainscore,
        score_with_brainscore,
    )
    from neuroalign.neural_benchmarks.registry import (
        ALIASES,
        BenchmarkEntry,
        benchmark_entry,
        list_benchmarks,
        load_benchmark,
        register_benchmark,
        resolve_benchmark,
    )
    from neuroalign.neural_benchmarks.scoring import (
        ScoreConfig,
        ScoreReport,
        format_table,
        model_title,
        plot_scores,
        run_score,
    )

#: public name -> the module of this package that defines it
_HOMES: dict[str, str] = {
    "CEILED_QUANTITY": "base",
    "BenchmarkResult": "base",
    "NeuralBenchmark": "base",
    "ceiled_interval": "base",
    "Cowley2023V4": "cowley2023",
    "pool_sessions": "cowley2023",
    "Kriegeskorte2008IT": "kriegeskorte2008",
    "BRAINSCORE_BENCHMARKS": "passthrough",
    "brain_model_for": "passthrough",
    "brainscore_data_cached": "passthrough",
    "brainscore_registered": "passthrough",
    "load_brain_model": "passthrough",
    "load_brainscore_benchmark": "passthrough",
    "score_layers_with_brainscore": "passthrough",
    "score_with_brainscore": "passthrough",
    "ALIASES": "registry",
    "BenchmarkEntry": "registry",
    "benchmark_entry": "registry",
    "list_benchmarks": "registry",
    "load_benchmark": "registry",
    "register_benchmark": "registry",
    "resolve_benchmark": "registry",
    "ScoreConfig": "scoring",
    "ScoreReport": "scoring",
    "format_table": "scoring",
    "model_title": "scoring",
    "plot_scores": "scoring",
    "run_score": "scoring",
}

__all__ = [
    "ALIASES",
    "BRAINSCORE_BENCHMARKS",
    "CEILED_QUANTITY",
    "BenchmarkEntry",
    "BenchmarkResult",
    "Cowley2023V4",
    "Kriegeskorte2008IT",
    "NeuralBenchmark",
    "ScoreConfig",
    "ScoreReport",
    "benchmark_entry",
    "brain_model_for",
    "brainscore_data_cached",
    "brainscore_registered",
    "ceiled_interval",
    "format_table",
    "list_benchmarks",
    "load_benchmark",
    "load_brain_model",
    "load_brainscore_benchmark",
    "model_title",
    "plot_scores",
    "pool_sessions",
    "register_benchmark",
    "resolve_benchmark",
    "run_score",
    "score_layers_with_brainscore",
    "score_with_brainscore",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
