"""Write neuroalign models as Brain-Score model plugins, and install them.

A Brain-Score model plugin (github.com/brain-score/vision, ``brainscore_vision/models/<name>/``)
is a folder with

* ``__init__.py``: ``model_registry['<name>'] = lambda: ...`` (Brain-Score finds a plugin by
  grepping every ``models/*/__init__.py`` for exactly this text);
* ``model.py``: builds the model (here: :func:`neuroalign.brainscore.build_brain_model` with the
  committed ``REGION_LAYER_MAP``; a checkpoint is located and its sha256 verified first);
* ``test.py``, ``metadata.yml``, ``requirements.txt`` and ``region_layer_map/<name>.json``.

``brainscore_vision.load_model(name)`` only searches its *installed* ``models/`` folder, so
:func:`install_plugin` links (or copies) the plugin there. Brain-Score then runs
``pip install -r requirements.txt`` on every load unless ``BS_INSTALL_DEPENDENCIES=no``; the
requirements written here (torch, torchvision, neuroalign) are already satisfied in the
environment that registered the model, so that step is a no-op either way (and Brain-Score
ignores its exit status).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

import neuroalign
from neuroalign.io import atomic_write

__all__ = [
    "PluginExistsError",
    "brainscore_models_dir",
    "install_plugin",
    "installed_plugin_path",
    "uninstall_plugin",
    "validate_identifier",
    "write_plugin",
]


class PluginExistsError(FileExistsError, ValueError):
    """A plugin folder or a registration of that identifier already exists (use ``force``)."""


_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


def validate_identifier(identifier: str) -> str:
    """A model identifier usable as a plugin folder and registry key (letters, digits, _ . -)."""
    if not _IDENTIFIER.match(identifier or ""):
        raise ValueError(
            f"invalid model identifier {identifier!r}: use letters, digits, '_', '.', '-' and "
            f"start with a letter"
        )
    return identifier


def brainscore_models_dir() -> Path:
    """The installed ``brainscore_vision/models`` folder that ``load_model`` searches."""
    import brainscore_vision

    return Path(brainscore_vision.__file__).resolve().parent / "models"


def installed_plugin_path(identifier: str) -> Path:
    return brainscore_models_dir() / identifier


def _registered_elsewhere(identifier: str, skip: Path | None = None) -> list[Path]:
    """Installed plugin folders whose ``__init__.py`` registers ``identifier``."""
    needle = f"model_registry['{identifier}']"
    found = []
    for init in brainscore_models_dir().glob("*/__init__.py"):
        if skip is not None and init.parent.name == skip.name:
            continue
        try:
            text = init.read_text(encoding="utf-8").replace('"', "'")
        except OSError:
            continue
        if needle in text:
            found.append(init.parent)
    return found


_INIT = '''\
"""Brain-Score model plugin {identifier!r}, written by `neuroalign register` (neuroalign {version})."""

from brainscore_vision import model_registry

from .model import get_model

model_registry['{identifier}'] = lambda: get_model('{identifier}')
'''

_MODEL = '''\
"""{identifier}: a neuroalign model committed to Brain-Score regions.

Written by `neuroalign register` (neuroalign {version}). The model is rebuilt with
`neuroalign.brainscore.build_brain_model` from MODEL_SPEC; a checkpoint is looked up beside this
file, then at its recorded path, and must match CHECKPOINT_SHA256.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

IDENTIFIER = {identifier!r}
MODEL_SPEC = {spec!r}
IS_CHECKPOINT = {is_checkpoint!r}
CHECKPOINT_SHA256 = {file_sha256!r}
CHECKPOINT_URL = {checkpoint_url!r}
WEIGHTS_SHA256 = {weights_sha256!r}
REGION_LAYER_MAP = {region_layer_map!r}
REGION_LAYER_MAP_ORIGIN = {origin!r}
LAYERS = {layers!r}
VISUAL_DEGREES = {visual_degrees!r}

BIBTEX = """@inproceedings{{he2016resnet,
  title = {{Deep Residual Learning for Image Recognition}},
  author = {{He, Kaiming and Zhang, Xiangyu and Ren, Shaoqing and Sun, Jian}},
  booktitle = {{IEEE Conference on Computer Vision and Pattern Recognition (CVPR)}},
  year = {{2016}}
}}"""

