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

from neuroalign._lazy import lazy_exports

# names are imported on first use (a config or a light module costs no torch)
__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "base": ("BenchmarkResult", "CEILED_QUANTITY", "NeuralBenchmark", "ceiled_interval"),
        "cowley2023": ("Cowley2023V4", "pool_sessions"),
        "kriegeskorte2008": ("Kriegeskorte2008IT",),
        "passthrough": (
            "BRAINSCORE_BENCHMARKS",
            "brain_model_for",
            "brainscore_data_cached",
            "brainscore_registered",
            "load_brain_model",
            "load_brainscore_benchmark",
            "score_layers_with_brainscore",
            "score_with_brainscore",
        ),
        "registry": (
            "ALIASES",
            "BenchmarkEntry",
            "benchmark_entry",
            "list_benchmarks",
            "load_benchmark",
            "register_benchmark",
            "resolve_benchmark",
        ),
        "scoring": (
            "ScoreConfig",
            "ScoreReport",
            "format_table",
            "model_title",
            "plot_scores",
            "run_score",
        ),
    },
)
