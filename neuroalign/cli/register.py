"""`neuroalign register`: write (and install) a Brain-Score model plugin for a neuroalign model."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from neuroalign.cli._common import add_subparser
from neuroalign.config import add_config_arguments, config_from_args

__all__ = ["RegisterConfig", "add_parser", "run"]

DESCRIPTION = """\
Write a Brain-Score model plugin for a neuroalign model to models/IDENTIFIER/ (__init__.py with
model_registry['IDENTIFIER'], model.py, test.py, metadata.yml, requirements.txt,
region_layer_map/IDENTIFIER.json), recording the checkpoint's sha256 and where to get it.
--install links it into the installed brainscore_vision/models/ so that
brainscore_vision.load_model('IDENTIFIER') and brainscore_vision.score(...) find it.

Region -> layer commitment (V1, V2, V4, IT): --region-layer-map, default
V1=layer1,V2=layer2,V4=layer3,IT=layer4 (the ResNet stages in ventral-stream order).
--select-v4 instead commits V4 to the candidate layer (--layers) that best predicts the
Cowley et al. (2023) V4 recordings (cross-validated ridge, layer chosen on training splits).
Brain-Score's own layer selection needs internet and is never used.

Examples:
  neuroalign register --model resnet18 --identifier neuroalign-resnet18-random --install
  neuroalign register --model runs/clamp/last.pt --identifier clamp-r50-in100 \\
      --checkpoint-url https://example.org/clamp-r50-in100.pt --install
  neuroalign register --model resnet50 --identifier r50-v4sel --select-v4 \\
      --layers layer2,layer3,layer4
  python -c "import brainscore_vision as b; print(b.load_model('neuroalign-resnet18-random'))"
"""


@dataclass(frozen=True)
class RegisterConfig:
    model: str = field(default="resnet18", metadata={"help": "model spec or checkpoint path"})
    identifier: str = field(default="", metadata={"help": "Brain-Score model identifier"})
    out: Path = field(default=Path("models"), metadata={"help": "folder that receives the plugin"})
    region_layer_map: str = field(
        default="V1=layer1,V2=layer2,V4=layer3,IT=layer4",
        metadata={"help": "REGION=LAYER pairs, comma-separated"},
    )
    layers: tuple[str, ...] = field(
        default=(), metadata={"help": "candidate layers (default: the committed ones)"}
    )
    select_v4: bool = field(
        default=False, metadata={"help": "choose the V4 layer by scoring on Cowley2023 V4 data"}
    )
    v4_session: str = field(
        default="201025", metadata={"help": "Cowley2023 session for --select-v4"}
    )
    checkpoint_url: str | None = field(
        default=None, metadata={"help": "where users can download the checkpoint"}
    )
    install: bool = field(default=False, metadata={"help": "install into brainscore_vision/models"})
    install_mode: str = field(
        default="symlink",
        metadata={"help": "symlink or copy", "choices": ("symlink", "copy")},
    )
    force: bool = field(default=False, metadata={"help": "overwrite an existing plugin"})


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = add_subparser(
        subparsers,
        "register",
        help="write/install a Brain-Score model plugin",
        description=DESCRIPTION,
    )
    add_config_arguments(parser, RegisterConfig)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from neuroalign.brainscore import (
        PluginExistsError,
        install_plugin,
        installed_plugin_path,
        parse_region_layer_map,
        select_v4_layer,
        write_plugin,
    )
    from neuroalign.extract import load_model

    cfg = config_from_args(RegisterConfig, args)
    if not cfg.identifier:
        raise ValueError("--identifier is required")
    installed_path = installed_plugin_path(cfg.identifier)
    ours = (Path(cfg.out) / cfg.identifier).resolve()
    same_folder = installed_path.is_symlink() and installed_path.resolve() == ours
    if cfg.install and not cfg.force and installed_path.exists() and not same_folder:
        raise PluginExistsError(
            f"a Brain-Score plugin {cfg.identifier!r} is already installed at "
            f"{installed_plugin_path(cfg.identifier)}; pass --force to replace it"
        )
    loaded = load_model(cfg.model)
    rlm = parse_region_layer_map(cfg.region_layer_map)
    if cfg.region_layer_map == RegisterConfig.region_layer_map:
        origin = "default fixed map: the four ResNet stages in ventral-stream order (not scored)"
    else:
        origin = "fixed map given to `neuroalign register --region-layer-map`"
    if cfg.select_v4:
        candidates = list(cfg.layers) or list(dict.fromkeys(rlm.values()))
        best, table = select_v4_layer(loaded, candidates, session=cfg.v4_session)
        rlm["V4"] = best
        origin += (
            f"; V4 selected by neuroalign.encoding.layer_sweep on Cowley2023 session "
            f"{cfg.v4_session} among {candidates}"
        )
        print(table.to_string())
    target = write_plugin(
        loaded,
        cfg.identifier,
        cfg.out,
        rlm,
        list(cfg.layers) or None,
        origin=origin,
        checkpoint_url=cfg.checkpoint_url,
        force=cfg.force,
    )
    print(f"wrote {target}")
    if cfg.install:
        installed = install_plugin(target, mode=cfg.install_mode, force=cfg.force)
        print(f"installed {installed} -> brainscore_vision.load_model({cfg.identifier!r})")
    return 0
