"""`neuroalign rsa`: representational similarity of a model's layers with IT cortex."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from neuroalign.cli._common import add_subparser
from neuroalign.config import add_config_arguments, config_from_args

__all__ = ["RSAConfig", "add_parser", "run"]

BENCHMARKS = ("IT", "kriegeskorte2008")
#: Layers scored when --layers is not given (those the model has).
DEFAULT_LAYERS = ("maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool")

DESCRIPTION = """\
Representational similarity analysis (Kriegeskorte, Mur & Bandettini 2008) of a model's layers
with inferior temporal cortex: the 92 object images of Kriegeskorte et al. (2008, Neuron), monkey
IT (674 neurons, Kiani et al. 2007) and human IT (fMRI).

For every layer: extract activations to the 92 images, compute the layer's RDM (1 - Pearson r
by default, as the brain RDMs), compare it with the monkey-IT and human-IT RDMs (Spearman rho
by default), and bootstrap over stimuli for confidence intervals (rsatoolbox conventions).

Writes into --out: rsa_scores.csv / rsa_scores.json (layer x reference x score x CI),
rsa_scores.png (score per layer with CIs), rdms.png (best layer vs monkey IT vs human IT, as
rank percentiles), config.yaml (the resolved options).

examples:
  neuroalign rsa --model resnet18 --benchmark IT
  neuroalign rsa --model runs/clamp/last.pt --layers layer3,layer4,avgpool --out reports/clamp
  neuroalign rsa --model resnet50 --compare tau_a --n-bootstrap 2000 --device cuda
"""


@dataclass(frozen=True)
class RSAConfig:
    model: str = field(
        default="resnet18",
        metadata={
            "help": "model spec: torchvision/neuroalign arch name (random init), "
            "checkpoint path, or timm:NAME"
        },
    )
    benchmark: str = field(
        default="IT", metadata={"help": "reference data set", "choices": BENCHMARKS}
    )
    layers: tuple[str, ...] = field(
        default=(),
        metadata={
            "help": "comma-separated module names; empty = the model's stages among "
            + ",".join(DEFAULT_LAYERS)
        },
    )
    compare: str = field(
        default="spearman",
        metadata={"help": "RDM comparison", "choices": ("spearman", "tau_a", "pearson", "cosine")},
    )
    rdm_method: str = field(
        default="correlation",
        metadata={
            "help": "layer RDM dissimilarity",
            "choices": ("correlation", "euclidean", "cosine"),
        },
    )
    n_bootstrap: int = field(
        default=1000, metadata={"help": "bootstrap resamples of stimuli (0: no CIs)"}
    )
    ci: float = field(default=0.95, metadata={"help": "confidence level of the intervals"})
    seed: int = field(default=0, metadata={"help": "seed of the bootstrap"})
    batch_size: int = field(default=32, metadata={"help": "images per forward pass"})
    device: str | None = field(
        default=None, metadata={"help": "cpu, cuda, ...; none = CUDA when available"}
    )
    data_root: Path | None = field(
        default=None,
        metadata={"help": "folder of the Kriegeskorte data; none = fetch into the cache"},
    )
    out: Path = field(default=Path("rsa_report"), metadata={"help": "output folder"})


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = add_subparser(
        subparsers,
        "rsa",
        help="RSA of a model's layers with monkey and human IT (92 images)",
        description=DESCRIPTION,
    )
    add_config_arguments(parser, RSAConfig)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    import datetime
    import platform

    import numpy as np

    from neuroalign import __version__
    from neuroalign.config import save_config
    from neuroalign.data import load_kriegeskorte2008
    from neuroalign.extract import extract_activations, load_model
    from neuroalign.rsa.rdm import compute_rdm, rdm_dataarray
    from neuroalign.rsa.report import rsa_layer_scores, write_report

    cfg = config_from_args(RSAConfig, args)
    data = load_kriegeskorte2008(cfg.data_root)
    ids = np.asarray(data.stimulus_set["stimulus_id"]).astype(str)
    references = {name: rdm_dataarray(rdm, ids) for name, rdm in data.brain_rdms.items()}

    loaded = load_model(cfg.model, device=cfg.device or "cpu")
    layers = list(cfg.layers) or loaded.default_layers(DEFAULT_LAYERS)
    print(f"neuroalign rsa: {loaded.identifier}, layers {layers}, {len(ids)} images")
    features = extract_activations(
        loaded, data.stimulus_set, layers, batch_size=cfg.batch_size, device=cfg.device
    )
    table = rsa_layer_scores(
        features,
        references,
        cfg.compare,
        rdm_method=cfg.rdm_method,
        n_bootstrap=cfg.n_bootstrap,
        ci=cfg.ci,
        seed=cfg.seed,
    )
    table.insert(0, "model", loaded.identifier)

    mean_score = table.groupby("layer", sort=False)["score"].mean()
    best = str(mean_score.idxmax())
    rdms_to_show = {f"{loaded.identifier} {best}": compute_rdm(features[best], cfg.rdm_method)}
    rdms_to_show.update({name.replace("_", " "): rdm for name, rdm in references.items()})
    metadata = {
        "model": loaded.identifier,
        "spec": cfg.model,
        "weights_sha256": loaded.weights_sha256,
        "benchmark": "Kriegeskorte2008 (92 images; monkey IT, human IT)",
        "best_layer": best,
        "neuroalign": __version__,
        "python": platform.python_version(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    paths = write_report(table, cfg.out, rdms_to_show, metadata)
    save_config(cfg, Path(cfg.out) / "config.yaml")

    shown = table[["layer", "reference", "score", "ci_low", "ci_high"]]
    print(shown.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"best layer (mean over references): {best}")
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0
