"""``Cowley2023.V4-ridge`` / ``Cowley2023.V4-pls``: macaque V4 responses to natural images.

Data: Cowley, Stan, Pillow & Smith (2023), "Compact deep neural network models of visual
cortex" (bioRxiv 2023.11): Utah-array spike counts in V4 of three monkeys, repeat-averaged, one
assembly per recording session (each session has its own images and neurons).

Scoring: every session is scored on its own with Brain-Score's scheme (10 random 90/10 splits
with ``random_state=1``, no stratification since the images have no object labels, per-neuroid
Pearson r, median over neuroids, mean over splits; the mapping is ridge with a per-neuroid alpha
or Brain-Score's 25-component PLS). Sessions are then pooled by the **mean over sessions** of
the session scores (each session weighs the same whatever its neuron count; the error is the
standard error over sessions, or the session's own error when there is one session).
Ceilings exist only where single trials do (session 210325): Brain-Score's split-half
``InternalConsistency``; the ceiled score is Brain-Score's explained variance ``r² / ceiling``
(``r / ceiling`` is reported too). In the pooled row the ceiled values average over the
sessions that have a ceiling.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from brainscore_core.benchmarks import BenchmarkBase
from brainscore_core.metrics import Score

from neuroalign.encoding import (
    BRAINSCORE_SEED,
    Ceiling,
    bootstrap_score,
    ceiled_scores,
    layer_sweep,
    split_half_ceiling,
)
from neuroalign.errors import DataError

__all__ = ["BIBTEX", "TIME_BINS", "BenchmarkResult", "Cowley2023V4", "pool_sessions"]

BIBTEX = """@article{cowley2023compact,
  title={Compact deep neural network models of visual cortex},
  author={Cowley, Benjamin R and Stan, Patricia L and Pillow, Jonathan W and Smith, Matthew A},
  journal={bioRxiv},
  year={2023},
  url={https://github.com/cowleygroup/V4_compact_models}
}"""

#: The recording window Brain-Score's static V4 benchmarks ask models for.
TIME_BINS = [(70, 170)]


@dataclass(frozen=True)
class BenchmarkResult:
    """Scores of several layers on one benchmark.

    Attributes:
        benchmark: the benchmark identifier.
        table: pooled scores, one row per layer (``score`` raw r, ``error``, ``ci_low``,
            ``ci_high``, ``ceiling``, ``explained_variance``, ``r_over_ceiling``,
            ``train_score``, ``selected``...).
        per_set: the same per stimulus set (session), with a ``session`` column.
        selected: the layer chosen on training data only and its unbiased score.
        meta: everything needed to reproduce (method, splits, seed, sessions, ...).
    """

    benchmark: str
    table: pd.DataFrame
    per_set: pd.DataFrame
    selected: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)
    bootstrap_samples: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
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


#: How the reported layer and score are chosen (written into every result).
SELECTION_RULE = (
    "per session and split, the layer with the best training-only score (ridge: LOO r; "
    "PLS: inner 90/10 hold-out); its held-out score, mean over splits, then mean over sessions"
)


def pool_sessions(
    per_session: pd.DataFrame, boot: Mapping[tuple[str, str], np.ndarray]
) -> pd.DataFrame:
    """Pool a (session, layer) table into one row per layer: mean over sessions (see module)."""
    rows = []
    for depth, (layer, group) in enumerate(per_session.groupby("layer", sort=False)):
        scores = group["score"].to_numpy()
        n = len(scores)
        error = float(np.std(scores) / np.sqrt(n)) if n > 1 else float(group["error"].iloc[0])
        samples = [boot[(s, layer)] for s in group["session"] if (s, layer) in boot]
        ci_low = ci_high = float("nan")
        if samples:
            pooled = np.nanmean(np.stack(samples), axis=0)
            ci_low, ci_high = (float(v) for v in np.nanquantile(pooled, [0.025, 0.975]))
        ceiled = group[np.isfinite(group["ceiling"])]
        rows.append(
            {
                "layer": layer,
                "depth": depth,
                "method": group["method"].iloc[0],
                "score": float(scores.mean()),
                "error": error,
                "ci_low": ci_low,
                "ci_high": ci_high,
                "ceiling": float(ceiled["ceiling"].mean()) if len(ceiled) else float("nan"),
                "explained_variance": float(ceiled["explained_variance"].mean())
                if len(ceiled)
                else float("nan"),
                "r_over_ceiling": float(ceiled["r_over_ceiling"].mean())
                if len(ceiled)
                else float("nan"),
                "train_score": float(group["train_score"].mean()),
                "times_selected": int(group["times_selected"].sum()),
                "n_sessions": n,
                "n_neuroids": int(group["n_neuroids"].sum()),
                "n_stimuli": int(group["n_stimuli"].sum()),
                "n_features": int(group["n_features"].iloc[0]),
            }
        )
    table = pd.DataFrame(rows)
    table["selected"] = False
    if len(table):
        table.loc[int(table["times_selected"].to_numpy().argmax()), "selected"] = True
    return table


class Cowley2023V4(BenchmarkBase):
    """V4 predictivity on Cowley et al. (2023), a Brain-Score ``Benchmark``.

    ``benchmark(brain_model)`` runs it on any Brain-Score ``BrainModel`` (it records "V4" in
    70-170 ms and scores the committed layer); :meth:`score_features` / :meth:`score_model`
    score many layers of a neuroalign model from one extraction per session.

    Args:
        method: ``"ridge"`` or ``"pls"``.
        sessions: session ids (default: every session in the data).
        root: data folder (default: the neuroalign data home / mirror).
        n_splits, test_size, seed: Brain-Score's split scheme (10, 0.1, 1).
        n_boot: bootstrap samples over test stimuli for CIs (0: none).
    """

    region = "V4"

    def __init__(
        self,
        method: str = "ridge",
        sessions: Sequence[str] | None = None,
        root: Any = None,
        n_splits: int = 10,
        test_size: float = 0.1,
        seed: int = BRAINSCORE_SEED,
        n_boot: int = 0,
    ) -> None:
        if method not in ("ridge", "pls"):
            raise ValueError(f"method must be 'ridge' or 'pls', got {method!r}")
        super().__init__(
            identifier=f"Cowley2023.V4-{method}",
            ceiling=None,
            version=1,
            parent="V4",
            bibtex=BIBTEX,
        )
        self.method = method
        self.root = root
        self._sessions = tuple(sessions) if sessions else None
        self.n_splits, self.test_size, self.seed, self.n_boot = n_splits, test_size, seed, n_boot
        self._assemblies: dict[str, Any] | None = None
        self._ceilings: dict[str, Ceiling] | None = None

    # -- data --------------------------------------------------------------------------------
    @property
    def sessions(self) -> tuple[str, ...]:
        if self._sessions is None:
            from neuroalign.data import cowley2023_sessions

            self._sessions = tuple(cowley2023_sessions(self.root))
        return self._sessions

    @property
    def assemblies(self) -> dict[str, Any]:
        """session -> repeat-averaged NeuroidAssembly (presentation x neuroid)."""
        if self._assemblies is None:
            from neuroalign.data import load_cowley2023

            self._assemblies = load_cowley2023(self.root, sessions=list(self.sessions))
        return self._assemblies

    def stimulus_sets(self) -> dict[str, Any]:
        """session -> Brain-Score StimulusSet of that session's images."""
        return {s: a.attrs["stimulus_set"] for s, a in self.assemblies.items()}

    @property
    def ceilings(self) -> dict[str, Ceiling]:
        """session -> split-half ceiling, for the sessions with single trials."""
        if self._ceilings is None:
            from neuroalign.data import load_cowley2023_trials

            try:  # every session with single trials, then keep ours
                trials = load_cowley2023_trials(self.root)
            except (DataError, FileNotFoundError, ValueError, KeyError):
                trials = {}
            self._ceilings = {
                s: split_half_ceiling(t, seed=self.seed)
                for s, t in trials.items()
                if s in self.sessions
            }
        return self._ceilings

    @property
    def ceiling(self) -> Score:
        """Mean split-half ceiling of the sessions that have trials (NaN if none)."""
        values = [c.center for c in self.ceilings.values()]
        errors = [c.error for c in self.ceilings.values()]
        score = Score(float(np.mean(values)) if values else np.nan)
        score.attrs["error"] = float(np.mean(errors)) if errors else np.nan
        score.attrs["sessions"] = list(self.ceilings)
        return score

    # -- fast path: features of many layers --------------------------------------------------
    def score_features(self, features: Mapping[str, Mapping[str, Any]]) -> BenchmarkResult:
        """Score layers from features: ``{session: {layer: DataArray presentation x neuroid}}``."""
        missing = [s for s in self.sessions if s not in features]
        if missing:
            raise DataError(f"{self.identifier}: no features for session(s) {missing}")
        frames, boot, selected = [], {}, {}
        for session in self.sessions:
            ceiling = self.ceilings.get(session)
            df = layer_sweep(
                features[session],
                self.assemblies[session],
                self.method,
                self.n_splits,
                self.test_size,
                self.seed,
                n_boot=0,
                ceiling=ceiling,
            )
            if self.n_boot:
                for layer, result in df.attrs["results"].items():
                    preds = result.test_predictions
                    low, high, samples = bootstrap_score(
                        [p for _, p, _ in preds], [t for _, _, t in preds], self.n_boot, self.seed
                    )
                    df.loc[df.layer == layer, ["ci_low", "ci_high"]] = [low, high]
                    boot[(session, layer)] = samples
            selected[session] = df.attrs["selected"]
            df.attrs.clear()  # (holds arrays; pandas compares attrs when concatenating)
            df.insert(0, "session", session)
            frames.append(df)
        per_set = pd.concat(frames, ignore_index=True)
        return _pooled_result(self, per_set, boot, selected)

    def score_model(
        self,
        model: Any,
        layers: Sequence[str],
        batch_size: int = 64,
        reduction: Any = None,
        progress: bool = False,
    ) -> BenchmarkResult:
        """Extract ``layers`` of a :class:`~neuroalign.extract.LoadedModel` (one pass per
        session) and :meth:`score_features`. Sessions are processed one at a time."""
        from neuroalign.extract import extract_activations

        results = []
        for session, stimuli in self.stimulus_sets().items():
            acts = extract_activations(
                model, stimuli, list(layers), batch_size, reduction=reduction, progress=progress
            )
            sub = _single_session(self, session)
            results.append(sub.score_features({session: acts}))
            del acts
        return _merge(self, results)

    def meta(self) -> dict[str, Any]:
        return {
            "benchmark": self.identifier,
            "method": self.method,
            "sessions": list(self.sessions),
            "pooling": "mean over sessions",
            "n_splits": self.n_splits,
            "test_size": self.test_size,
            "seed": self.seed,
            "splitter": "sklearn ShuffleSplit(train_size=1-test_size, random_state=seed)",
            "n_boot": self.n_boot,
            "ceilings": {
                s: {"center": c.center, "error": c.error} for s, c in self.ceilings.items()
            },
            "ceiled_score": "explained variance r^2 / ceiling (Brain-Score); r / ceiling also given",
        }

    # -- Brain-Score path --------------------------------------------------------------------
    def __call__(self, candidate: Any) -> Score:
        """Score a Brain-Score ``BrainModel`` (its committed V4 layer) on every session.

        Returns the pooled raw r (mean over sessions) with attrs: ``error``, ``raw`` (per
        session r), ``ceiling``, ``explained_variance`` (over sessions with a ceiling).
        """
        from neuroalign.encoding import cross_validated_score

        candidate.start_recording(self.region, time_bins=TIME_BINS)
        per_session, ceiled = {}, []
        for session, stimuli in self.stimulus_sets().items():
            acts = candidate.look_at(stimuli, number_of_trials=1)
            if "time_bin" in acts.dims:
                acts = (
                    acts.squeeze("time_bin", drop=True)
                    if acts.sizes["time_bin"] == 1
                    else (acts.mean("time_bin"))
                )
            result = cross_validated_score(
                acts, self.assemblies[session], self.method, self.n_splits, self.test_size,
                self.seed,
            ).with_ceiling(self.ceilings.get(session))  # fmt: skip
            per_session[session] = result
            if np.isfinite(result.ceiling):
                ceiled.append(ceiled_scores(result.center, result.ceiling)["explained_variance"])
        values = np.array([r.center for r in per_session.values()])
        score = Score(float(values.mean()))
        score.attrs["error"] = (
            float(values.std() / np.sqrt(len(values)))
            if len(values) > 1
            else next(iter(per_session.values())).error
        )
        score.attrs["raw"] = {s: r.center for s, r in per_session.items()}
        score.attrs["ceiling"] = self.ceiling
        score.attrs["explained_variance"] = float(np.mean(ceiled)) if ceiled else float("nan")
        return score


def _single_session(bench: Cowley2023V4, session: str) -> Cowley2023V4:
    sub = Cowley2023V4(
        bench.method,
        [session],
        bench.root,
        bench.n_splits,
        bench.test_size,
        bench.seed,
        bench.n_boot,
    )
    sub._assemblies = {session: bench.assemblies[session]}
    sub._ceilings = {k: v for k, v in bench.ceilings.items() if k == session}
    return sub


def _merge(bench: Cowley2023V4, results: Iterable[BenchmarkResult]) -> BenchmarkResult:
    results = list(results)
    per_set = pd.concat([r.per_set for r in results], ignore_index=True)
    boot: dict[tuple[str, str], np.ndarray] = {}
    for r in results:
        boot.update(r.bootstrap_samples)
    selected = {}
    for r in results:
        selected.update(r.selected["per_session"])
    return _pooled_result(bench, per_set, boot, selected)


def _pooled_result(
    bench: Cowley2023V4,
    per_set: pd.DataFrame,
    boot: dict[tuple[str, str], np.ndarray],
    selected: dict[str, dict[str, Any]],
) -> BenchmarkResult:
    """Pool per-session layer tables and summarise the training-selected layer."""
    table = pool_sessions(per_set, boot)
    sel_scores = [v["score"] for v in selected.values()]
    ceiled = [v["explained_variance"] for v in selected.values() if np.isfinite(v["ceiling"])]
    summary = {
        "layer": table.loc[table.selected, "layer"].item() if len(table) else None,
        "score": float(np.mean(sel_scores)),
        "explained_variance": float(np.mean(ceiled)) if ceiled else float("nan"),
        "per_session": selected,
        "how": SELECTION_RULE,
    }
    return BenchmarkResult(bench.identifier, table, per_set, summary, bench.meta(), boot)
