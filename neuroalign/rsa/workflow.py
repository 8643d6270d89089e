"""RSA of a model's layers with monkey and human IT, from a config to a result folder.

:func:`run_rsa` is what ``neuroalign rsa`` does, and what a notebook calls::

    from neuroalign.rsa import RSAConfig, run_rsa

    result = run_rsa(RSAConfig(model="resnet18", n_bootstrap=1000))
    result.table                   # layer x reference: score, CI (pandas)
    result.figures()["rdms"]       # matplotlib figures, shown inline
    result.write("reports/rsa")    # rsa_scores.csv, PNGs, run.json, config.yaml

Steps: the 92 images of Kriegeskorte et al. (2008) with the monkey-IT and human-IT RDMs
(:func:`neuroalign.data.load_kriegeskorte2008`); every layer's activations in one pass
(:func:`neuroalign.extract.extract_activations`, the model's own preprocessing); each layer's
RDM compared with both IT RDMs with bootstrap CIs over stimuli
(:func:`neuroalign.rsa.report.rsa_layer_scores`). The agreement of the two IT RDMs with each
other is reported as a reference point (the data hold group RDMs only, so no noise ceiling).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neuroalign.provenance import model_name, run_record, write_report
from neuroalign.rsa.compare import compare_rdms
from neuroalign.rsa.config import RSAConfig
from neuroalign.rsa.rdm import rdm_dataarray
from neuroalign.rsa.report import layer_rdms, plot_layer_scores, plot_rdms, rsa_layer_scores

__all__ = ["RSAResult", "run_rsa"]

SPECIES_AGREEMENT = "monkey IT vs human IT"


@dataclass(frozen=True)
class RSAResult:
    """What :func:`run_rsa` found.

    Attributes:
        config: the config as run (``layers`` filled in).
        name: the model's name (a checkpoint's training run).
        table: one row per (layer, reference): score, CI, ... (:data:`~neuroalign.rsa.report.TABLE_COLUMNS`
            plus ``model``).
        best_layer: the layer with the highest score, averaged over the references.
        layer_rdms: every layer's RDM (92 x 92), by layer.
        references: the reference RDMs (monkey_IT, human_IT).
        categories: the category of each of the 92 stimuli, in RDM order.
        species_agreement: the two reference RDMs compared with each other (same method).
        record: the provenance record written as ``run.json``.
    """

    config: RSAConfig
    name: str
    table: pd.DataFrame
    best_layer: str
    layer_rdms: dict[str, Any] = field(repr=False)
    references: dict[str, Any] = field(repr=False)
    categories: list[str] = field(repr=False)
    species_agreement: float
    record: dict[str, Any] = field(repr=False)

    @property
    def rdms(self) -> dict[str, Any]:
        """The best layer's RDM and the reference RDMs, by display name."""
        shown = {f"{self.name} {self.best_layer}": self.layer_rdms[self.best_layer]}
        shown.update({ref.replace("_", " "): rdm for ref, rdm in self.references.items()})
        return shown

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"rsa_scores": self.table}

    def figures(self) -> dict[str, Any]:
        """name -> matplotlib Figure: rsa_scores (per layer), rdms (best layer vs IT)."""
        method = self.config.compare
        return {
            "rsa_scores": plot_layer_scores(
                self.table,
                f"{self.name}: RSA with IT (92 images, {method}; band: "
                f"{round(100 * self.config.ci)}% bootstrap CI over stimuli)",
                lines={SPECIES_AGREEMENT: self.species_agreement},
            ),
            "rdms": plot_rdms(
                self.rdms,
                self.categories,
                f"{self.name}: RDMs of the 92 images as rank percentiles (model: "
                f"{self.config.rdm_method} dissimilarity; IT: 1 - Pearson r)",
            ),
        }

    def write(self, out_dir: str | Path | None = None) -> dict[str, Path]:
        """Write rsa_scores.csv, rsa_scores.png, rdms.png, run.json and config.yaml into
        ``out_dir`` (default ``config.out``); returns name -> path."""
        out = Path(out_dir if out_dir is not None else self.config.out)
        return write_report(out, self.record, self.tables(), self.figures(), self.config)


def run_rsa(config: RSAConfig, *, model: Any = None, progress: bool = True) -> RSAResult:
    """RSA of ``config.model``'s layers with monkey and human IT (see the module docstring).

    Args:
        config: what to compare and how.
        model: an already loaded :class:`~neuroalign.extract.LoadedModel` to use instead of
            loading ``config.model`` (e.g. one with other preprocessing).
        progress: a progress bar over the images.
    """
    from neuroalign.data import load_kriegeskorte2008
    from neuroalign.extract import extract_activations, load_model
    from neuroalign.extract.forward import resolve_device

    data = load_kriegeskorte2008(config.data_root)
    ids = np.asarray(data.stimulus_set["stimulus_id"]).astype(str)
    references = {name: rdm_dataarray(rdm, ids) for name, rdm in data.brain_rdms.items()}
    device = resolve_device(config.device)
    loaded = model if model is not None else load_model(config.model, device=device)
    layers = list(config.layers) or loaded.default_layers()
    features = extract_activations(
        loaded,
        data.stimulus_set,
        layers,
        batch_size=config.batch_size,
        device=device,
        progress=progress,
    )
    name = model_name(loaded)
    table = rsa_layer_scores(
        features,
        references,
        config.compare,
        rdm_method=config.rdm_method,
        n_bootstrap=config.n_bootstrap,
        ci=config.ci,
        seed=config.seed,
    )
    table.insert(0, "model", name)
    best = str(table.groupby("layer", sort=False)["score"].mean().idxmax())
    first, second = references.values()
    agreement = float(compare_rdms(first, second, config.compare))
    cfg = dataclasses.replace(config, layers=tuple(layers))
    record = run_record(
        cfg,
        loaded,
        benchmark="Kriegeskorte2008 (92 images; monkey IT, human IT)",
        layers=layers,
        best_layer=best,
        best_layer_rule="highest score averaged over the reference RDMs",
        species_agreement={"references": list(references), "score": agreement},
        scores=table.to_dict(orient="records"),
    )
    categories = data.stimulus_set["category"].astype(str).tolist()
    rdms = layer_rdms(features, config.rdm_method)
    return RSAResult(cfg, name, table, best, rdms, references, categories, agreement, record)
