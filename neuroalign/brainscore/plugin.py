"""Brain-Score model plugins for neuroalign models: render, write, install (by copy).

A Brain-Score model plugin (github.com/brain-score/vision, ``brainscore_vision/models/<dir>/``)
is a folder with ``__init__.py`` (``model_registry['<identifier>'] = ...``: Brain-Score finds a
plugin by grepping every ``models/*/__init__.py`` for exactly this text), ``model.py``,
``test.py``, ``metadata.yml``, ``requirements.txt`` and ``region_layer_map/<identifier>.json``.

The plugins written here are self-contained, as Brain-Score requires of a submission: their
``model.py`` imports torch, torchvision (timm for timm models) and Brain-Score's own model
helpers (``PytorchWrapper``, ``load_preprocess_images``, ``ModelCommitment``), never
neuroalign. It rebuilds the network from what :attr:`LoadedModel.source` records:

* torchvision architectures: ``torchvision.models.get_model(ARCH, weights=WEIGHTS)`` (random
  weights drawn under ``torch.manual_seed(0)``, as neuroalign draws them);
* neuroalign checkpoints: the torchvision ResNet with the checkpoint's backbone weights. The
  checkpoint is found in torch hub's cache (``$TORCH_HOME/hub/checkpoints/``, seeded by
  ``neuroalign register``) or downloaded from ``CHECKPOINT_URL`` with
  ``torch.hub.download_url_to_file``, which checks its full sha256;
* timm models: ``timm.create_model(ARCH.TAG, pretrained=True)``.

Images are preprocessed the Brain-Score way (the whole stimulus resized to the input size, no
crop, then the model's normalisation), which is what :class:`NeuroalignBrainModel` does, so the
plugin's activations equal neuroalign's.

:func:`install_plugin` copies a plugin into the installed ``brainscore_vision/models/`` (so that
``brainscore_vision.load_model`` finds it); a plugin folder is always replaced as a whole, in one
rename (:func:`neuroalign.io.atomic_dir`). An identifier may contain dots (Brain-Score has
``mobilenet_v2_1.0_224``); its folder name has them replaced by ``_``
(:func:`plugin_folder_name`), since Brain-Score imports ``brainscore_vision.models.<folder>``.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

import neuroalign
from neuroalign.defaults import REGION_LAYER_MAP, VISUAL_DEGREES
from neuroalign.io import atomic_dir

__all__ = [
    "PluginExistsError",
    "brainscore_plugins_dir",
    "cache_checkpoint",
    "checkpoint_cache_name",
    "install_conflict",
    "install_files",
    "install_plugin",
    "installed_plugin_path",
    "plugin_folder_name",
    "plugin_identifiers",
    "render_plugin",
    "uninstall_folder",
    "uninstall_plugin",
    "validate_identifier",
    "write_plugin",
    "write_plugin_folder",
]


class PluginExistsError(FileExistsError, ValueError):
    """A plugin folder or a registration of that identifier already exists (use ``force``)."""


_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*[A-Za-z0-9_-]$|^[A-Za-z]$")


def validate_identifier(identifier: str) -> str:
    """A Brain-Score model identifier: letters, digits, ``_ . -``, starting with a letter and
    not ending with a dot (the folder name it maps to: :func:`plugin_folder_name`)."""
    if not _IDENTIFIER.match(identifier or "") or ".." in identifier:
        raise ValueError(
            f"invalid model identifier {identifier!r}: use letters, digits, '_', '.', '-', start "
            "with a letter, and no '..' or final '.'"
        )
    return identifier


def plugin_folder_name(identifier: str) -> str:
    """The importable folder of ``identifier``'s plugin: dots become ``_`` (Brain-Score imports
    ``brainscore_vision.models.<folder>``, where a dot would name a sub-package)."""
    return validate_identifier(identifier).replace(".", "_")


def brainscore_plugins_dir(kind: str = "models") -> Path:
    """The installed ``brainscore_vision/<kind>`` folder (``models`` or ``benchmarks``) that
    ``brainscore_vision.load_model`` / ``load_benchmark`` search."""
    import brainscore_vision

    if kind not in ("models", "benchmarks"):
        raise ValueError(f"plugin kind must be 'models' or 'benchmarks', got {kind!r}")
    return Path(brainscore_vision.__file__).resolve().parent / kind


def installed_plugin_path(identifier: str) -> Path:
    return brainscore_plugins_dir("models") / plugin_folder_name(identifier)


_REGISTRATION = re.compile(r"^(\w+)_registry\[['\"]([^'\"]+)['\"]\]", re.MULTILINE)


def plugin_identifiers(folder: Path) -> list[str]:
    """Identifiers a plugin folder registers (the ``*_registry['...']`` lines of __init__.py)."""
    try:
        text = (folder / "__init__.py").read_text(encoding="utf-8")
    except OSError:
        return []
    return [m.group(2) for m in _REGISTRATION.finditer(text)]


def checkpoint_cache_name(identifier: str, sha256: str) -> str:
    """The checkpoint's file name in torch hub's cache (torch hub's ``name-<sha256 prefix>``)."""
    return f"{plugin_folder_name(identifier)}-{sha256[:8]}.pt"


# --------------------------------------------------------------------------------------------
# templates (generated files are not formatted by ruff: see pyproject.toml)
# --------------------------------------------------------------------------------------------

_INIT = '''\
"""Brain-Score model plugin {identifier!r}, written by `neuroalign register` (neuroalign {version})."""

from brainscore_vision import model_registry

from .model import get_model

model_registry['{identifier}'] = lambda: get_model('{identifier}')
'''

_MODEL = '''\
"""{identifier}: {weights}

Written by `neuroalign register` (neuroalign {version}). Self-contained: torch, torchvision{timm_note}
and Brain-Score's model helpers. {how}
Stimuli are resized whole to IMAGE_SIZE (no crop) and normalised, Brain-Score's convention.
"""

from __future__ import annotations

import functools
import hashlib
import logging
{path_import}
import torch
import torchvision
from brainscore_vision.model_helpers.activations.pytorch import (
    PytorchWrapper,
    load_preprocess_images,
)
from brainscore_vision.model_helpers.brain_transformation import ModelCommitment

IDENTIFIER = {identifier!r}
SOURCE = {source!r}
{constants}REGION_LAYER_MAP = {region_layer_map!r}
REGION_LAYER_MAP_ORIGIN = {origin!r}
LAYERS = {layers!r}
VISUAL_DEGREES = {visual_degrees!r}
IMAGE_SIZE = {image_size!r}
NORMALIZE_MEAN = {mean!r}
NORMALIZE_STD = {std!r}
WEIGHTS_SHA256 = {weights_sha256!r}

BIBTEX = """{bibtex}"""

_logger = logging.getLogger(__name__)


{build}

def weights_sha256(network: torch.nn.Module) -> str:
    """sha256 over the state dict (names, dtypes, shapes, bytes), as neuroalign computes it."""
    digest = hashlib.sha256()
    for key, tensor in sorted(network.state_dict().items()):
        t = tensor.detach().cpu().contiguous()
        digest.update(f"{{key}}|{{t.dtype}}|{{tuple(t.shape)}}|".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return digest.hexdigest()


def get_activations_model() -> PytorchWrapper:
    network = build_network().eval()
    digest = weights_sha256(network)
    if digest != WEIGHTS_SHA256:
        _logger.warning("weights of %s differ from the registered ones (sha256 %s, registered %s)",
                        IDENTIFIER, digest, WEIGHTS_SHA256)
    preprocessing = functools.partial(load_preprocess_images, image_size=IMAGE_SIZE,
                                      normalize_mean=NORMALIZE_MEAN, normalize_std=NORMALIZE_STD)
    # Brain-Score caches activations by this identifier: the weights' digest in it keeps a
    # re-registered network under the same name from reading the old network's activations
    wrapper = PytorchWrapper(identifier=f"{{IDENTIFIER}}-{{digest[:12]}}", model=network,
                             preprocessing=preprocessing)
    wrapper.image_size = IMAGE_SIZE
    return wrapper


def get_model(identifier: str = IDENTIFIER) -> ModelCommitment:
    assert identifier == IDENTIFIER, f"this plugin provides {{IDENTIFIER}}, not {{identifier}}"
    return ModelCommitment(identifier=IDENTIFIER, activations_model=get_activations_model(),
                           layers=list(LAYERS), region_layer_map=dict(REGION_LAYER_MAP),
                           visual_degrees=VISUAL_DEGREES)


def get_layers(identifier: str = IDENTIFIER) -> list[str]:
    return list(LAYERS)


def get_bibtex(identifier: str = IDENTIFIER) -> str:
    return BIBTEX
'''

_BUILD_TORCHVISION = '''\
def build_network() -> torch.nn.Module:
    """torchvision's ARCH with its WEIGHTS (torch hub cache / verified download), or random
    weights drawn under torch.manual_seed(SEED) when WEIGHTS is None."""
    if SOURCE["weights"] is not None:
        return torchvision.models.get_model(SOURCE["arch"], weights=SOURCE["weights"])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SOURCE["seed"])
        return torchvision.models.get_model(SOURCE["arch"], weights=None)
'''

_BUILD_TIMM = '''\
def build_network() -> torch.nn.Module:
    """timm's ARCH with its pretrained TAG (Hugging Face hub cache / download), or random
    weights drawn under torch.manual_seed(SEED) when TAG is None."""
    import timm

    if SOURCE["tag"] is not None:
        return timm.create_model(f"{{SOURCE['arch']}}.{{SOURCE['tag']}}", pretrained=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SOURCE["seed"])
        return timm.create_model(SOURCE["arch"], pretrained=False)
'''

_BUILD_CHECKPOINT = '''\
def checkpoint_file() -> Path:
    """The checkpoint, verified: torch hub's cache, else downloaded from CHECKPOINT_URL (torch
    hub checks the full sha256 and keeps nothing that does not match)."""
    cached = Path(torch.hub.get_dir()) / "checkpoints" / CHECKPOINT_FILE
    if cached.is_file():
        digest = hashlib.sha256()
        with open(cached, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        if digest.hexdigest() == CHECKPOINT_SHA256:
            return cached
        _logger.warning("%s has sha256 %s, expected %s: downloading it again",
                        cached, digest.hexdigest(), CHECKPOINT_SHA256)
    if not CHECKPOINT_URL:
        raise FileNotFoundError(f"checkpoint {{CHECKPOINT_FILE}} (sha256 {{CHECKPOINT_SHA256}}) is "
                                f"not in {{cached.parent}} and this plugin records no download URL")
    cached.parent.mkdir(parents=True, exist_ok=True)
    torch.hub.download_url_to_file(CHECKPOINT_URL, str(cached), hash_prefix=CHECKPOINT_SHA256)
    return cached


def build_network() -> torch.nn.Module:
    """torchvision's ARCH (CIFAR stem if recorded, fc removed) with the checkpoint's backbone."""
    network = torchvision.models.get_model(SOURCE["arch"], weights=None)
    if SOURCE.get("cifar_stem"):
        network.conv1 = torch.nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
        network.maxpool = torch.nn.Identity()
    network.fc = torch.nn.Identity()
    payload = torch.load(checkpoint_file(), map_location="cpu", weights_only=True)
    prefix = "backbone."
    state = {{k[len(prefix):]: v for k, v in payload["model"].items() if k.startswith(prefix)}}
    network.load_state_dict(state, strict=True)
    return network
'''

_TEST = '''\
"""Plugin test: the model loads under its identifier and records every committed region."""

import numpy as np
import pytest


@pytest.mark.parametrize("identifier", [{identifier!r}])
def test_load_and_record(identifier, tmp_path):
    import brainscore_vision
    from brainscore_core.supported_data_standards.brainio.stimuli import StimulusSet
    from PIL import Image

    model = brainscore_vision.load_model(identifier)
    assert model.identifier == identifier
    assert model.visual_degrees() == {visual_degrees!r}
    rng = np.random.default_rng(0)
    paths = {{}}
    for i in range(3):
        paths[f"s{{i}}"] = tmp_path / f"s{{i}}.png"
        Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(paths[f"s{{i}}"])
    stimuli = StimulusSet({{"stimulus_id": list(paths)}})
    stimuli.stimulus_paths = paths
    stimuli.identifier = None
    for region in {regions!r}:
        model.start_recording(region, [(70, 170)])
        assembly = model.look_at(stimuli)
        assert set(assembly["stimulus_id"].values) == set(paths)
        assert set(assembly["region"].values) == {{region}}
'''

_BUILDERS = {
    "torchvision": _BUILD_TORCHVISION,
    "timm": _BUILD_TIMM,
    "neuroalign-checkpoint": _BUILD_CHECKPOINT,
}


# --------------------------------------------------------------------------------------------
# rendering
# --------------------------------------------------------------------------------------------


def _plugin_layers(loaded: Any, layers: Sequence[str]) -> list[str]:
    """Layer names in the plugin's network: a checkpoint's ``backbone.`` prefix dropped (the
    plugin rebuilds the backbone only, so head layers cannot be committed)."""
    out = []
    for layer in layers:
        name = loaded.resolve_layer(layer)
        if loaded.kind == "checkpoint":
            if not name.startswith("backbone."):
                raise ValueError(
                    f"layer {layer!r} is in the projection head; a Brain-Score plugin of a "
                    "checkpoint commits backbone layers only (e.g. layer3, layer4, avgpool)"
                )
            name = name[len("backbone.") :]
        out.append(name)
    return out


def _plugin_weights_sha256(loaded: Any) -> str:
    if loaded.kind == "checkpoint":
        from neuroalign.extract.model_spec import state_dict_sha256

        return state_dict_sha256(loaded.model.backbone)
    return loaded.weights_sha256


def _supervision(loaded: Any) -> dict[str, str]:
    source = loaded.source
    if not loaded.pretrained:
        return {"type": "none", "description": loaded.weights}
    if loaded.kind == "checkpoint":
        return {"type": "self-supervised", "description": f"{source.get('loss')} (neuroalign)"}
    return {"type": "supervised", "description": loaded.weights}


def _metadata(identifier: str, loaded: Any, info: Mapping[str, Any]) -> dict[str, Any]:
    arch = loaded.source.get("arch") or loaded.model.__class__.__name__
    return {
        "schema_version": "2.0",
        "domain": "vision",
        "models": {
            identifier: {
                "model": {
                    "display_name": identifier,
                    "architecture": {"family": "convolutional_neural_network", "description": arch},
                    "parameter_count": int(sum(p.numel() for p in loaded.model.parameters())),
                    "input_resolution": {
                        "channels": 3,
                        "height": loaded.preprocessing.image_size,
                        "width": loaded.preprocessing.image_size,
                    },
                    "visual_degrees": info["visual_degrees"],
                    "supervision": _supervision(loaded),
                },
                "training": {"preprocessing": loaded.preprocessing.to_dict()},
                "provenance": {
                    "weights_provider": loaded.source.get("library"),
                    "weights": loaded.weights,
                    "model_spec_kind": loaded.kind,
                    "checkpoint_sha256": info["checkpoint_sha256"],
                    "checkpoint_url": info["checkpoint_url"],
                    "weights_sha256": info["weights_sha256"],
                    "written_by": f"neuroalign {neuroalign.__version__}",
                },
                "brain_commitment": {
                    "region_layer_map": dict(info["region_layer_map"]),
                    "region_layer_map_origin": info["origin"],
                    "layers": list(info["layers"]),
                },
            }
        },
    }


def render_plugin(
    loaded: Any,
    identifier: str,
    region_layer_map: Mapping[str, str],
    layers: Sequence[str] | None = None,
    *,
    origin: str = "fixed map (neuroalign.defaults.REGION_LAYER_MAP)",
    checkpoint_url: str | None = None,
    visual_degrees: float = VISUAL_DEGREES,
) -> dict[str, str]:
    """The plugin's files (relative path -> text) for a :class:`~neuroalign.extract.LoadedModel`.

    Raises ``ValueError`` for a model that cannot be rebuilt without neuroalign (a
    ``neuroalign:NAME`` backbone or a module given from Python), a layer the plugin's network
    lacks, or ``checkpoint_url`` for a model that is not a checkpoint.
    """
    from neuroalign.brainscore.citations import plugin_bibtex
    from neuroalign.brainscore.model import parse_region_layer_map

    validate_identifier(identifier)
    library = loaded.source.get("library")
    if library not in _BUILDERS:
        raise ValueError(
            f"model {loaded.identifier!r} ({loaded.kind}) cannot be written as a self-contained "
            "Brain-Score plugin: use a torchvision, timm or checkpoint spec (save a Python "
            "module as a neuroalign checkpoint first)"
        )
    if checkpoint_url and loaded.kind != "checkpoint":
        raise ValueError(f"--checkpoint-url is for checkpoints; {loaded.spec!r} is {loaded.kind}")
    rlm = parse_region_layer_map(region_layer_map)
    plugin_rlm = dict(zip(rlm, _plugin_layers(loaded, list(rlm.values()))))
    candidates = list(layers) if layers else list(dict.fromkeys(rlm.values()))
    plugin_layers = _plugin_layers(loaded, candidates)
    source = {k: v for k, v in loaded.source.items() if k not in ("interpolation", "head_dims")}
    constants, how = "", "The weights come from the library that publishes them."
    sha = None
    if loaded.kind == "checkpoint":
        sha = loaded.file_sha256
        constants = (
            f"CHECKPOINT_URL = {checkpoint_url!r}\n"
            f"CHECKPOINT_SHA256 = {sha!r}\n"
            f"CHECKPOINT_FILE = {checkpoint_cache_name(identifier, sha)!r}\n"
        )
        how = (
            "The checkpoint is read from torch hub's cache or downloaded from CHECKPOINT_URL "
            "and verified against CHECKPOINT_SHA256."
        )
    prep = loaded.preprocessing
    weights_sha = _plugin_weights_sha256(loaded)
    info = {
        "identifier": identifier,
        "version": neuroalign.__version__,
        "weights": loaded.weights,
        "timm_note": " (and timm)" if library == "timm" else "",
        "path_import": "from pathlib import Path\n" if loaded.kind == "checkpoint" else "",
        "how": how,
        "source": source,
        "constants": constants,
        "region_layer_map": plugin_rlm,
        "origin": origin,
        "layers": plugin_layers,
        "visual_degrees": visual_degrees,
        "image_size": prep.image_size,
        "mean": list(prep.mean),
        "std": list(prep.std),
        "weights_sha256": weights_sha,
        "checkpoint_sha256": sha,
        "checkpoint_url": checkpoint_url,
        "bibtex": plugin_bibtex(loaded.source),
        "regions": sorted(plugin_rlm),
    }
    model_py = _MODEL.format(**info, build=_BUILDERS[library].format(**info))
    requirements = "torch\ntorchvision\n" + ("timm\n" if library == "timm" else "")
    return {
        "__init__.py": _INIT.format(**info),
        "model.py": model_py,
        "test.py": _TEST.format(**info),
        "requirements.txt": requirements,
        f"region_layer_map/{identifier}.json": json.dumps(plugin_rlm, indent=4) + "\n",
        "metadata.yml": yaml.safe_dump(_metadata(identifier, loaded, info), sort_keys=False),
    }


# --------------------------------------------------------------------------------------------
# writing and installing (one rename per plugin folder)
# --------------------------------------------------------------------------------------------


def _write_file(path: Path, data: bytes) -> None:
    """Write one file of a plugin being assembled (the unit a killed writer stops at)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _folder_files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def _holds(folder: Path, files: Mapping[str, bytes]) -> bool:
    """Whether ``folder`` holds exactly these files (same names, same bytes)."""
    return folder.is_dir() and _folder_files(folder) == dict(files)


def write_plugin_folder(
    target: str | Path, files: Mapping[str, str | bytes], *, force: bool = False
) -> Path:
    """Write ``files`` (relative path -> content) as the folder ``target``, all at once.

    The same content again is a no-op; other content replaces an existing folder only with
    ``force`` (:class:`PluginExistsError` otherwise). The new folder is assembled beside the old
    one and swapped in with one rename, so a reader (or a process killed half-way) sees the old
    plugin or the new one, whole.
    """
    target = Path(target)
    data = {name: text.encode() if isinstance(text, str) else text for name, text in files.items()}
    if os.path.lexists(target):
        if _holds(target, data) and not target.is_symlink():
            return target
        if not force:
            raise PluginExistsError(
                f"{target} already exists with other content (another model, weights or region "
                "map); pass --force to replace it"
            )
    with atomic_dir(target) as tmp:
        for name, content in data.items():
            _write_file(tmp / name, content)
    return target


def write_plugin(
    model: str | Any,
    identifier: str,
    out_root: str | Path = "models",
    region_layer_map: Mapping[str, str] | str | None = None,
    layers: Sequence[str] | None = None,
    *,
    origin: str = "fixed map (neuroalign.defaults.REGION_LAYER_MAP)",
    checkpoint_url: str | None = None,
    visual_degrees: float = VISUAL_DEGREES,
    force: bool = False,
) -> Path:
    """Write the Brain-Score plugin of ``model`` to ``out_root/<folder>/`` and return its path.

    Args:
        model: a spec (see :func:`neuroalign.extract.load_model`) or a :class:`LoadedModel`.
        identifier: the Brain-Score identifier (folder: :func:`plugin_folder_name`).
        region_layer_map: region -> layer (default :data:`neuroalign.defaults.REGION_LAYER_MAP`).
        layers: candidate layers recorded in the plugin (default: the committed ones).
        origin: how the map was chosen (written to the plugin and its metadata).
        checkpoint_url: where users download the checkpoint (checkpoints only; it is recorded
            with the checkpoint's sha256; :func:`neuroalign.brainscore.registration` verifies it).
        force: replace an existing plugin folder with other content (otherwise an error).
    """
    from neuroalign.extract.model_spec import load_model

    loaded = load_model(model) if isinstance(model, str | os.PathLike) else model
    files = render_plugin(
        loaded,
        identifier,
        region_layer_map or REGION_LAYER_MAP,
        layers,
        origin=origin,
        checkpoint_url=checkpoint_url,
        visual_degrees=visual_degrees,
    )
    return write_plugin_folder(Path(out_root) / plugin_folder_name(identifier), files, force=force)


def _installed_registering(identifiers: Sequence[str], kind: str, skip: str) -> list[Path]:
    """Installed plugin folders (other than ``skip``) that register one of ``identifiers``."""
    found = []
    for folder in sorted(brainscore_plugins_dir(kind).iterdir()):
        if folder.name == skip or folder.name.startswith((".", "_")):
            continue
        if set(plugin_identifiers(folder)) & set(identifiers):
            found.append(folder)
    return found


def install_conflict(
    files: Mapping[str, str | bytes], folder: str, kind: str = "models"
) -> str | None:
    """Why installing ``files`` as ``brainscore_vision/<kind>/<folder>`` needs ``force`` (an
    installed plugin with other content there, or another plugin registering the same
    identifier), or None. Lets a caller refuse before writing anything."""
    data = {n: t.encode() if isinstance(t, str) else t for n, t in files.items()}
    target = brainscore_plugins_dir(kind) / folder
    identifiers = [m.group(2) for m in _REGISTRATION.finditer(data["__init__.py"].decode())]
    others = _installed_registering(identifiers, kind, skip=folder)
    if others:
        return f"identifier {identifiers[0]!r} is already registered by {others[0]}; pass --force"
    if os.path.lexists(target) and not _holds(target, data):
        return f"{target} is already installed with other content; pass --force to replace it"
    return None


def install_files(
    files: Mapping[str, str | bytes], folder: str, *, kind: str = "models", force: bool = False
) -> Path:
    """Install a plugin given as files into ``brainscore_vision/<kind>/<folder>`` (one rename).

    The same content again is a no-op. Other content there, or an identifier another installed
    plugin registers, needs ``force`` (:class:`PluginExistsError` otherwise; with ``force`` the
    other plugin is removed).
    """
    data = {n: t.encode() if isinstance(t, str) else t for n, t in files.items()}
    if "__init__.py" not in data or not _REGISTRATION.search(data["__init__.py"].decode()):
        raise ValueError(f"plugin {folder!r} has no *_registry['...'] line in its __init__.py")
    problem = install_conflict(data, folder, kind)
    if problem and not force:
        raise PluginExistsError(problem)
    identifiers = [m.group(2) for m in _REGISTRATION.finditer(data["__init__.py"].decode())]
    others = _installed_registering(identifiers, kind, skip=folder)
    target = write_plugin_folder(brainscore_plugins_dir(kind) / folder, data, force=True)
    for other in others:
        uninstall_folder(other.name, kind)
    _forget(identifiers, kind, [folder])
    return target


def install_plugin(plugin_dir: str | Path, *, kind: str = "models", force: bool = False) -> Path:
    """Copy a plugin folder into the installed ``brainscore_vision/<kind>/`` (see
    :func:`install_files`), under the same folder name; returns the installed path."""
    plugin_dir = Path(plugin_dir).resolve()
    if not (plugin_dir / "__init__.py").is_file():
        raise FileNotFoundError(f"{plugin_dir} is not a plugin folder (no __init__.py)")
    return install_files(_folder_files(plugin_dir), plugin_dir.name, kind=kind, force=force)


def cache_checkpoint(loaded: Any, identifier: str) -> Path:
    """Put a checkpoint where its plugin looks first: torch hub's cache, under
    :func:`checkpoint_cache_name` (copied atomically; kept if already there and verified)."""
    import shutil

    import torch

    from neuroalign.io import sha256_file

    name = checkpoint_cache_name(identifier, loaded.file_sha256)
    target = Path(torch.hub.get_dir()) / "checkpoints" / name
    if target.is_file() and sha256_file(target) == loaded.file_sha256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f".{name}.part-{os.getpid()}")  # plain open(): the umask's modes
    try:
        shutil.copyfile(loaded.weights_file, part)
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
    return target


def _uninstall_folder(folder: Path) -> None:
    """Remove an installed plugin folder (or link): one rename out of sight, then delete."""
    import shutil

    if not os.path.lexists(folder):
        return
    aside = folder.with_name(f".{folder.name}.tmp-{os.getpid()}-removed")
    os.rename(folder, aside)
    if aside.is_symlink():
        aside.unlink()
    else:
        shutil.rmtree(aside, ignore_errors=True)


def _forget(identifiers: Sequence[str], kind: str, folders: Sequence[str]) -> None:
    """Drop what this process imported of those plugins, so the next load reads the files."""
    import brainscore_vision

    registry = getattr(brainscore_vision, f"{kind.rstrip('s')}_registry")
    for identifier in identifiers:
        registry.pop(identifier, None)
    prefix = f"brainscore_vision.{kind}."
    for name in [m for m in sys.modules if m.startswith(prefix)]:
        if name[len(prefix) :].split(".")[0] in folders:
            del sys.modules[name]


def uninstall_folder(folder: str, kind: str = "models") -> bool:
    """Remove the installed plugin ``brainscore_vision/<kind>/<folder>`` (folder or link) and
    forget its registrations in this process; True if something was removed."""
    target = brainscore_plugins_dir(kind) / folder
    identifiers = plugin_identifiers(target)
    existed = os.path.lexists(target)
    _uninstall_folder(target)
    _forget(identifiers, kind, [folder])
    return existed


def uninstall_plugin(identifier: str) -> bool:
    """Remove an installed model plugin (folder or link); True if something was removed."""
    return uninstall_folder(plugin_folder_name(identifier), "models")
