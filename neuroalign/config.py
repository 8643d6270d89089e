"""Frozen dataclass configs, mirrored as CLI flags and YAML files.

A config is a ``@dataclass(frozen=True)``; each field becomes a ``--flag`` (underscores become
dashes) whose help text is the field's ``metadata["help"]``. Values resolve in this order:
dataclass defaults < ``--config file.yaml`` < flags given on the command line. The resolved
config is saved next to every output with :func:`save_config`.

Example::

    @dataclass(frozen=True)
    class ScoreConfig:
        model: str = field(default="resnet18", metadata={"help": "model spec"})
        layers: tuple[str, ...] = ()

    parser = argparse.ArgumentParser()
    add_config_arguments(parser, ScoreConfig)
    cfg = config_from_args(ScoreConfig, parser.parse_args())
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from neuroalign.io import atomic_write

__all__ = [
    "add_config_arguments",
    "config_from_args",
    "config_to_dict",
    "load_config",
    "save_config",
]

T = TypeVar("T")


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def _converter(tp: Any):
    """A function str -> value for one field type (tuples are comma-separated)."""
    tp, optional = _unwrap_optional(tp)
    origin = typing.get_origin(tp)
    if origin in (tuple, list):
        (inner, *_rest) = typing.get_args(tp) or (str,)
        inner_conv = _converter(inner)

        def convert_seq(text: str):
            items = [s.strip() for s in text.split(",") if s.strip()]
            return tuple(inner_conv(s) for s in items)

        conv = convert_seq
    elif tp is bool:

        def conv(text: str) -> bool:
            low = text.lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise argparse.ArgumentTypeError(f"expected true/false, got {text!r}")

    elif tp is Path:
        conv = Path
    elif tp in (int, float, str):
        conv = tp
    else:
        conv = str
    if optional:
        inner = conv

        def conv_optional(text: str):
            return None if text.lower() in ("none", "null", "") else inner(text)

        return conv_optional
    return conv


def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _help_text(f: dataclasses.Field, default: Any) -> str:
    """The field's help with its default appended, unless the help already says it.

    A help text that mentions "default", or that explains an empty / ``None`` default ("empty
    = ...", "none = ..."), is shown as written; otherwise "(default: X)" is appended once.
    """
    text = f.metadata.get("help", "")
    low = text.lower()
    empty = default is None or default == "" or default == ()
    if "default" in low or (empty and ("none" in low or "empty" in low)):
        return text
    shown = "none" if empty else default
    if isinstance(default, tuple) and default:
        shown = ",".join(map(str, default))
    return f"{text} (default: {shown})" if text else f"(default: {shown})"


def add_config_arguments(
    parser: argparse.ArgumentParser,
    cls: type,
    *,
    config_flag: bool = True,
    title: str | None = None,
) -> None:
    """Add one ``--flag`` per field of dataclass ``cls`` (and ``--config FILE.yaml``).

    The flags go with the parser's own options, or under the heading ``title`` when given.
    Each flag's help shows its default once (see :func:`_help_text`).
    """
    hints = _field_types(cls)
    group = parser.add_argument_group(title) if title else parser
    if config_flag:
        group.add_argument(
            "--config",
            type=Path,
            default=None,
            metavar="FILE.yaml",
            help="YAML file of option: value defaults (flags given here win)",
        )
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        flag = "--" + f.name.replace("_", "-")
        tp, _ = _unwrap_optional(hints[f.name])
        default = f.default if f.default is not dataclasses.MISSING else None
        if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            default = f.default_factory()  # type: ignore[misc]
        kwargs: dict[str, Any] = {
            "dest": f.name,
            "default": argparse.SUPPRESS,
            "help": _help_text(f, default),
        }
        if tp is bool:
            group.add_argument(flag, action=argparse.BooleanOptionalAction, **kwargs)
        else:
            choices = f.metadata.get("choices")  # shown as {a,b,...} unless a metavar is given
            group.add_argument(
                flag,
                type=_converter(hints[f.name]),
                metavar=f.metadata.get("metavar", None if choices else f.name.upper()),
                choices=choices,
                **kwargs,
            )


def _coerce(cls: type, values: dict[str, Any], source: str) -> dict[str, Any]:
    hints = _field_types(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    out: dict[str, Any] = {}
    for key, value in values.items():
        name = key.replace("-", "_")
        if name not in names:
            raise ValueError(
                f"{source}: unknown option {key!r} for {cls.__name__}; valid: {sorted(names)}"
            )
        tp, _ = _unwrap_optional(hints[name])
        if value is not None and typing.get_origin(tp) in (tuple, list):
            value = tuple(value) if isinstance(value, list | tuple) else _converter(tp)(str(value))
        elif value is not None and tp is Path:
            value = Path(value)
        elif value is not None and tp is float and isinstance(value, int):
            value = float(value)
        out[name] = value
    return out


def load_config(cls: type[T], path: str | Path | None = None, **overrides: Any) -> T:
    """Build ``cls`` from its defaults, then a YAML file (if given), then ``overrides``."""
    values: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        try:
            loaded = yaml.safe_load(path.read_text()) or {}
        except FileNotFoundError:
            raise FileNotFoundError(f"config file not found: {path}") from None
        except yaml.YAMLError as err:
            raise ValueError(f"{path}: not valid YAML: {err}") from None
        if not isinstance(loaded, dict):
            raise ValueError(
                f"{path}: expected a mapping of option: value, got {type(loaded).__name__}"
            )
        values.update(_coerce(cls, loaded, str(path)))
    values.update(_coerce(cls, overrides, "arguments"))
    return cls(**values)


def config_from_args(cls: type[T], args: argparse.Namespace) -> T:
    """Resolve a config from parsed CLI arguments (see :func:`add_config_arguments`)."""
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    given = {k: v for k, v in vars(args).items() if k in names}
    return load_config(cls, getattr(args, "config", None), **given)


def config_to_dict(cfg: Any) -> dict[str, Any]:
    """A YAML-friendly dict of a config (tuples become lists, paths strings)."""

    def plain(value: Any) -> Any:
        if isinstance(value, tuple | list):
            return [plain(v) for v in value]
        if isinstance(value, Path):
            return str(value)
        if dataclasses.is_dataclass(value):
            return config_to_dict(value)
        return value

    return {f.name: plain(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}


def save_config(cfg: Any, path: str | Path) -> Path:
    """Write the resolved config as YAML (atomically) and return the path."""
    path = Path(path)
    with atomic_write(path) as handle:
        yaml.safe_dump(config_to_dict(cfg), handle, sort_keys=False)
    return path
