"""`neuroalign extract`: layer activations of a model to a stimulus set, as netCDF assemblies."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from neuroalign.cli._common import add_subparser
from neuroalign.config import add_config_arguments, config_from_args

__all__ = ["ExtractConfig", "add_parser", "load_named_stimuli", "run"]

DESCRIPTION = """\
Extract layer activations of a model to a stimulus set, all layers in one forward pass per
batch, and write one netCDF file per layer (a Brain-Score NeuroidAssembly, presentation x
neuroid, with stimulus_id, layer, neuroid_id, channel/channel_x/channel_y coords) plus a
manifest.json and the resolved config. Preprocessing (resize, centre crop, normalisation) is
the one the model was trained with and is recorded in every file.

--model:   a torchvision architecture (resnet18, resnet50: random init, seed 0),
           neuroalign:NAME, timm:NAME, or a neuroalign checkpoint (.pt)
--stimuli: kriegeskorte2008 | cowley2023[:SESSION] (default session 201025) | a folder of images
--layers:  comma-separated module names; `--layers list` prints the valid names

--max-memory bounds the peak resident memory of the whole neuroalign process (Python and its
imports, about 1 GB, the model, one batch of activations): the batch shrinks to fit and each
batch is written to disk at once. Image-decoding workers (--num-workers) are separate processes
with their own memory, not counted; --num-workers 0 keeps everything in one process. --reduce gaussian|sparse|pca maps each layer to --reduce-k features on the fly.

Examples:
  neuroalign extract --model resnet18 --layers list
  neuroalign extract --model resnet18 --stimuli kriegeskorte2008 --layers layer3,layer4
  neuroalign extract --model runs/clamp/last.pt --stimuli cowley2023:201025 \\
      --layers layer1,layer2,layer3,layer4 --reduce pca --reduce-k 500 --out acts/clamp
  neuroalign extract --model resnet50 --stimuli ~/images --layers layer4 --max-memory 2GB
"""


@dataclass(frozen=True)
class ExtractConfig:
    model: str = field(default="resnet18", metadata={"help": "model spec (see above)"})
    stimuli: str = field(
        default="kriegeskorte2008",
        metadata={"help": "kriegeskorte2008, cowley2023[:SESSION] or an image folder"},
    )
    layers: tuple[str, ...] = field(
        default=("layer4",), metadata={"help": "comma-separated module names, or 'list'"}
    )
    out: Path | None = field(
        default=None,
        metadata={"help": "output folder (default: activations/<model>/<stimuli>)"},
    )
    batch_size: int = field(default=64, metadata={"help": "images per forward pass (upper bound)"})
    max_memory: str = field(
        default="4GB", metadata={"help": "peak memory of the whole process (see above), e.g. 2GB"}
    )
    device: str | None = field(default=None, metadata={"help": "cpu, cuda, cuda:1 (default: auto)"})
    num_workers: int | None = field(
        default=None, metadata={"help": "image-decoding workers (default: min(4, CPUs-1))"}
    )
    reduce: str | None = field(
        default=None,
        metadata={"help": "reduce each layer: gaussian, sparse (random projection) or pca"},
    )
    reduce_k: int = field(default=1000, metadata={"help": "features per layer after --reduce"})
    reduce_seed: int = field(default=0, metadata={"help": "seed of the projection / PCA subset"})
    reduce_fit_size: int = field(default=1000, metadata={"help": "stimuli PCA is fitted on"})
    precision: str = field(
        default="auto",
        metadata={
            "help": "auto (bfloat16 autocast on CUDA, float32 on CPU), float32 or bfloat16",
            "choices": ("auto", "float32", "bfloat16"),
        },
    )
    progress: bool = field(default=True, metadata={"help": "show a progress bar"})


def load_named_stimuli(name: str):
    """A StimulusSet for ``kriegeskorte2008`` / ``cowley2023[:SESSION]``, or an image folder path."""
    low = name.lower()
    if low == "kriegeskorte2008":
        from neuroalign.data import load_kriegeskorte2008

        return load_kriegeskorte2008().stimulus_set
    if low.startswith("cowley2023"):
        from neuroalign.data import cowley2023_stimulus_set

        session = name.split(":", 1)[1] if ":" in name else "201025"
        return cowley2023_stimulus_set(session)
    folder = Path(name).expanduser()
    if folder.is_dir():
        return folder
    raise FileNotFoundError(
        f"--stimuli {name!r} is neither a named stimulus set (kriegeskorte2008, "
        f"cowley2023[:SESSION]) nor an existing image folder"
    )


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = add_subparser(
        subparsers,
        "extract",
        help="layer activations of a model to a stimulus set (netCDF assemblies)",
        description=DESCRIPTION,
    )
    add_config_arguments(parser, ExtractConfig)
    parser.set_defaults(func=run)
    return parser


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(text).stem if "/" in text else text)


def run(args: argparse.Namespace) -> int:
    from neuroalign.config import save_config
    from neuroalign.extract import Reduction, load_model, stream_activations

    cfg = config_from_args(ExtractConfig, args)
    loaded = load_model(cfg.model, device="cpu")
    if list(cfg.layers) == ["list"]:
        for name in loaded.layer_names():
            print(name)
        return 0
    stimuli = load_named_stimuli(cfg.stimuli)
    reduction = None
    if cfg.reduce:
        reduction = Reduction(cfg.reduce, cfg.reduce_k, cfg.reduce_seed, cfg.reduce_fit_size)
    out = cfg.out or Path("activations") / _slug(cfg.model) / _slug(cfg.stimuli)
    paths = stream_activations(
        loaded,
        stimuli,
        list(cfg.layers),
        out,
        max_memory=cfg.max_memory,
        batch_size=cfg.batch_size,
        reduction=reduction,
        device=cfg.device,
        num_workers=cfg.num_workers,
        progress=cfg.progress,
        precision=cfg.precision,
    )
    save_config(cfg, Path(out) / "config.yaml")
    for layer, path in paths.items():
        print(f"{layer}\t{path}", file=sys.stdout)
    return 0
