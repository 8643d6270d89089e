"""`neuroalign register` as one library call: :class:`RegisterConfig` -> :func:`register`.

Registers a model as a Brain-Score model plugin (written to ``models/<folder>/``, optionally
installed by copy into ``brainscore_vision/models/``), or, with ``benchmarks=True``, installs
neuroalign's benchmarks as Brain-Score benchmark plugins
(:mod:`neuroalign.brainscore.benchmark_plugins`).

Nothing is written when something is wrong: the checkpoint URL is downloaded and its sha256
compared with the local checkpoint, and install conflicts are checked, before the first file.

Example::

    from neuroalign.brainscore.registration import RegisterConfig, register
    result = register(RegisterConfig(model="runs/clamp/last.pt", identifier="clamp-r18",
                                     checkpoint_url="https://example.org/clamp-r18.pt",
                                     install=True))
    result.plugin, result.installed     # models/clamp-r18, .../brainscore_vision/models/clamp-r18
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neuroalign.defaults import REGION_LAYER_MAP, V4_SESSION
from neuroalign.errors import DownloadError

__all__ = [
    "DEFAULT_ORIGIN",
    "RegisterConfig",
    "RegisterResult",
    "register",
    "verify_checkpoint_url",
]

_DEFAULT_MAP = ",".join(f"{region}={layer}" for region, layer in REGION_LAYER_MAP.items())

#: How the default region -> layer map was chosen (written into plugins that use it).
DEFAULT_ORIGIN = "default fixed map: the four ResNet stages in ventral-stream order (not scored)"


@dataclass(frozen=True)
class RegisterConfig:
    """What `neuroalign register` does (each field is a command-line flag)."""

    model: str = field(
        default="resnet18",
        metadata={
            "help": "model spec (see `neuroalign extract --help`): NAME[:WEIGHTS], timm:..., PATH.pt"
        },
    )
    identifier: str = field(
        default="", metadata={"help": "Brain-Score model identifier (letters, digits, _ . -)"}
    )
    out: Path = field(default=Path("models"), metadata={"help": "folder that receives the plugin"})
    region_layer_map: str = field(
        default=_DEFAULT_MAP, metadata={"help": "REGION=LAYER pairs, comma-separated"}
    )
    layers: tuple[str, ...] = field(
        default=(), metadata={"help": "candidate layers (default: the committed ones)"}
    )
    select_v4: bool = field(
        default=False, metadata={"help": "choose the V4 layer by scoring on Cowley2023 V4 data"}
    )
    v4_session: str = field(
        default=V4_SESSION, metadata={"help": "Cowley2023 session for --select-v4"}
    )
    checkpoint_url: str | None = field(
        default=None,
        metadata={"help": "URL users download the checkpoint from (verified against its sha256)"},
    )
    install: bool = field(
        default=False, metadata={"help": "copy the plugin into brainscore_vision/models"}
    )
    force: bool = field(default=False, metadata={"help": "replace an existing plugin"})
    benchmarks: bool = field(
        default=False,
        metadata={
            "help": "install neuroalign's benchmarks (Cowley2023.V4-pls, Cowley2023.V4-ridge, "
            "Kriegeskorte2008.IT-rsa) as Brain-Score benchmark plugins (no model)"
        },
    )


@dataclass
class RegisterResult:
    """What :func:`register` did: the plugin folder written, the installed copies, notes."""

    plugin: Path | None = None
    installed: list[Path] = field(default_factory=list)
    model: Any = None
    v4_table: Any = None
    notes: list[str] = field(default_factory=list)


def verify_checkpoint_url(url: str, sha256: str, name: str) -> None:
    """Download ``url`` (to a temporary folder) and check it is the checkpoint ``name`` of
    digest ``sha256``; :class:`DownloadError` otherwise (unreachable URL or another file)."""
    from neuroalign.data.fetch import download
    from neuroalign.io import sha256_file

    with tempfile.TemporaryDirectory(prefix="neuroalign-url-") as tmp:
        path = download(url, Path(tmp) / "checkpoint", expected=None, progress=True)
        got = sha256_file(path)
    if got != sha256:
        raise DownloadError(
            f"--checkpoint-url {url} serves a file with sha256 {got}, not the checkpoint {name} "
            f"(sha256 {sha256}); nothing was written or installed"
        )


def _origin(cfg: RegisterConfig) -> str:
    if cfg.region_layer_map == RegisterConfig.region_layer_map:
        return DEFAULT_ORIGIN
    return "fixed map given to `neuroalign register --region-layer-map`"


def register(cfg: RegisterConfig) -> RegisterResult:
    """Write (and with ``cfg.install`` install) the Brain-Score plugin ``cfg`` describes, or
    install the benchmark plugins (``cfg.benchmarks``). See the module docstring."""
    from neuroalign.brainscore.model import parse_region_layer_map, select_v4_layer
    from neuroalign.brainscore.plugin import (
        PluginExistsError,
        cache_checkpoint,
        install_conflict,
        install_plugin,
        plugin_folder_name,
        render_plugin,
        write_plugin_folder,
    )
    from neuroalign.extract.model_spec import load_model

    if cfg.benchmarks:
        from neuroalign.brainscore.benchmark_plugins import install_benchmark_plugins

        return RegisterResult(installed=[install_benchmark_plugins(force=cfg.force)])
    if not cfg.identifier:
        raise ValueError("--identifier is required (the Brain-Score model identifier)")
    folder = plugin_folder_name(cfg.identifier)
    result = RegisterResult(model=load_model(cfg.model))
    loaded = result.model
    rlm = parse_region_layer_map(cfg.region_layer_map)
    origin = _origin(cfg)

    def render(region_layers: dict[str, str], origin: str) -> dict:
        layers = list(cfg.layers) or None
        return render_plugin(
            loaded, cfg.identifier, region_layers, layers, origin=origin,
            checkpoint_url=cfg.checkpoint_url,
        )  # fmt: skip

    # the cheap checks first (a model no plugin can rebuild, a layer in the head, a wrong
    # checkpoint URL), then the V4 selection's extraction
    files = render(rlm, origin)
    if cfg.checkpoint_url:
        verify_checkpoint_url(cfg.checkpoint_url, loaded.file_sha256, str(loaded.weights_file))
    if cfg.select_v4:
        candidates = list(cfg.layers) or list(dict.fromkeys(rlm.values()))
        rlm["V4"], result.v4_table = select_v4_layer(loaded, candidates, session=cfg.v4_session)
        origin += (
            f"; V4 selected by neuroalign.encoding.layer_sweep on Cowley2023 session "
            f"{cfg.v4_session} among {candidates}"
        )
        files = render(rlm, origin)
    if cfg.install and not cfg.force:  # on the final files: the same plugin again is no conflict
        problem = install_conflict(files, folder)
        if problem:
            raise PluginExistsError(problem)
    result.plugin = write_plugin_folder(Path(cfg.out) / folder, files, force=cfg.force)
    if loaded.kind == "checkpoint":
        cached = cache_checkpoint(loaded, cfg.identifier)
        result.notes.append(f"checkpoint cached for the plugin at {cached}")
        if not cfg.checkpoint_url:
            result.notes.append(
                "no --checkpoint-url: the plugin finds the checkpoint in this machine's torch hub "
                "cache only; give a URL so that others (and Brain-Score) can download it"
            )
    if cfg.install:
        result.installed.append(install_plugin(result.plugin, force=cfg.force))
    return result
