"""A content-addressed on-disk cache of activations.

An entry lives in ``<root>/<key>/`` (one netCDF file per layer + ``entry.json``), where ``key`` is
the sha256 of the canonical JSON of every ingredient of the result:

* the weights (:attr:`LoadedModel.weights_sha256`, a digest of the state dict's bytes),
* the preprocessing (image size, resize, mean, std),
* the layers (in the requested order),
* the stimuli: their ids and the sha256 of each image file's bytes (or of the tensor's bytes),
* the reduction (method, k, seed, fit size), the compute precision (float32 / bfloat16) and
  the neuroalign cache-format version.

Changing any of them changes the key, so a stale entry is never reused (the test suite checks
each ingredient). Entries are written atomically; a half-written entry is never loaded, and one
whose files cannot be read (truncated or garbled) is deleted with a warning and recomputed.
The default root is ``$NEUROALIGN_HOME/activations`` (``NEUROALIGN_HOME`` defaults to the user
cache directory).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from neuroalign.extract.stimuli import as_stimuli
from neuroalign.extract.stream import layer_filename, open_assembly, save_assembly
from neuroalign.io import atomic_write, sha256_file

__all__ = [
    "CACHE_FORMAT",
    "ActivationCache",
    "CacheEntry",
    "activation_cache_key",
    "default_cache_root",
    "stimuli_fingerprint",
]

CACHE_FORMAT = "neuroalign-activations/1"


def default_cache_root() -> Path:
    """``$NEUROALIGN_HOME/activations`` (or the user cache dir's ``neuroalign/activations``)."""
    home = os.environ.get("NEUROALIGN_HOME")
    if not home:
        import platformdirs

        home = platformdirs.user_cache_dir("neuroalign")
    return Path(home) / "activations"


def stimuli_fingerprint(stimuli: Any) -> str:
    """sha256 over the stimulus ids and the content of each image (file bytes or tensor bytes)."""
    stim = as_stimuli(stimuli)
    digest = hashlib.sha256()
    for sid in stim.ids:
        digest.update(sid.encode() + b"\0")
    if stim.tensor is not None:
        t = stim.tensor.contiguous()
        digest.update(f"tensor{tuple(t.shape)}".encode())
        digest.update(t.numpy().tobytes())
    else:
        assert stim.paths is not None
        for p in stim.paths:
            digest.update(sha256_file(p).encode())
    return digest.hexdigest()


def activation_cache_key(
    model: Any,
    stimuli: Any,
    layers: Sequence[str],
    reduction: Any = None,
    precision: str = "float32",
) -> str:
    """The cache key (hex sha256) of extracting ``layers`` of ``model`` on ``stimuli``."""
    ingredients = {
        "format": CACHE_FORMAT,
        "weights": model.weights_sha256,
        "preprocessing": model.preprocessing.to_dict(),
        "layers": list(layers),
        "stimuli": stimuli_fingerprint(stimuli),
        "reduction": None if reduction is None else reduction.to_dict(),
        "precision": precision,
    }
    text = json.dumps(ingredients, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class CacheEntry:
    """One cached result: ``<folder>/<layer>.nc`` files and ``entry.json`` (written last)."""

    def __init__(self, folder: Path):
        self.folder = folder

    @property
    def complete(self) -> bool:
        return (self.folder / "entry.json").is_file()

    def load(self, layers: Sequence[str]) -> dict[str, Any] | None:
        """layer -> NeuroidAssembly (loaded into memory), or ``None`` if absent, incomplete or
        corrupt (a corrupt entry is deleted, with a warning, so that it is rebuilt)."""
        if not self.complete:
            return None
        files = {name: self.folder / layer_filename(name) for name in layers}
        if not all(f.is_file() for f in files.values()):
            return None
        try:
            return {name: open_assembly(f, load=True) for name, f in files.items()}
        except (OSError, RuntimeError, ValueError, KeyError) as err:  # DataError is a ValueError
            # a truncated or garbled file (disk full, a copy cut short): rebuild the entry
            warnings.warn(
                f"{self.folder}: corrupt activation-cache entry ({type(err).__name__}: {err}); "
                "deleting it, the activations will be recomputed",
                stacklevel=2,
            )
            shutil.rmtree(self.folder, ignore_errors=True)
            return None

    def save(self, assemblies: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for name, assembly in assemblies.items():
            save_assembly(assembly, self.folder / layer_filename(name))
        with atomic_write(self.folder / "entry.json") as handle:
            json.dump({"format": CACHE_FORMAT, "layers": list(assemblies)}, handle)


class ActivationCache:
    """The cache folder; ``entry(key)`` gives the :class:`CacheEntry` of one key."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else default_cache_root()

    def entry(self, key: str) -> CacheEntry:
        return CacheEntry(self.root / key)
