"""What every neuroalign neural benchmark shares: its result type and its three entry points.

A :class:`NeuralBenchmark` is a Brain-Score ``Benchmark`` (``benchmark(brain_model)`` returns a
Brain-Score ``Score``) that also scores many layers of a neuroalign model from one extraction.
All three entry points run the SAME core -- :meth:`NeuralBenchmark.score_set` on each stimulus
set (a recording session), then :meth:`NeuralBenchmark.pool` over the sets:

* :meth:`~NeuralBenchmark.score_features`: features you already have,
  ``{set: {layer: DataArray presentation x neuroid}}``;
* :meth:`~NeuralBenchmark.score_model`: a :class:`~neuroalign.extract.LoadedModel` and layer
  names (one extraction per stimulus set, with Brain-Score's preprocessing, see below);
* :meth:`~NeuralBenchmark.score_brain_model` / ``__call__``: any Brain-Score ``BrainModel``
  (its committed layer for the benchmark's region, recorded with ``start_recording`` /
  ``look_at`` after ``place_on_screen``).

Preprocessing (Brain-Score's convention): a stimulus is the model's whole field of view, so it
is resized to the model's input size with no crop
(:meth:`~neuroalign.preprocessing.Preprocessing.full_field`); the benchmark states the visual
degrees its stimuli span (:attr:`NeuralBenchmark.visual_degrees`) and Brain-Score's
``place_on_screen`` rescales them for a model with another field of view. The training-time
crop stays for training and linear probes. The preprocessing used is written into the result.

Scores (Brain-Score's convention): ``__call__`` returns a ``Score`` whose value is the ceiled
score where a ceiling exists -- ``explained_variance = r² / ceiling``, Brain-Score's
``explained_variance`` -- and the raw score otherwise, with ``attrs['raw']`` a ``Score`` of the
raw value and ``attrs['ceiling']`` a ``Score`` of the ceiling (NaN when there is none).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from brainscore_core.benchmarks import BenchmarkBase
from brainscore_core.metrics import Score

from neuroalign.defaults import VISUAL_DEGREES

__all__ = ["CEILED_QUANTITY", "BenchmarkResult", "NeuralBenchmark", "ceiled_interval"]

#: What the ceiled columns hold (written into every result).
CEILED_QUANTITY = (
    "explained_variance = r^2 / ceiling (Brain-Score's explained_variance; the ceiling is the "
    "split-half reliability of the recordings, a bound on r^2, so a perfect model scores 1 and "
    "its expected r is sqrt(ceiling)); raw columns are Pearson r"
)


def ceiled_interval(low: float, high: float, ceiling: float) -> tuple[float, float]:
    """The interval of ``r² / ceiling`` for r in ``[low, high]`` (the ceiling taken as known)."""
    if not (np.isfinite(low) and np.isfinite(high) and np.isfinite(ceiling)) or ceiling <= 0:
        return float("nan"), float("nan")
    squares = (low * low / ceiling, high * high / ceiling)
    if low <= 0.0 <= high:
        return 0.0, float(max(squares))
    return float(min(squares)), float(max(squares))


@dataclass(frozen=True)
class BenchmarkResult:
    """Scores of one or more layers on one benchmark.

    Attributes:
        benchmark: the benchmark identifier.
        table: pooled scores, one row per layer: ``score`` (raw), ``error``, ``ci_low`` /
            ``ci_high`` (the interval of ``meta['interval']``), ``ceiling``,
            ``explained_variance`` (r² / ceiling) with ``ev_ci_low`` / ``ev_ci_high``,
            ``train_score``, ``selected``...
        per_set: the same per stimulus set (session), with a ``session`` column.
        selected: the layer chosen on training data only and its unbiased score.
        meta: everything needed to reproduce and read the numbers (method, splits, seed,
            sessions, preprocessing, interval method, ceiled quantity...).
    """

    benchmark: str
    table: pd.DataFrame
    per_set: pd.DataFrame
    selected: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the tables as lists of records, the selection and the meta data."""

        def records(df: pd.DataFrame) -> list[dict[str, Any]]:
            return [
                {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
                for row in df.to_dict(orient="records")
            ]

        return {
            "benchmark": self.benchmark,
            "layers": records(self.table),
            "per_set": records(self.per_set),
            "selected": self.selected,
            "meta": self.meta,
        }

    def to_score(self, layer: str | None = None) -> Score:
        """A Brain-Score ``Score`` of one layer (default: the selected one), as Brain-Score's
        benchmarks return it: the ceiled score where a ceiling exists, else the raw score;
        ``attrs['raw']`` and ``attrs['ceiling']`` are ``Score`` objects."""
        if layer is None:
            rows = self.table[self.table["selected"].astype(bool)]
        else:
            rows = self.table[self.table["layer"] == layer]
        if len(rows) != 1:
            raise ValueError(f"no single row for layer {layer!r}; have {list(self.table.layer)}")
        row = rows.iloc[0]
        raw = Score(float(row["score"]))
        raw.attrs["error"] = float(row.get("error", np.nan))
        raw.attrs["ci_low"] = float(row.get("ci_low", np.nan))
        raw.attrs["ci_high"] = float(row.get("ci_high", np.nan))
        ceiling = Score(float(row.get("ceiling", np.nan)))
        ceiling.attrs["error"] = float(row.get("ceiling_error", np.nan))
        ceiled = bool(np.isfinite(float(ceiling)))
        score = Score(float(row["explained_variance"]) if ceiled else float(raw))
        score.attrs[Score.RAW_VALUES_KEY] = raw
        score.attrs["ceiling"] = ceiling
        score.attrs["error"] = raw.attrs["error"]  # as Brain-Score's explained_variance
        score.attrs["ceiled"] = ceiled
        score.attrs["quantity"] = CEILED_QUANTITY if ceiled else "raw score (no ceiling)"
        score.attrs["layer"] = str(row["layer"])
        score.attrs["benchmark"] = self.benchmark
        for key in ("interval", "preprocessing", "sessions"):
            if key in self.meta:
                score.attrs[key] = self.meta[key]
        if ceiled:
            score.attrs["ci_low"] = float(row.get("ev_ci_low", np.nan))
            score.attrs["ci_high"] = float(row.get("ev_ci_high", np.nan))
        return score


class NeuralBenchmark(BenchmarkBase):
    """Base class of neuroalign's benchmarks (see the module docstring).

    Subclasses set :attr:`region`, implement :meth:`stimulus_sets`, :meth:`score_set`,
    :meth:`pool` and :meth:`meta`.
    """

    #: The brain region a ``BrainModel`` is recorded in.
    region: str = ""
    #: Degrees of visual angle the stimuli span (their whole image).
    visual_degrees: float = VISUAL_DEGREES
    #: Recording window asked of a ``BrainModel`` (ms).
    time_bins: tuple[tuple[int, int], ...] = ((70, 170),)

    # -- to implement ------------------------------------------------------------------------
    def stimulus_sets(self) -> dict[str, Any]:
        """set name (e.g. session) -> Brain-Score ``StimulusSet``."""
        raise NotImplementedError

    def score_set(self, name: str, layers: Mapping[str, Any]) -> Any:
        """Score ``{layer: DataArray}`` on stimulus set ``name`` (whatever :meth:`pool` takes)."""
        raise NotImplementedError

    def pool(self, scored: Sequence[Any]) -> BenchmarkResult:
        """Pool the outputs of :meth:`score_set` over stimulus sets into one result."""
        raise NotImplementedError

    def meta(self) -> dict[str, Any]:
        raise NotImplementedError

    # -- the three entry points --------------------------------------------------------------
    def score_features(self, features: Mapping[str, Mapping[str, Any]]) -> BenchmarkResult:
        """Score layers from features: ``{set: {layer: DataArray presentation x neuroid}}``."""
        from neuroalign.errors import DataError

        missing = [s for s in self.stimulus_sets() if s not in features]
        if missing:
            raise DataError(f"{self.identifier}: no features for stimulus set(s) {missing}")
        return self.pool([self.score_set(name, features[name]) for name in self.stimulus_sets()])

    def preprocessing(self, loaded: Any) -> Any:
        """The preprocessing a neuroalign model is scored with: its own input size and
        statistics, the whole stimulus resized to the input (no crop)."""
        return loaded.preprocessing.full_field()

    def score_model(
        self,
        model: Any,
        layers: Sequence[str],
        batch_size: int = 64,
        reduction: Any = None,
        progress: bool = False,
        *,
        cache: bool | Any = False,
        device: Any = None,
        num_workers: int | None = None,
    ) -> BenchmarkResult:
        """Extract ``layers`` of a :class:`~neuroalign.extract.LoadedModel` with
        :meth:`preprocessing` (one pass per stimulus set, one set in memory at a time) and
        score them. ``cache`` as :func:`neuroalign.extract.extract_activations`."""
        from neuroalign.extract import extract_activations

        loaded = dataclasses.replace(model, preprocessing=self.preprocessing(model))
        scored = []
        for name, stimuli in self.stimulus_sets().items():
            acts = extract_activations(
                loaded, stimuli, list(layers), batch_size, device, num_workers=num_workers,
                reduction=reduction, cache=cache, progress=progress,
            )  # fmt: skip
            scored.append(self.score_set(name, acts))
            del acts
        result = self.pool(scored)
        result.meta["preprocessing"] = loaded.preprocessing.describe()
        return result

    def score_brain_model(self, candidate: Any) -> BenchmarkResult:
        """Score a Brain-Score ``BrainModel``: its layer committed to :attr:`region`."""
        from brainscore_vision.benchmark_helpers.screen import place_on_screen

        candidate.start_recording(self.region, time_bins=list(self.time_bins))
        label = committed_layer(candidate, self.region)
        scored = []
        for name, stimuli in self.stimulus_sets().items():
            stimuli = place_on_screen(
                stimuli,
                target_visual_degrees=candidate.visual_degrees(),
                source_visual_degrees=self.visual_degrees,
            )
            acts = candidate.look_at(stimuli, number_of_trials=1)
            if "time_bin" in acts.dims:
                acts = (
                    acts.mean("time_bin")
                    if acts.sizes["time_bin"] > 1
                    else acts.squeeze("time_bin", drop=True)
                )
            scored.append(self.score_set(name, {label: acts}))
        result = self.pool(scored)
        result.meta["preprocessing"] = (
            f"the Brain-Score model's own ({getattr(candidate, 'identifier', '?')}), stimuli "
            f"placed on screen at {self.visual_degrees} degrees for a model of "
            f"{candidate.visual_degrees()} degrees"
        )
        return result

    def __call__(self, candidate: Any) -> Score:
        """Brain-Score's entry point: see :meth:`BenchmarkResult.to_score`."""
        return self.score_brain_model(candidate).to_score()


def committed_layer(candidate: Any, region: str) -> str:
    """A readable name of the layer a ``BrainModel`` committed to ``region``."""
    for holder in (candidate, getattr(candidate, "layer_model", None)):
        try:
            return f"{holder.region_layer_map[region]} (committed to {region})"
        except (AttributeError, KeyError, TypeError):
            continue
    return f"(committed to {region})"