_logger = logging.getLogger(__name__)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def resolve_spec() -> str:
    """The model spec to build: the checkpoint file (verified) or the architecture name."""
    if not IS_CHECKPOINT:
        return MODEL_SPEC
    recorded = Path(MODEL_SPEC)
    for candidate in (Path(__file__).parent / recorded.name, recorded):
        if candidate.is_file():
            digest = _sha256(candidate)
            if digest != CHECKPOINT_SHA256:
                raise ValueError(
                    f"checkpoint {{candidate}} has sha256 {{digest}}, expected {{CHECKPOINT_SHA256}}"
                )
            return str(candidate)
    raise FileNotFoundError(
        f"checkpoint {{recorded.name}} (sha256 {{CHECKPOINT_SHA256}}) not found beside "
        f"{{__file__}} nor at {{recorded}}; get it from {{CHECKPOINT_URL or 'its author'}}"
    )


def get_model(identifier: str = IDENTIFIER):
    import neuroalign  # noqa: F401  (makes torchvision importable next to CPU torch)
    from neuroalign.brainscore import build_brain_model

    assert identifier == IDENTIFIER, f"this plugin provides {{IDENTIFIER}}, not {{identifier}}"
    model = build_brain_model(
        resolve_spec(), IDENTIFIER, REGION_LAYER_MAP, layers=LAYERS,
        visual_degrees=VISUAL_DEGREES,
    )
    if model.loaded.weights_sha256 != WEIGHTS_SHA256:
        _logger.warning(
            "weights of %s differ from the registered ones (sha256 %s, registered %s)",
            IDENTIFIER, model.loaded.weights_sha256, WEIGHTS_SHA256,
        )
    return model


def get_layers(identifier: str = IDENTIFIER) -> list[str]:
    return list(LAYERS)


def get_bibtex(identifier: str = IDENTIFIER) -> str:
    return BIBTEX
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


def _metadata(identifier: str, loaded: Any, info: dict[str, Any]) -> dict[str, Any]:
    arch = loaded.metadata.get("arch") or loaded.model.__class__.__name__
    cfg = loaded.metadata.get("config") or {}
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
                    "supervision": {
                        "type": "self-supervised" if info["is_checkpoint"] else "none",
                        "description": str(cfg.get("loss", cfg.get("method", "random init")))
                        if info["is_checkpoint"]
                        else "random initialisation (torch.manual_seed(0))",
                    },
                },
                "training": {"preprocessing": loaded.preprocessing.to_dict()},
                "provenance": {
                    "weights_provider": "neuroalign",
                    "model_spec": info["spec"],
                    "checkpoint_sha256": info["file_sha256"],
                    "checkpoint_url": info["checkpoint_url"],
                    "weights_sha256": loaded.weights_sha256,
                    "neuroalign_version": neuroalign.__version__,
                },
                "brain_commitment": {
                    "region_layer_map": dict(info["region_layer_map"]),
                    "region_layer_map_origin": info["origin"],
                    "layers": list(info["layers"]),
                },
            }
        },
    }


