"""Frozen dataclass configs <-> CLI flags <-> YAML."""

from __future__ import annotations

import argparse
from dataclasses import FrozenInstanceError, dataclass, field
from pathlib import Path

import pytest
import yaml

from neuroalign.config import add_config_arguments, config_from_args, load_config, save_config


@dataclass(frozen=True)
class Example:
    model: str = field(default="resnet18", metadata={"help": "model spec"})
    layers: tuple[str, ...] = ("layer3", "layer4")
    lr: float = 0.3
    views: int = 4
    compile: bool = False
    out: Path | None = None


def parse(argv):
    parser = argparse.ArgumentParser()
    add_config_arguments(parser, Example)
    return config_from_args(Example, parser.parse_args(argv))


def test_defaults_yaml_then_flags(tmp_path):
    assert parse([]) == Example()
    config_file = tmp_path / "c.yaml"
    config_file.write_text("model: resnet50\nlr: 1\nlayers: [layer1]\nviews: 8\n")
    cfg = parse(["--config", str(config_file), "--views", "16", "--compile", "--layers", "a,b"])
    assert cfg == Example("resnet50", ("a", "b"), 1.0, 16, True, None)
    assert isinstance(cfg.lr, float)
    with pytest.raises(FrozenInstanceError):
        cfg.lr = 2.0  # type: ignore[misc]


def test_save_roundtrip(tmp_path):
    cfg = Example(out=tmp_path / "x", compile=True)
    path = save_config(cfg, tmp_path / "config.yaml")
    assert yaml.safe_load(path.read_text())["layers"] == ["layer3", "layer4"]
    assert load_config(Example, path) == cfg


def test_unknown_yaml_key_is_an_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("modle: resnet50\n")
    with pytest.raises(ValueError, match="unknown option 'modle'"):
        load_config(Example, bad)
    bad.write_text("- a list\n")
    with pytest.raises(ValueError, match="mapping"):
        load_config(Example, bad)
    with pytest.raises(FileNotFoundError):
        load_config(Example, tmp_path / "missing.yaml")


@dataclass(frozen=True)
class Explained:
    layers: tuple[str, ...] = field(default=(), metadata={"help": "names (default: all)"})
    device: str | None = field(default=None, metadata={"help": "none = CUDA when available"})
    out: Path | None = field(default=None, metadata={"help": "output file"})
    kind: str = field(default="a", metadata={"help": "kind", "choices": ("a", "b")})


def _help(cls) -> str:
    parser = argparse.ArgumentParser(prog="x")
    add_config_arguments(parser, cls)
    return " ".join(parser.format_help().split())


def test_help_shows_each_default_once():
    text = _help(Example)
    assert "--model MODEL model spec (default: resnet18)" in text
    assert "--layers LAYERS (default: layer3,layer4)" in text
    assert "--compile, --no-compile (default: False)" in text
    assert "--out OUT (default: none)" in text
    assert "Example" not in text  # no group titled after the class
    explained = _help(Explained)
    assert "names (default: all)" in explained and "(default: )" not in explained
    assert "--device DEVICE none = CUDA when available --out" in explained
    assert "--out OUT output file (default: none)" in explained
    assert "--kind {a,b} kind (default: a)" in explained
    assert explained.count("default") == 4
