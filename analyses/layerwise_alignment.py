"""Layer-wise alignment of networks with the visual cortex: V4 predictivity, IT RSA, geometry.

For every model spec and every layer this script computes

* **V4 predictivity** (Cowley, Stan, Pillow & Smith 2023): ridge regression from the layer's
  features to each V4 neuron, Brain-Score's cross-validation (random 90/10 splits, per-neuroid
  Pearson r, median over neuroids, mean over splits), per recording session; where the session
  has single trials also the ceiled explained variance r² / ceiling (split-half reliability,
  Spearman-Brown corrected);
* **IT RSA** (Kriegeskorte et al. 2008): Spearman correlation between the layer's RDM (1 -
  Pearson r) over the 92 images and the monkey-IT and human-IT RDMs, with a bootstrap over
  stimuli for the confidence interval;
* **geometry**: participation ratio and effective rank (Roy & Vetterli 2007) of the layer's
  responses to the V4 images, and the mean-field capacity (Chung, Lee & Sompolinsky 2018) of the
  six category manifolds of the 92 images;

and writes them to ONE tidy CSV (``alignment.csv``: model, layer, metric, value, ci_low,
ci_high, plus depth and dataset), one figure (``alignment.png``: each metric vs layer depth,
one line per model) and the resolved options (``config.yaml``) into ``--out``.

Example::

    python analyses/layerwise_alignment.py --models resnet18,runs/clamp/checkpoints/last.pt \\
        --out results/alignment
    python analyses/layerwise_alignment.py --models resnet18 --out /tmp/la --small   # ~20 s

Everything goes through neuroalign's public API (``neuroalign.extract``, ``.encoding``,
``.rsa``, ``.geometry``); see ``analyses/README.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neuroalign.config import add_config_arguments, config_from_args, save_config
from neuroalign.errors import DataError
from neuroalign.io import atomic_path, atomic_write

__all__ = [
    "COLUMNS",
    "SMALL_IMAGE_SIZE",
    "AlignmentConfig",
    "capacity_rows",
    "dimension_rows",
    "effective_settings",
    "it_rsa_rows",
    "main",
    "plot_alignment",
    "run_alignment",
    "v4_rows",
]

#: Columns of ``alignment.csv``, in order.
COLUMNS = ("model", "layer", "metric", "value", "ci_low", "ci_high", "depth", "dataset")


@dataclass(frozen=True)
class AlignmentConfig:
    """Options of the layer-wise alignment analysis (each is also a ``--flag``)."""

    models: tuple[str, ...] = field(
        default=("resnet18",),
        metadata={"help": "model specs, comma-separated: torchvision arch, checkpoint, timm:NAME"},
    )
    out: Path = field(
        default=Path("runs/layerwise_alignment"),
        metadata={"help": "output folder (alignment.csv, alignment.png, config.yaml)"},
    )
    layers: tuple[str, ...] = field(
        default=("layer1", "layer2", "layer3", "layer4", "avgpool"),
        metadata={"help": "layers in depth order (checkpoint backbones resolve the same names)"},
    )
    sessions: tuple[str, ...] = field(
        default=("210325",),
        metadata={"help": "Cowley 2023 V4 sessions (210325 has single trials -> ceiling)"},
    )
    v4_images: int | None = field(
        default=None, metadata={"help": "use the first N images of each session (None: all)"}
    )
    image_size: int | None = field(
        default=None,
        metadata={"help": "input side in px (resize = crop); None: the model's preprocessing"},
    )
    n_splits: int = field(default=10, metadata={"help": "cross-validation splits (V4)"})
    n_bootstrap: int = field(
        default=1000, metadata={"help": "bootstrap resamples for the CIs (RSA and V4)"}
    )
    capacity: bool = field(default=True, metadata={"help": "compute the manifold capacity"})
    capacity_t: int = field(default=200, metadata={"help": "Gaussian vectors per manifold"})
    seed: int = field(default=0, metadata={"help": "seed of bootstraps and capacity"})
    small: bool = field(
        default=False,
        metadata={
            "help": "quick run: input at most 64 px, 200 V4 images, 4 splits, 100 resamples, "
            "capacity with 50 vectors and no centre-correlation step"
        },
    )
    device: str = field(default="cpu", metadata={"help": "cpu, cuda, ..."})

    def __post_init__(self) -> None:
        if not self.models:
            raise ValueError("--models: give at least one model spec")
        if not self.layers:
            raise ValueError("--layers: give at least one layer")
        if self.n_splits < 2:
            raise ValueError(f"--n-splits must be >= 2, got {self.n_splits}")
        if self.n_bootstrap < 0:
            raise ValueError(f"--n-bootstrap must be >= 0, got {self.n_bootstrap}")
        if self.v4_images is not None and self.v4_images < 20:
            raise ValueError(f"--v4-images must be >= 20 (or None), got {self.v4_images}")


def effective_settings(cfg: AlignmentConfig) -> AlignmentConfig:
    """``cfg`` with the ``--small`` caps applied (unchanged when ``small`` is False)."""
    if not cfg.small:
        return cfg
    return dataclasses.replace(
        cfg,
        v4_images=min(cfg.v4_images or 200, 200),
        n_splits=min(cfg.n_splits, 4),
        n_bootstrap=min(cfg.n_bootstrap, 100),
        capacity_t=min(cfg.capacity_t, 50),
    )


def _row(
    model: str,
    layer: str,
    depth: int,
    metric: str,
    value: float,
    dataset: str,
    ci_low: float = float("nan"),
    ci_high: float = float("nan"),
) -> dict[str, Any]:
    return {
        "model": model,
        "layer": layer,
        "metric": metric,
        "value": float(value),
        "ci_low": float(ci_low),
        "ci_high": float(ci_high),
        "depth": int(depth),
        "dataset": dataset,
    }


def _matrix(assembly: Any) -> np.ndarray:
    """(presentation x neuroid) activations as float64 (n_stimuli, n_features)."""
    return np.asarray(assembly.values, dtype=np.float64).reshape(assembly.shape[0], -1)


# --------------------------------------------------------------------------------------------
# the three analyses; each returns rows of the tidy table
# --------------------------------------------------------------------------------------------
def v4_rows(
    name: str,
    features: dict[str, Any],
    responses: Any,
    session: str,
    cfg: AlignmentConfig,
    ceiling: Any = None,
) -> list[dict[str, Any]]:
    """Ridge predictivity of each layer for one session (Brain-Score's scheme).

    Args:
        features: layer -> (presentation x neuroid) activations to the session's images.
        responses: the session's repeat-averaged (presentation x neuroid) assembly.
        ceiling: a :class:`neuroalign.encoding.Ceiling` of the session, or None.

    Returns rows ``v4_ridge_r`` (CI: bootstrap over test stimuli) and, with a ceiling,
    ``v4_ridge_ceiled_ev`` (r² / ceiling).
    """
    from neuroalign.encoding import layer_sweep

    sweep = layer_sweep(
        features,
        responses,
        method="ridge",
        n_splits=cfg.n_splits,
        seed=1,  # Brain-Score's split seed
        n_boot=cfg.n_bootstrap,
        ceiling=ceiling,
    )
    dataset = f"Cowley2023 V4 {session}"
    rows = []
    for rec in sweep.itertuples():
        rows.append(
            _row(
                name,
                rec.layer,
                rec.depth,
                "v4_ridge_r",
                rec.score,
                dataset,
                rec.ci_low,
                rec.ci_high,
            )
        )
        if np.isfinite(rec.explained_variance):
            rows.append(
                _row(
                    name,
                    rec.layer,
                    rec.depth,
                    "v4_ridge_ceiled_ev",
                    rec.explained_variance,
                    dataset,
                )
            )
    return rows


def it_rsa_rows(
    name: str, features: dict[str, Any], brain_rdms: dict[str, Any], cfg: AlignmentConfig
) -> list[dict[str, Any]]:
    """Spearman RSA of each layer's RDM against monkey and human IT, bootstrap CIs.

    Args:
        features: layer -> activations to the 92 images (``stimulus_id`` coords).
        brain_rdms: name -> RDM DataArray over the same stimulus ids.
    """
    from neuroalign.rsa import rsa_layer_scores

    table = rsa_layer_scores(
        features, brain_rdms, method="spearman", n_bootstrap=cfg.n_bootstrap, seed=cfg.seed
    )
    depth = {layer: i for i, layer in enumerate(features)}
    return [
        _row(
            name,
            rec.layer,
            depth[rec.layer],
            "it_rsa_spearman",
            rec.score,
            f"Kriegeskorte2008 {rec.reference}",
            rec.ci_low,
            rec.ci_high,
        )
        for rec in table.itertuples()
    ]


def dimension_rows(name: str, features: dict[str, Any], dataset: str) -> list[dict[str, Any]]:
    """Participation ratio and effective rank of each layer's (full, flattened) responses."""
    from neuroalign.geometry import effective_rank, participation_ratio

    rows = []
    for depth, (layer, assembly) in enumerate(features.items()):
        X = _matrix(assembly)
        rows.append(
            _row(name, layer, depth, "participation_ratio", participation_ratio(X), dataset)
        )
        rows.append(_row(name, layer, depth, "effective_rank", effective_rank(X), dataset))
    return rows


def capacity_rows(
    name: str, features: dict[str, Any], labels: Sequence[str], cfg: AlignmentConfig
) -> list[dict[str, Any]]:
    """Mean-field capacity of the category manifolds (one manifold per label) in each layer."""
    from neuroalign.geometry import manifold_capacity

    labels = np.asarray(labels)
    groups = [np.flatnonzero(labels == lab) for lab in np.unique(labels)]
    rows = []
    for depth, (layer, assembly) in enumerate(features.items()):
        X = _matrix(assembly)
        res = manifold_capacity(
            [X[g] for g in groups],
            kappa=0.0,
            n_t=cfg.capacity_t,
            seed=cfg.seed,
            center_correlation=not cfg.small,
            device=None if cfg.device == "cpu" else cfg.device,
        )
        rows.append(
            _row(
                name, layer, depth, "manifold_capacity", res.capacity, "Kriegeskorte2008 categories"
            )
        )
    return rows


# --------------------------------------------------------------------------------------------
# orchestration
# --------------------------------------------------------------------------------------------
#: input side used by ``--small`` unless the model's own is smaller or ``--image-size`` is given
SMALL_IMAGE_SIZE = 64


def _load_model(spec: str, image_size: int | None, device: str, small: bool = False) -> Any:
    from neuroalign.extract import load_model
    from neuroalign.preprocessing import Preprocessing

    lm = load_model(spec, device=device)
    if image_size is None and small and lm.preprocessing.image_size > SMALL_IMAGE_SIZE:
        image_size = SMALL_IMAGE_SIZE
    if image_size is not None:
        prep = Preprocessing(
            image_size=image_size,
            resize=image_size,
            mean=lm.preprocessing.mean,
            std=lm.preprocessing.std,
        )
        lm = dataclasses.replace(lm, preprocessing=prep)
    return lm


def _unique_names(specs: Sequence[str], identifiers: Sequence[str]) -> list[str]:
    names: list[str] = []
    for spec, ident in zip(specs, identifiers):
        name = ident if ident not in names else f"{ident} ({spec})"
        names.append(name)
    return names


def run_alignment(cfg: AlignmentConfig, log: Any = print) -> pd.DataFrame:
    """Run every analysis for every model; returns the tidy table (columns :data:`COLUMNS`)."""
    from neuroalign.data import load_cowley2023, load_cowley2023_trials, load_kriegeskorte2008
    from neuroalign.encoding import split_half_ceiling
    from neuroalign.extract import extract_activations
    from neuroalign.rsa import rdm_dataarray

    cfg = effective_settings(cfg)
    layers = list(cfg.layers)

    # the data, loaded once
    k92 = load_kriegeskorte2008()
    ids = k92.stimulus_set["stimulus_id"].tolist()
    brain_rdms = {name: rdm_dataarray(r, ids) for name, r in k92.brain_rdms.items()}
    v4 = load_cowley2023(sessions=list(cfg.sessions))
    missing = set(cfg.sessions) - set(v4)
    if missing:
        raise DataError(f"--sessions: no Cowley 2023 session(s) {sorted(missing)}")
    if cfg.v4_images is not None:
        v4 = {s: a.isel(presentation=slice(0, cfg.v4_images)) for s, a in v4.items()}
    with_trials = [s for s in cfg.sessions if s == "210325"]
    trials = load_cowley2023_trials(sessions=with_trials) if with_trials else {}
    ceilings = {}
    for session, tr in trials.items():
        keep = np.isin(tr["stimulus_id"].values, v4[session]["stimulus_id"].values)
        ceilings[session] = split_half_ceiling(tr.isel(presentation=keep))

    rows: list[dict[str, Any]] = []
    loaded = [
        (_load_model(spec, cfg.image_size, cfg.device, cfg.small), spec) for spec in cfg.models
    ]
    names = _unique_names(cfg.models, [lm.identifier for lm, _ in loaded])
    for (lm, spec), name in zip(loaded, names):
        start = time.perf_counter()
        extract = dict(layers=layers, batch_size=64, device=cfg.device)
        # IT: RSA on the 92 images, capacity of their category manifolds
        k_feats = extract_activations(lm, k92.stimulus_set, **extract)
        rows += it_rsa_rows(name, k_feats, brain_rdms, cfg)
        if cfg.capacity:
            rows += capacity_rows(name, k_feats, k92.stimulus_set["category"].tolist(), cfg)
        del k_feats
        # V4: predictivity per session; dimension on the first session's images
        for i, (session, responses) in enumerate(v4.items()):
            stimuli = responses.attrs["stimulus_set"]
            stimuli = stimuli[stimuli["stimulus_id"].isin(responses["stimulus_id"].values)]
            feats = extract_activations(lm, stimuli, **extract)
            rows += v4_rows(name, feats, responses, session, cfg, ceilings.get(session))
            if i == 0:
                rows += dimension_rows(name, feats, f"Cowley2023 V4 {session} images")
            del feats
        log(f"{name} ({spec}): done in {time.perf_counter() - start:.1f} s")
    return pd.DataFrame(rows, columns=list(COLUMNS))


def plot_alignment(table: pd.DataFrame, path: Path) -> Path:
    """One panel per (metric, dataset): value vs layer depth, one line per model, CI bands."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid")
    panels = list(table.groupby(["metric", "dataset"], sort=False))
    ncols = min(3, len(panels))
    nrows = int(np.ceil(len(panels) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.3 * nrows), squeeze=False)
    palette = dict(
        zip(table["model"].unique(), sns.color_palette(n_colors=table["model"].nunique()))
    )
    for ax, ((metric, dataset), sub) in zip(axes.flat, panels):
        sns.lineplot(
            data=sub,
            x="depth",
            y="value",
            hue="model",
            palette=palette,
            marker="o",
            ax=ax,
            legend=ax is axes.flat[0],
        )
        for model, m in sub.groupby("model"):
            if m["ci_low"].notna().any():
                ax.fill_between(
                    m["depth"], m["ci_low"], m["ci_high"], alpha=0.2, color=palette[model]
                )
        order = sub.drop_duplicates("depth").sort_values("depth")
        ax.set_xticks(order["depth"], order["layer"], rotation=30)
        ax.set(title=f"{metric}\n{dataset}", xlabel="", ylabel="")
    for ax in axes.flat[len(panels) :]:
        ax.set_axis_off()
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=120)
    plt.close(fig)
    return path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="layerwise_alignment.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=__doc__,
    )
    add_config_arguments(parser, AlignmentConfig)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        cfg = config_from_args(AlignmentConfig, args)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    save_config(effective_settings(cfg), out / "config.yaml")
    try:
        table = run_alignment(cfg, log=lambda msg: print(msg, flush=True))
    except (DataError, ValueError, FileNotFoundError) as err:  # bad model spec, layer, session
        print(f"error: {err}", file=sys.stderr)
        return 2
    with atomic_write(out / "alignment.csv") as handle:
        table.to_csv(handle, index=False)
    plot_alignment(table, out / "alignment.png")
    print(f"wrote {out / 'alignment.csv'} ({len(table)} rows) and {out / 'alignment.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