def write_plugin(
    model: str | Any,
    identifier: str,
    out_root: str | Path = "models",
    region_layer_map: Mapping[str, str] | str | None = None,
    layers: Sequence[str] | None = None,
    *,
    origin: str = "fixed map (neuroalign.brainscore.DEFAULT_REGION_LAYER_MAP)",
    checkpoint_url: str | None = None,
    visual_degrees: float = 8,
    force: bool = False,
) -> Path:
    """Write the Brain-Score plugin of ``model`` to ``out_root/identifier/`` and return its path.

    Args:
        model: a spec (see :func:`neuroalign.extract.load_model`) or a :class:`LoadedModel`.
        identifier: the Brain-Score identifier (also the folder name).
        region_layer_map: region -> layer (default :data:`DEFAULT_REGION_LAYER_MAP`).
        layers: candidate layers recorded in the plugin (default: the committed ones).
        origin: how the map was chosen (written to the plugin and its metadata).
        checkpoint_url: where users can download the checkpoint (recorded with its sha256).
        force: overwrite an existing plugin folder (otherwise it is an error).
    """
    from neuroalign.brainscore.model import DEFAULT_REGION_LAYER_MAP, parse_region_layer_map
    from neuroalign.extract.model_spec import load_model

    validate_identifier(identifier)
    target = Path(out_root) / identifier
    loaded = load_model(model) if isinstance(model, (str, os.PathLike)) else model
    rlm = parse_region_layer_map(region_layer_map or DEFAULT_REGION_LAYER_MAP)
    for layer in rlm.values():
        loaded.resolve_layer(layer)
    layers = list(layers) if layers else list(dict.fromkeys(rlm.values()))
    for layer in layers:
        loaded.resolve_layer(layer)
    is_checkpoint = loaded.file_sha256 is not None
    spec = str(Path(loaded.spec).resolve()) if is_checkpoint else loaded.spec
    info = {
        "identifier": identifier,
        "version": neuroalign.__version__,
        "spec": spec,
        "is_checkpoint": is_checkpoint,
        "file_sha256": loaded.file_sha256,
        "checkpoint_url": checkpoint_url,
        "weights_sha256": loaded.weights_sha256,
        "region_layer_map": rlm,
        "origin": origin,
        "layers": layers,
        "visual_degrees": visual_degrees,
        "regions": sorted(rlm),
    }
    files = {
        "__init__.py": _INIT.format(**info),
        "model.py": _MODEL.format(**info),
        "test.py": _TEST.format(**info),
        "requirements.txt": "torch\ntorchvision\nneuroalign\n",
        f"region_layer_map/{identifier}.json": json.dumps(rlm, indent=4) + "\n",
        "metadata.yml": yaml.safe_dump(_metadata(identifier, loaded, info), sort_keys=False),
    }
    if target.exists() and not force:
        if _holds(target, files):
            return target  # the same model, weights and map registered again: nothing to do
        raise PluginExistsError(
            f"plugin {target} already exists for another model, weights or region map; "
            "pass --force to overwrite it"
        )
    if target.exists():
        shutil.rmtree(target)
    (target / "region_layer_map").mkdir(parents=True)
    for name, text in files.items():
        with atomic_write(target / name) as handle:
            handle.write(text)
    for path in target.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # readable by every user of the install
    return target


def _holds(folder: Path, files: Mapping[str, str]) -> bool:
    """Whether ``folder`` holds exactly these generated files (same names, same text)."""
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    present = {name for name in present if "__pycache__" not in name}
    if present != set(files):
        return False
    return all((folder / name).read_text() == text for name, text in files.items())


def install_plugin(plugin_dir: str | Path, *, mode: str = "symlink", force: bool = False) -> Path:
    """Make a plugin folder loadable by ``brainscore_vision.load_model``.

    Links (``mode="symlink"``) or copies (``mode="copy"``) ``plugin_dir`` into the installed
    ``brainscore_vision/models/``. Refuses to replace an existing plugin of that name, or to
    register an identifier another installed plugin already registers, unless ``force``.
    """
    plugin_dir = Path(plugin_dir).resolve()
    if not (plugin_dir / "__init__.py").is_file():
        raise FileNotFoundError(f"{plugin_dir} is not a plugin folder (no __init__.py)")
    if mode not in ("symlink", "copy"):
        raise ValueError(f"install mode must be 'symlink' or 'copy', got {mode!r}")
    identifier = plugin_dir.name
    target = installed_plugin_path(identifier)
    others = _registered_elsewhere(identifier, skip=target)
    if others and not force:
        raise PluginExistsError(
            f"identifier {identifier!r} is already registered by {others[0]}; pass --force"
        )
    for other in others:
        _remove(other)
    if target.is_symlink() and target.resolve() == plugin_dir and mode == "symlink":
        return target  # already installed from this folder
    if target.exists() or target.is_symlink():
        if not force:
            raise PluginExistsError(f"{target} already exists; pass --force to replace it")
        _remove(target)
    if mode == "symlink":
        target.symlink_to(plugin_dir, target_is_directory=True)
    else:
        shutil.copytree(plugin_dir, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def uninstall_plugin(identifier: str) -> bool:
    """Remove an installed plugin (link or copy); True if something was removed."""
    import sys

    target = installed_plugin_path(validate_identifier(identifier))
    existed = target.exists() or target.is_symlink()
    _remove(target)
    for name in [m for m in sys.modules if m.startswith(f"brainscore_vision.models.{identifier}")]:
        del sys.modules[name]
    import brainscore_vision

    brainscore_vision.model_registry.pop(identifier, None)
    return existed
