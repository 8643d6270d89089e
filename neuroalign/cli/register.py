"""`neuroalign register`: parse, call :func:`neuroalign.brainscore.registration.register`, print."""

from __future__ import annotations

import argparse
import sys

from neuroalign.brainscore.registration import RegisterConfig
from neuroalign.cli._common import add_subparser, loud_model_warnings
from neuroalign.config import add_config_arguments, config_from_args

__all__ = ["RegisterConfig", "add_parser", "run"]

DESCRIPTION = """\
Write a Brain-Score model plugin for a model to models/IDENTIFIER/ (__init__.py with
model_registry['IDENTIFIER'], model.py, test.py, metadata.yml, requirements.txt,
region_layer_map/IDENTIFIER.json). The plugin is self-contained, as Brain-Score requires: it
rebuilds the network with torchvision (timm for timm models) and never imports neuroalign.
A checkpoint's plugin records its sha256 and --checkpoint-url, downloads it from there with a
verified download (the URL is checked against the local file first: a mismatch writes
nothing), and finds it in torch hub's cache on this machine. --install copies the plugin into
the installed brainscore_vision/models/ so that brainscore_vision.load_model('IDENTIFIER') and
brainscore_vision.score(...) find it; an existing plugin is replaced in one rename (--force).
Dots in IDENTIFIER become '_' in the folder name (Brain-Score imports the folder).

Region -> layer commitment (V1, V2, V4, IT): --region-layer-map (default: the four ResNet
stages in ventral-stream order). --select-v4 instead commits V4 to the candidate layer
(--layers) that best predicts the Cowley et al. (2023) V4 recordings (cross-validated, layer
chosen on training splits). Brain-Score's own layer selection needs internet and is never used.

--benchmarks installs neuroalign's benchmarks Cowley2023.V4-pls, Cowley2023.V4-ridge and
Kriegeskorte2008.IT-rsa as Brain-Score BENCHMARK plugins (brainscore_vision/benchmarks/
neuroalign_benchmarks/), so brainscore_vision.score(MODEL, 'Cowley2023.V4-pls') works, offline
with neuroalign's cached / mirrored data.

Examples:
  neuroalign register --model resnet18:IMAGENET1K_V1 --identifier r18-in1k --install
  neuroalign register --model runs/clamp/last.pt --identifier clamp-r50-in100 \\
      --checkpoint-url https://example.org/clamp-r50-in100.pt --install
  neuroalign register --model resnet50:IMAGENET1K_V2 --identifier r50-v4sel --select-v4 \\
      --layers layer2,layer3,layer4
  neuroalign register --benchmarks
  python -c "import brainscore_vision as b; print(b.score('r18-in1k', 'Cowley2023.V4-pls'))"
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = add_subparser(subparsers, "register", DESCRIPTION)
    add_config_arguments(parser, RegisterConfig)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from neuroalign.brainscore.registration import register

    cfg = config_from_args(RegisterConfig, args)
    with loud_model_warnings("register"):
        result = register(cfg)
    if result.model is not None:
        print(f"model\t{result.model.identifier}: {result.model.weights}")
    if result.v4_table is not None:
        from neuroalign.neural_benchmarks import format_table

        print(f"V4 layer chosen on Cowley 2023 session {cfg.v4_session} (training data only):")
        print(format_table(result.v4_table))
    if result.plugin is not None:
        print(f"wrote\t{result.plugin}")
    for note in result.notes:
        print(f"neuroalign register: {note}", file=sys.stderr)
    for path in result.installed:
        print(f"installed\t{path}")
    if cfg.install and result.plugin is not None:
        print(f"load it with\tbrainscore_vision.load_model({cfg.identifier!r})")
    return 0
