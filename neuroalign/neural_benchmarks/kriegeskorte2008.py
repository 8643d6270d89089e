"""``Kriegeskorte2008.IT-rsa``: model RDMs vs monkey and human IT RDMs on the 92 images.

Data: Kriegeskorte, Mur, Ruff, Kiani, Bodurka, Esteky, Tanaka & Bandettini (2008), "Matching
categorical object representations in inferior temporal cortex of man and monkey", Neuron
60(6); monkey IT from Kiani et al. (2007), human IT from fMRI. Both RDMs are 1 - Pearson r.

Scoring (rsatoolbox conventions, Nili et al. 2014): the model layer's RDM is the correlation
distance (1 - Pearson r) between its activation patterns
(:func:`neuroalign.rsa.compute_rdm`); it is compared with each brain RDM by the Spearman
correlation of the upper triangles (:func:`neuroalign.rsa.compare_rdms`). The benchmark score
is the **mean of the monkey-IT and human-IT correlations**; both are reported. Confidence
intervals come from a bootstrap over stimuli (:func:`neuroalign.rsa.bootstrap_compare`). There
is one RDM per species, so no noise ceiling can be estimated (NaN). No parameters are fitted,
so the "selected" layer is simply the best one (selection on the same data: optimistic).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from brainscore_core.metrics import Score

from neuroalign.errors import DataError
from neuroalign.neural_benchmarks.base import BenchmarkResult, NeuralBenchmark

__all__ = ["BIBTEX", "BRAIN_RDMS", "Kriegeskorte2008IT"]

BIBTEX = """@article{kriegeskorte2008matching,
  title={Matching categorical object representations in inferior temporal cortex of man and monkey},
  author={Kriegeskorte, Nikolaus and Mur, Marieke and Ruff, Douglas A and Kiani, Roozbeh and
          Bodurka, Jerzy and Esteky, Hossein and Tanaka, Keiji and Bandettini, Peter A},
  journal={Neuron}, volume={60}, number={6}, pages={1126--1141}, year={2008}
}"""

BRAIN_RDMS = ("monkey_IT", "human_IT")


def _rdm(features: np.ndarray) -> np.ndarray:
    from neuroalign.rsa import compute_rdm

    return np.asarray(compute_rdm(features, "correlation"))


#: How the interval of the RSA scores is built (written into every result).
INTERVAL = (
    "percentile bootstrap over the 92 stimuli (rsatoolbox's eval_bootstrap_pattern convention; "
    "the brain RDMs are group RDMs, so subjects cannot be resampled): covers stimulus sampling"
)


class Kriegeskorte2008IT(NeuralBenchmark):
    """RSA of a model layer against monkey and human IT (a Brain-Score ``Benchmark``).

    Args:
        root: data folder (default: the neuroalign data home / mirror).
        n_boot: bootstrap samples over stimuli for CIs (0: none).
        seed: bootstrap seed.
    """

    region = "IT"
    stimulus_set_name = "kriegeskorte2008"

    def __init__(self, root: Any = None, n_boot: int = 0, seed: int = 0) -> None:
        super().__init__(
            identifier="Kriegeskorte2008.IT-rsa",
            ceiling=None,
            version=1,
            parent="IT",
            bibtex=BIBTEX,
        )
        self.root, self.n_boot, self.seed = root, n_boot, seed
        self._data = None

    @staticmethod
    def check_data(root: Any = None) -> str:
        """Where the data comes from; raises the loader's :class:`DataError` when unreachable."""
        from neuroalign.data import load_kriegeskorte2008

        load_kriegeskorte2008(root)
        return "neuroalign data (mirror / data home)" if root is None else f"data in {root}"

    @property
    def data(self) -> Any:
        if self._data is None:
            from neuroalign.data import load_kriegeskorte2008

            self._data = load_kriegeskorte2008(self.root)
        return self._data

    @property
    def ceiling(self) -> Score:
        score = Score(np.nan)
        score.attrs["note"] = "one RDM per species: no noise ceiling can be estimated"
        return score

    def stimulus_sets(self) -> dict[str, Any]:
        return {self.stimulus_set_name: self.data.stimulus_set}

    def _patterns(self, features: Any) -> np.ndarray:
        ids = [str(s) for s in self.data.stimulus_set["stimulus_id"]]
        if hasattr(features, "dims"):
            if features.dims[0] != "presentation":
                features = features.transpose("presentation", ...)
            fid = [str(s) for s in features["stimulus_id"].values]
            index = {s: i for i, s in enumerate(fid)}
            missing = [s for s in ids if s not in index]
            if missing:
                raise DataError(
                    f"{self.identifier}: {len(missing)} of {len(ids)} stimuli have no features, "
                    f"e.g. {missing[:5]}"
                )
            values = np.asarray(features.values).reshape(features.shape[0], -1)[
                [index[s] for s in ids]
            ]
        else:
            values = np.asarray(features).reshape(len(features), -1)
            if values.shape[0] != len(ids):
                raise DataError(
                    f"{self.identifier}: expected {len(ids)} rows, got {values.shape[0]}"
                )
        if not np.isfinite(values).all():
            raise DataError(f"{self.identifier}: features contain NaN/inf")
        return values.astype(np.float64)

    def compare(self, features: Any) -> dict[str, float]:
        """Spearman r of the layer's RDM with each brain RDM, and their mean (``score``)."""
        return self._compare_rdm(_rdm(self._patterns(features)))

    def _compare_rdm(self, rdm: np.ndarray) -> dict[str, float]:
        from neuroalign.rsa import compare_rdms

        out = {
            name: float(compare_rdms(rdm, self.data.brain_rdms[name], "spearman"))
            for name in BRAIN_RDMS
        }
        out["score"] = float(np.mean([out[n] for n in BRAIN_RDMS]))
        return out

    def score_features(
        self, features: Mapping[str, Mapping[str, Any]] | Mapping[str, Any]
    ) -> BenchmarkResult:
        """Score layers: ``{"kriegeskorte2008": {layer: DataArray}}`` or ``{layer: DataArray}``."""
        if self.stimulus_set_name not in features:
            features = {self.stimulus_set_name: features}
        return super().score_features(features)

    def score_set(self, name: str, layers: Mapping[str, Any]) -> pd.DataFrame:
        """RSA scores of every layer on the 92 images (one row per layer)."""
        rows = []
        rdms = {}
        for depth, (layer, feats) in enumerate(layers.items()):
            rdms[layer] = _rdm(self._patterns(feats))  # once per layer: a (92, p) float64 copy
            comp = self._compare_rdm(rdms[layer])
            rows.append(
                {
                    "layer": layer,
                    "depth": depth,
                    "method": "rsa-spearman",
                    "score": comp["score"],
                    "error": float("nan"),
                    "ci_low": float("nan"),
                    "ci_high": float("nan"),
                    "ceiling": float("nan"),
                    "ceiling_error": float("nan"),
                    "explained_variance": float("nan"),
                    "ev_ci_low": float("nan"),
                    "ev_ci_high": float("nan"),
                    "monkey_IT": comp["monkey_IT"],
                    "human_IT": comp["human_IT"],
                    "n_stimuli": len(self.data.stimulus_set),
                }
            )
        table = pd.DataFrame(rows)
        if self.n_boot and rows:
            from neuroalign.rsa import bootstrap_compare

            brain = [self.data.brain_rdms[n] for n in BRAIN_RDMS]
            boot = bootstrap_compare(
                np.stack(list(rdms.values())),
                brain,
                "spearman",
                n_bootstrap=self.n_boot,
                seed=self.seed,
            )
            table["ci_low"] = np.asarray(boot.ci_low)
            table["ci_high"] = np.asarray(boot.ci_high)
            table["error"] = np.nanstd(boot.samples, axis=0)
        return table.assign(session=name)

    def pool(self, scored: Sequence[pd.DataFrame]) -> BenchmarkResult:
        """One stimulus set: the table itself, the best layer marked (no fitting: optimistic)."""
        (per_set,) = scored
        table = per_set.drop(columns="session")
        table["selected"] = False
        if len(table):
            table.loc[int(table["score"].to_numpy().argmax()), "selected"] = True
        best = table.loc[table.selected].iloc[0] if len(table) else None
        selected = {
            "layer": None if best is None else best["layer"],
            "score": float("nan") if best is None else float(best["score"]),
            "explained_variance": float("nan"),
            "how": "best layer on the same 92 images (no fitting; optimistic)",
        }
        return BenchmarkResult(self.identifier, table, per_set, selected, self.meta())

    def meta(self) -> dict[str, Any]:
        return {
            "benchmark": self.identifier,
            "rdm": "correlation distance (1 - Pearson r)",
            "comparison": "Spearman r of upper triangles; score = mean over monkey IT, human IT",
            "interval": INTERVAL,
            "interval_note": "95% CI: bootstrap over the 92 stimuli",
            "ceiled_score": "none: one group RDM per species, no noise ceiling can be estimated",
            "n_boot": self.n_boot,
            "seed": self.seed,
            "visual_degrees": self.visual_degrees,
        }
