"""`neuroalign score`: neural predictivity / RSA of every layer of a model on a benchmark."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from neuroalign.cli._common import add_subparser
from neuroalign.config import add_config_arguments, config_from_args

__all__ = ["add_parser", "run"]

DESCRIPTION = """\
Score a model against cortical recordings, every requested layer from ONE extraction.

--benchmark takes a neuroalign benchmark, a Brain-Score benchmark identifier, or a region alias
(the resolution is printed):
  V4  -> Cowley2023.V4-pls (offline, mirrored data), else MajajHong2015public.V4-pls
  IT  -> Kriegeskorte2008.IT-rsa (offline), else MajajHong2015public.IT-pls
  V1, V2 -> FreemanZiemba2013public.V1-pls / .V2-pls (need Brain-Score's data cache or S3)
  Cowley2023.V4-pls    25-component PLS: Brain-Score's V4 metric; numbers you can put next to
                       Brain-Score's
  Cowley2023.V4-ridge  ridge, one alpha per neuron (exact leave-one-out): a regularised map that
                       uses every feature, often higher on wide layers; pick it to compare the
                       information in layers rather than to match Brain-Score
  Kriegeskorte2008.IT-rsa | <Brain-Score benchmark id>

Brain-Score's conventions: each stimulus is resized whole to the model's input (no crop; the
stimuli fill the model's 8-degree field of view); 10 random 90/10 splits (seed 1), per-neuroid
Pearson r on held-out images, median over neuroids, mean over splits. Where single trials exist
(Cowley session 210325) the split-half ceiling is given with the ceiled score r^2/ceiling
(Brain-Score's explained variance; a perfect model's r is sqrt(ceiling)). The 95% CI covers
stimuli, splits and neuroids (one session) or sessions (several); the "selected" layer is chosen
on TRAINING data only. Activations are reused from the content-hashed cache (--no-cache: not).

--model: a torchvision arch (random init, seed 0), a neuroalign checkpoint (.pt), timm:NAME,
or a registered Brain-Score model identifier (scored through its BrainModel interface: the
layer it committed to the region; brainscore:ID forces that reading).

Outputs (--out FOLDER): run.json (model hash, benchmark, preprocessing, splits, seed, interval
method, every score), scores.csv, scores_per_session.csv, scores.png, config.yaml.

Examples:
  neuroalign score --model resnet18 --benchmark V4
  neuroalign score --model runs/clamp/last.pt --benchmark Cowley2023.V4-pls --sessions all \\
      --layers layer3,layer4,avgpool --out results/clamp_v4
  neuroalign score --model neuroalign-resnet18-random --benchmark V4
  neuroalign score --model resnet50 --benchmark IT --n-boot 1000
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    from neuroalign.neural_benchmarks.scoring import ScoreConfig

    parser = add_subparser(
        subparsers,
        "score",
        help="score a model's layers on a neural benchmark (V4, IT, Brain-Score ids)",
        description=DESCRIPTION,
    )
    add_config_arguments(parser, ScoreConfig)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from neuroalign.neural_benchmarks.scoring import ScoreConfig, run_score

    cfg = config_from_args(ScoreConfig, args)
    report = run_score(cfg, log=lambda line: print(line, file=sys.stderr))
    print(report.summary())
    if report.written:
        print("wrote " + ", ".join(str(p) for p in report.written.values()), file=sys.stderr)
    return 0
