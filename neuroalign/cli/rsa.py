"""`neuroalign rsa`: representational similarity of a model's layers with IT cortex."""

from __future__ import annotations

import argparse

from neuroalign.cli._common import add_subparser, print_table
from neuroalign.config import add_config_arguments, config_from_args
from neuroalign.rsa.config import RSAConfig

__all__ = ["add_parser", "run"]

DESCRIPTION = """\
Representational similarity analysis (Kriegeskorte, Mur & Bandettini 2008) of a model's layers
with inferior temporal cortex: the 92 object images of Kriegeskorte et al. (2008, Neuron), monkey
IT (674 neurons, Kiani et al. 2007) and human IT (fMRI).

For every layer: extract activations to the 92 images, compute the layer's RDM (1 - Pearson r
by default, as the brain RDMs), compare it with the monkey-IT and human-IT RDMs (Spearman rho
by default), and bootstrap over stimuli for confidence intervals (rsatoolbox conventions). The
two IT RDMs compared with each other give a reference point. Library: neuroalign.rsa.run_rsa.

Writes into --out: rsa_scores.csv (layer x reference x score x CI), rsa_scores.png (score per
layer with CIs), rdms.png (best layer vs monkey IT vs human IT, as rank percentiles, with the
stimulus categories), run.json (model digest and preprocessing, best layer, all scores),
config.yaml (the resolved options).

examples:
  neuroalign rsa --model resnet18 --benchmark IT
  neuroalign rsa --model runs/clamp/checkpoints/last.pt --layers layer3,layer4,avgpool \\
      --out reports/clamp
  neuroalign rsa --model resnet50 --compare tau_a --n-bootstrap 2000 --device cuda
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = add_subparser(subparsers, "rsa", DESCRIPTION)
    add_config_arguments(parser, RSAConfig)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from neuroalign.rsa.workflow import run_rsa

    result = run_rsa(config_from_args(RSAConfig, args))
    print_table(result.table[["layer", "reference", "score", "ci_low", "ci_high"]])
    print(f"best layer (mean over references): {result.best_layer}")
    print(f"monkey IT vs human IT: {result.species_agreement:.3f}")
    written = result.write()
    print("wrote " + ", ".join(str(p) for p in written.values()))
    return 0
