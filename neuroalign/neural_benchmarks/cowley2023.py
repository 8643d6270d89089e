"""``Cowley2023.V4-pls`` / ``Cowley2023.V4-ridge``: macaque V4 responses to natural images.

Data: Cowley, Stan, Pillow & Smith (2023), "Compact deep neural network models of visual
cortex" (bioRxiv 2023.11): Utah-array spike counts in V4 of three monkeys, repeat-averaged, one
assembly per recording session (each session has its own images and neurons). The images are
112 x 112 px; the data do not give their size in degrees, so the benchmark takes them to span
the model's whole field of view (Brain-Score's 8 degrees): they are resized to the model's
input with no crop.

Scoring: every session is scored on its own with Brain-Score's scheme (10 random 90/10 splits
with ``random_state=1``, no stratification since the images have no object labels, per-neuroid
Pearson r, median over neuroids, mean over splits). The mapping is Brain-Score's 25-component
PLS (``-pls``: Brain-Score's V4 metric, so its numbers can be put next to Brain-Score's) or
ridge with one alpha per neuroid chosen by exact leave-one-out (``-ridge``: a regularised map
that uses every feature, often higher on wide layers; not Brain-Score's metric).
Sessions are pooled by the **mean over sessions** of the session scores (each session weighs
the same whatever its neuron count).

Uncertainty: one session: the interval of :func:`neuroalign.encoding.score_interval` (stimuli,
fits, splits and neuroids); several sessions: a Student-t interval over the session scores.
Ceilings exist only where single trials do (session 210325): Brain-Score's split-half
``InternalConsistency``; the ceiled score is Brain-Score's explained variance
``r² / ceiling``. A pooled row is ceiled only when every pooled session has a ceiling.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from brainscore_core.metrics import Score

from neuroalign.encoding import (
    BRAINSCORE_SEED,
    INTERVAL_METHOD,
    Ceiling,
    layer_sweep,
    sessions_interval,
    split_half_ceiling,
)
from neuroalign.errors import DataError
from neuroalign.neural_benchmarks.base import (
    CEILED_QUANTITY,
    BenchmarkResult,
    NeuralBenchmark,
    ceiled_interval,
)

__all__ = ["BIBTEX", "SELECTION_RULE", "Cowley2023V4", "pool_sessions"]

BIBTEX = """@article{cowley2023compact,
  title={Compact deep neural network models of visual cortex},
  author={Cowley, Benjamin R and Stan, Patricia L and Pillow, Jonathan W and Smith, Matthew A},
  journal={bioRxiv},
  year={2023},
  url={https://github.com/cowleygroup/V4_compact_models}
}"""

#: How the reported layer and score are chosen (written into every result).
SELECTION_RULE = (
    "per session and split, the layer with the best training-only score (ridge: LOO r; "
    "PLS: inner 90/10 hold-out); its held-out score, mean over splits, then mean over sessions"
)


def pool_sessions(per_session: pd.DataFrame) -> pd.DataFrame:
    """Pool a (session, layer) table into one row per layer: the mean over sessions.

    ``error`` is the session's own (Brain-Score's SEM over splits) for one session and the
    standard error over sessions for several; the interval is the session's own
    (:func:`~neuroalign.encoding.score_interval`) or the t-interval over sessions. Ceiled
    values are the mean over sessions of r² / ceiling, only when every session has a ceiling.
    """
    rows = []
    for depth, (layer, group) in enumerate(per_session.groupby("layer", sort=False)):
        scores = group["score"].to_numpy()
        k = len(scores)
        ceiled = bool(np.isfinite(group["ceiling"]).all())
        ev = group["explained_variance"].to_numpy()
        if k == 1:
            row = group.iloc[0]
            error, ci_low, ci_high = (float(row[c]) for c in ("error", "ci_low", "ci_high"))
            ev_low, ev_high = ceiled_interval(ci_low, ci_high, float(row["ceiling"]))
        else:
            ci_low, ci_high, error = sessions_interval(scores)
            ev_low, ev_high, _ = sessions_interval(ev) if ceiled else (np.nan, np.nan, np.nan)
        rows.append(
            {
                "layer": layer,
                "depth": depth,
                "method": group["method"].iloc[0],
                "score": float(scores.mean()),
                "error": error,
                "ci_low": ci_low,
                "ci_high": ci_high,
                "ceiling": float(group["ceiling"].mean()) if ceiled else np.nan,
                "ceiling_error": float(group["ceiling_error"].mean()) if ceiled else np.nan,
                "explained_variance": float(ev.mean()) if ceiled else np.nan,
                "ev_ci_low": ev_low,
                "ev_ci_high": ev_high,
                "train_score": float(group["train_score"].mean()),
                "times_selected": int(group["times_selected"].sum()),
                "n_sessions": k,
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


class Cowley2023V4(NeuralBenchmark):
    """V4 predictivity on Cowley et al. (2023), a Brain-Score ``Benchmark`` (see the module).

    Args:
        method: ``"pls"`` (Brain-Score's V4 metric) or ``"ridge"``.
        sessions: session ids (default: every session in the data).
        root: data folder (default: the neuroalign data home / mirror).
        n_splits, test_size, seed: Brain-Score's split scheme (10, 0.1, 1).
        n_boot: neuroid resamples of the one-session interval (0: no interval for one session).
    """

    region = "V4"

    def __init__(
        self,
        method: str = "pls",
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
        self._sessions = tuple(str(s) for s in sessions) if sessions else None
        self.n_splits, self.test_size, self.seed, self.n_boot = n_splits, test_size, seed, n_boot
        self._assemblies: dict[str, Any] | None = None
        self._ceilings: dict[str, Ceiling] | None = None

    # -- data --------------------------------------------------------------------------------
    @staticmethod
    def check_data(root: Any = None, sessions: Sequence[str] | None = None) -> str:
        """Where the data comes from; raises :class:`DataError` naming the folder and what is
        in it when ``root`` holds no usable session."""
        from neuroalign.data import cowley2023_sessions, load_cowley2023

        if root is None:
            return "neuroalign data (mirror / data home)"
        folder = Path(root).expanduser()
        if not folder.is_dir():
            raise DataError(f"{folder}: no such folder (expected Cowley et al. 2023 V4 data)")
        if sessions:
            load_cowley2023(folder, sessions)  # the loader names what is missing
        elif not cowley2023_sessions(folder):
            found = sorted(p.name for p in folder.rglob("*") if p.is_file())
            raise DataError(
                f"{folder}: no complete Cowley et al. 2023 session (each needs "
                f"responses_<session>.npy and images_<session>.zip); found {len(found)} "
                f"file(s){': ' + ', '.join(found[:8]) if found else ''}"
            )
        return f"data in {folder}"

    @property
    def sessions(self) -> tuple[str, ...]:
        if self._sessions is None:
            from neuroalign.data import cowley2023_sessions

            self.check_data(self.root)
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

    # -- the core: one session, then pooling -------------------------------------------------
    def score_set(self, name: str, layers: Mapping[str, Any]) -> tuple[pd.DataFrame, dict]:
        """Every layer on one session (same splits): (per-layer table, training selection)."""
        ceiling = self.ceilings.get(name)
        df = layer_sweep(
            layers,
            self.assemblies[name],
            self.method,
            self.n_splits,
            self.test_size,
            self.seed,
            n_boot=self.n_boot,
            ceiling=ceiling,
        )
        selected = df.attrs["selected"]
        df.attrs.clear()  # (holds arrays; pandas compares attrs when concatenating)
        df.insert(0, "session", name)
        df["ceiling_error"] = ceiling.error if ceiling is not None else np.nan
        return df, selected

    def pool(self, scored: Sequence[tuple[pd.DataFrame, dict]]) -> BenchmarkResult:
        """Pool per-session tables (:func:`pool_sessions`) and the training-selected layer."""
        per_set = pd.concat([df for df, _ in scored], ignore_index=True)
        per_session = {df["session"].iloc[0]: sel for df, sel in scored}
        table = pool_sessions(per_set)
        sel_scores = [v["score"] for v in per_session.values()]
        ceiled = [v["explained_variance"] for v in per_session.values()]
        summary = {
            "layer": table.loc[table.selected, "layer"].item() if len(table) else None,
            "score": float(np.mean(sel_scores)),
            "explained_variance": float(np.mean(ceiled))
            if np.isfinite(ceiled).all()
            else float("nan"),
            "per_session": per_session,
            "how": SELECTION_RULE,
        }
        meta = self.meta()
        k = len(per_session)
        meta["interval_note"] = (
            "95% CI over stimuli, splits and neuroids (corrected resampled variance of the "
            "splits + neuroid bootstrap)"
            if k == 1
            else f"95% CI: Student-t interval over the {k} session scores"
        )
        return BenchmarkResult(self.identifier, table, per_set, summary, meta)

    def meta(self) -> dict[str, Any]:
        return {
            "benchmark": self.identifier,
            "method": self.method,
            "mapping": "PLS, 25 components (Brain-Score's pls)"
            if self.method == "pls"
            else "ridge, one alpha per neuroid by exact leave-one-out",
            "sessions": list(self.sessions),
            "pooling": "mean over sessions",
            "n_splits": self.n_splits,
            "test_size": self.test_size,
            "seed": self.seed,
            "splitter": "sklearn ShuffleSplit(train_size=1-test_size, random_state=seed)",
            "score": "per-neuroid Pearson r on held-out images, median over neuroids, mean "
            "over splits",
            "error": "one session: SEM over splits (Brain-Score's error); several: SEM over "
            "sessions",
            "interval": INTERVAL_METHOD,
            "n_boot": self.n_boot,
            "ceilings": {
                s: {"center": c.center, "error": c.error} for s, c in self.ceilings.items()
            },
            "ceiled_score": CEILED_QUANTITY,
            "visual_degrees": self.visual_degrees,
            "stimuli": "112 px images taken to fill the model's field of view",
        }
