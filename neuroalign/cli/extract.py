"""`neuroalign extract`: parse, call :func:`neuroalign.extract.workflow.run_extract`, print."""

from __future__ import annotations

import argparse

from neuroalign.cli._common import add_subparser, loud_model_warnings
from neuroalign.config import add_config_arguments, config_from_args
from neuroalign.extract.workflow import ExtractConfig

__all__ = ["ExtractConfig", "add_parser", "run"]

DESCRIPTION = """\
Extract layer activations of a model to a stimulus set, all layers in one forward pass per
batch, and write one netCDF file per layer (a Brain-Score NeuroidAssembly, presentation x
neuroid, with stimulus_id, layer, neuroid_id, channel/channel_x/channel_y coords) plus
manifest.json, run.json (versions, model identity and weights) and the resolved config.
Preprocessing (resize, centre crop, normalisation) is the one the model's weights expect and is
recorded in every file.

--model (a model spec):
  NAME              torchvision architecture with RANDOM weights (seed 0), e.g. resnet18.
                    NOT pretrained: Brain-Score's `resnet18` is the pretrained network.
  NAME:WEIGHTS      torchvision's pretrained weights, e.g. resnet18:IMAGENET1K_V1,
                    resnet50:IMAGENET1K_V2 (read from $TORCH_HOME/hub/checkpoints/, downloaded
                    there if absent; preprocessing from the weights' own transforms)
  timm:NAME[:TAG]   a timm model; with TAG timm's pretrained weights (HF hub cache), e.g.
                    timm:resnet18:a1_in1k; without, RANDOM weights (needs timm installed)
  neuroalign:NAME   a neuroalign backbone, RANDOM weights
  PATH.pt           a neuroalign training checkpoint
  list[:PATTERN]    print the specs (e.g. `--model 'list:resnet*'`) and whether each loads
                    offline. NEUROALIGN_OFFLINE=1 never downloads weights.
--stimuli: kriegeskorte2008 | cowley2023[:SESSION] (default session: the defaults' V4 session)
           | a folder of images
--layers:  comma-separated module names; `--layers list` prints the valid names

--max-memory bounds the peak resident memory of the whole neuroalign process (Python and its
imports, about 1 GB, the model, one batch of activations): the batch shrinks to fit and each
batch is written to disk at once. Image-decoding workers (--num-workers) are separate processes
with their own memory, not counted; --num-workers 0 keeps everything in one process.
--reduce gaussian|sparse|pca maps each layer to --reduce-k features on the fly.

Examples:
  neuroalign extract --model 'list:resnet18*'
  neuroalign extract --model resnet18:IMAGENET1K_V1 --layers list
  neuroalign extract --model resnet18:IMAGENET1K_V1 --stimuli kriegeskorte2008 \\
      --layers layer3,layer4
  neuroalign extract --model runs/clamp/last.pt --stimuli cowley2023:201025 \\
      --layers layer1,layer2,layer3,layer4 --reduce pca --reduce-k 500 --out acts/clamp
  neuroalign extract --model resnet50:IMAGENET1K_V2 --stimuli ~/images --layers layer4 \\
      --max-memory 2GB
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = add_subparser(subparsers, "extract", DESCRIPTION)
    add_config_arguments(parser, ExtractConfig)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(ExtractConfig, args)
    if cfg.model == "list" or cfg.model.startswith("list:"):
        from neuroalign.extract.model_registry import model_table

        pattern = cfg.model.partition(":")[2] or "*"
        for spec, kind, status in model_table(pattern):
            print(f"{spec}\t{kind}\t{status}")
        return 0
    with loud_model_warnings("extract"):
        if list(cfg.layers) == ["list"]:
            from neuroalign.extract import load_model

            print("\n".join(load_model(cfg.model).layer_names()))
            return 0
        from neuroalign.extract.workflow import run_extract

        result = run_extract(cfg)
    print(f"model\t{result.model.identifier}: {result.model.weights}")
    print(f"preprocessing\t{result.model.preprocessing.describe()}")
    for layer, path in result.paths.items():
        print(f"{layer}\t{path}")
    return 0
