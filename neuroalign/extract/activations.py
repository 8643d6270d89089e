"""Layer activations of a network as Brain-Score ``NeuroidAssembly`` objects.

All requested layers come from ONE forward pass per batch: a forward hook on each module copies
its output, and the pass stops as soon as the last requested module has run (layers after it
are never computed). Images are decoded with PIL in ``DataLoader`` workers and preprocessed as
the model was trained (:class:`~neuroalign.extract.model_spec.Preprocessing`); on CUDA the
forward runs in bfloat16 autocast with channels-last memory format.

Output layout follows Brain-Score's ``ActivationsExtractorHelper`` (github.com/brain-score/vision,
``model_helpers/activations/core.py``) so the assemblies drop into its benchmarks and metrics:
``presentation`` x ``neuroid``; a conv map of shape (C, H, W) is flattened in C order and gets
neuroid coords ``channel`` (c), ``channel_x`` (the row index h) and ``channel_y`` (the column
index w), exactly as Brain-Score's ``flatten``; a vector layer (C,) gets ``channel`` with
``channel_x``/``channel_y`` NaN. Every neuroid also has ``layer``, ``neuroid_num`` and
``neuroid_id`` (``"<layer>.<num>"``). Presentation coords: ``stimulus_id``, ``stimulus_num`` (+ ``stimulus_path``
and every column of a ``StimulusSet``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

import neuroalign
from neuroalign.data.images import IMAGE_EXTENSIONS
from neuroalign.errors import DataError
from neuroalign.extract.model_spec import LoadedModel
from neuroalign.preprocessing import Preprocessing

__all__ = [
    "Stimuli",
    "as_stimuli",
    "estimate_bytes_per_image",
    "extract_activations",
    "forward_layers",
    "iter_batches",
    "neuroid_coords",
    "package_layer",
    "resolve_device",
]


# --------------------------------------------------------------------------------------------
# Stimuli
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stimuli:
    """A normalised view of the inputs: ids plus either image files or a uint8 tensor.

    Attributes:
        ids: one ``stimulus_id`` per image, in order.
        paths: image files (same order), or ``None`` for tensor input.
        tensor: uint8 images (N, 3, H, W), or ``None`` for file input.
        meta: extra per-stimulus columns (a StimulusSet's), indexed like ``ids``.
        identifier: the StimulusSet identifier, when there is one.
    """

    ids: tuple[str, ...]
    paths: tuple[Path, ...] | None = None
    tensor: torch.Tensor | None = None
    meta: pd.DataFrame | None = None
    identifier: str | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, indices: Sequence[int]) -> Stimuli:
        idx = list(indices)
        return Stimuli(
            ids=tuple(self.ids[i] for i in idx),
            paths=None if self.paths is None else tuple(self.paths[i] for i in idx),
            tensor=None if self.tensor is None else self.tensor[idx],
            meta=None if self.meta is None else self.meta.iloc[idx].reset_index(drop=True),
            identifier=None,
        )


def _folder_images(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS)
    if not files:
        raise DataError(f"{folder}: no image files ({', '.join(IMAGE_EXTENSIONS)}) found")
    return files


def as_stimuli(stimuli: Any) -> Stimuli:
    """Accept a StimulusSet, an image folder, a list of image paths or a uint8 (N, 3, H, W) tensor.

    Ids: a StimulusSet's ``stimulus_id``; for files, the path relative to the folder (or the
    file stem when all stems are distinct) without suffix; for a tensor, ``"image_00000"``...
    """
    if isinstance(stimuli, Stimuli):
        return stimuli
    # a Brain-Score StimulusSet (a DataFrame with stimulus paths)
    if isinstance(stimuli, pd.DataFrame):
        if "stimulus_id" not in stimuli.columns:
            raise DataError("stimulus set has no 'stimulus_id' column")
        ids = [str(s) for s in stimuli["stimulus_id"]]
        if len(set(ids)) != len(ids):
            raise DataError("stimulus set has duplicate stimulus_id values")
        getter = getattr(stimuli, "get_stimulus", None)
        if getter is None:
            raise DataError("stimulus set has no stimulus paths (get_stimulus)")
        paths = tuple(Path(getter(s)) for s in stimuli["stimulus_id"])
        meta = pd.DataFrame(stimuli).reset_index(drop=True)
        return Stimuli(
            ids=tuple(ids),
            paths=paths,
            meta=meta,
            identifier=getattr(stimuli, "identifier", None),
        )
    if isinstance(stimuli, torch.Tensor):
        if stimuli.dtype != torch.uint8 or stimuli.ndim != 4 or stimuli.shape[1] != 3:
            raise DataError(
                f"image tensor must be uint8 of shape (N, 3, H, W), got {stimuli.dtype} "
                f"{tuple(stimuli.shape)}"
            )
        ids = tuple(f"image_{i:05d}" for i in range(stimuli.shape[0]))
        return Stimuli(ids=ids, tensor=stimuli.detach().cpu())
    if hasattr(stimuli, "images") and isinstance(stimuli.images, torch.Tensor):
        return as_stimuli(stimuli.images)  # neuroalign.data.ImageDataset
    if isinstance(stimuli, (str, os.PathLike)):
        folder = Path(stimuli)
        if not folder.is_dir():
            raise FileNotFoundError(f"stimulus folder not found: {folder}")
        files = _folder_images(folder)
        ids = tuple(str(p.relative_to(folder).with_suffix("")) for p in files)
        return Stimuli(ids=ids, paths=tuple(files), identifier=None)
    if isinstance(stimuli, Sequence):
        files = [Path(p) for p in stimuli]
        missing = [str(p) for p in files if not p.is_file()]
        if missing:
            raise FileNotFoundError(f"image files not found: {', '.join(missing[:10])}")
        stems = [p.stem for p in files]
        ids = stems if len(set(stems)) == len(stems) else [str(p.with_suffix("")) for p in files]
        if len(set(ids)) != len(ids):
            raise DataError("the list of image paths has duplicates")
        return Stimuli(ids=tuple(ids), paths=tuple(files))
    raise TypeError(
        f"stimuli must be a StimulusSet, folder, list of paths or uint8 tensor, got "
        f"{type(stimuli).__name__}"
    )


class _ImageFiles(torch.utils.data.Dataset):
    """Decode one image file and give it the model's input geometry ->
    (index, uint8 (3, S, S), error message or "")."""

    def __init__(self, paths: Sequence[Path], prep: Preprocessing):
        self.paths = list(paths)
        self.prep = prep

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int):
        from torchvision.transforms.v2 import functional as tvf

        from neuroalign.data import open_image

        size = self.prep.image_size
        try:
            image = open_image(self.paths[i])
            return i, tvf.pil_to_tensor(self.prep.resize_crop(image)), ""
        except Exception as err:
            return i, torch.zeros(3, size, size, dtype=torch.uint8), f"{type(err).__name__}: {err}"


def _to_input(images: torch.Tensor, prep: Preprocessing) -> torch.Tensor:
    """uint8 (B, 3, S, S) with the input geometry -> the normalised float32 network input."""
    return prep.normalize(images.to(torch.float32).div_(255.0))


def iter_batches(
    stimuli: Stimuli,
    prep: Preprocessing,
    batch_size: int,
    num_workers: int | None = None,
    pin_memory: bool = False,
) -> Iterator[tuple[int, torch.Tensor]]:
    """Yield ``(start, images)``: preprocessed float32 (B, 3, S, S) batches in stimulus order.

    Files are decoded in ``num_workers`` DataLoader workers (default: min(4, CPUs - 1)).
    A batch with undecodable files raises :class:`DataError` naming every such file in it.
    """
    if stimuli.tensor is not None:
        for start in range(0, len(stimuli), batch_size):
            yield start, prep(stimuli.tensor[start : start + batch_size])
        return
    assert stimuli.paths is not None
    if num_workers is None:
        num_workers = min(4, max(0, (os.cpu_count() or 1) - 1))
    loader = torch.utils.data.DataLoader(
        _ImageFiles(stimuli.paths, prep),
        batch_size=batch_size,
        shuffle=False,
        num_workers=num_workers,
        persistent_workers=False,
        pin_memory=pin_memory,
    )
    start = 0
    for indices, images, errors in loader:
        bad = [f"{stimuli.paths[int(i)]} ({e})" for i, e in zip(indices, errors) if e]
        if bad:
            raise DataError(f"{len(bad)} image(s) failed to decode: " + "; ".join(bad))
        yield start, _to_input(images, prep)
        start += len(indices)


# --------------------------------------------------------------------------------------------
# Forward pass with hooks
# --------------------------------------------------------------------------------------------


class _StopForward(Exception):
    """Raised by the last hook so the rest of the network is skipped."""


def resolve_device(device: str | torch.device | None) -> torch.device:
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def forward_layers(
    model: nn.Module,
    modules: dict[str, nn.Module],
    images: torch.Tensor,
    *,
    stop_early: bool = True,
    autocast_dtype: torch.dtype | None = None,
) -> dict[str, torch.Tensor]:
    """Run ``model`` once on ``images`` and return the output of every module in ``modules``.

    Args:
        model: the network (eval mode).
        modules: output name -> sub-module of ``model`` to record.
        images: (B, 3, S, S) input on the model's device.
        stop_early: stop the forward pass once every requested module has produced its output.
        autocast_dtype: run under ``torch.autocast`` with this dtype (e.g. bfloat16 on CUDA).

    Returns:
        name -> float32 tensor (B, ...) on the model's device. A tuple output keeps its first item.
        A module called several times in one pass keeps its first output when ``stop_early``.
    """
    outputs: dict[str, torch.Tensor] = {}
    pending = set(modules)

    def make_hook(name: str) -> Callable:
        def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
            if isinstance(output, (tuple, list)):
                output = output[0]
            if name in outputs and stop_early:
                return
            outputs[name] = output.detach().float()
            pending.discard(name)
            if stop_early and not pending:
                raise _StopForward

        return hook

    handles = [m.register_forward_hook(make_hook(n)) for n, m in modules.items()]
    try:
        with torch.inference_mode():
            if autocast_dtype is not None:
                with torch.autocast(images.device.type, dtype=autocast_dtype):
                    model(images)
            else:
                model(images)
    except _StopForward:
        pass
    finally:
        for h in handles:
            h.remove()
    missing = set(modules) - set(outputs)
    if missing:
        raise RuntimeError(f"layers {sorted(missing)} did not run in the forward pass")
    return outputs


def estimate_bytes_per_image(
    loaded: LoadedModel, layers: Sequence[str], device: torch.device | None = None
) -> tuple[dict[str, tuple[int, ...]], int]:
    """Probe one blank image: (feature shape per layer, bytes of all module outputs per image).

    The second number sums the float32 outputs of every leaf module that runs (the pass stops
    after the last requested layer), an
    upper bound of the working memory an image needs (inference frees intermediate tensors).
    """
    device = device or next(loaded.model.parameters()).device
    size = loaded.preprocessing.image_size
    x = torch.zeros(1, 3, size, size, device=device)
    total = 0

    def count(_m: nn.Module, _i: Any, out: Any) -> None:
        nonlocal total
        if isinstance(out, torch.Tensor):
            total += out.numel() * 4

    leaves = [m for m in loaded.model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(count) for m in leaves]
    try:
        modules = {name: loaded.get_module(name) for name in layers}
        outs = forward_layers(loaded.model, modules, x)
    finally:
        for h in handles:
            h.remove()
    return {name: tuple(t.shape[1:]) for name, t in outs.items()}, total + x.numel() * 4


# --------------------------------------------------------------------------------------------
# Packaging
# --------------------------------------------------------------------------------------------


def neuroid_coords(layer: str, feature_shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Coordinates of the flattened features of one layer (Brain-Score's conventions).

    (C, H, W) -> channel, channel_x (row h), channel_y (column w); (C,) -> channel (x/y NaN);
    (T, D) (tokens) -> channel (t), embedding (d); other shapes: neuroid_num only.
    """
    n = int(np.prod(feature_shape)) if feature_shape else 1
    num = np.arange(n)
    coords: dict[str, np.ndarray] = {"neuroid_num": num}
    if len(feature_shape) == 3:
        c, h, w = np.unravel_index(num, feature_shape)
        coords.update(channel=c, channel_x=h, channel_y=w)
    elif len(feature_shape) == 1:
        nan = np.full(n, np.nan)
        coords.update(channel=num, channel_x=nan, channel_y=nan)
    elif len(feature_shape) == 2:
        t, d = np.unravel_index(num, feature_shape)
        coords.update(channel=t, embedding=d)
    coords["layer"] = np.full(n, layer, dtype=object)
    coords["neuroid_id"] = np.char.add(f"{layer}.", num.astype(str)).astype(object)
    return coords


def reduced_coords(layer: str, k: int) -> dict[str, np.ndarray]:
    """Coordinates of ``k`` reduced features (random-projection / PCA components)."""
    num = np.arange(k)
    return {
        "neuroid_num": num,
        "component": num,
        "layer": np.full(k, layer, dtype=object),
        "neuroid_id": np.char.add(f"{layer}.", num.astype(str)).astype(object),
    }


def presentation_coords(stimuli: Stimuli) -> dict[str, np.ndarray]:
    coords: dict[str, np.ndarray] = {
        "stimulus_id": np.asarray(stimuli.ids, dtype=object),
        "stimulus_num": np.arange(len(stimuli)),
    }
    if stimuli.paths is not None:
        coords["stimulus_path"] = np.asarray([str(p) for p in stimuli.paths], dtype=object)
    if stimuli.meta is not None:
        for col in stimuli.meta.columns:
            if col in coords or col in ("presentation", "neuroid"):
                continue
            values = stimuli.meta[col].to_numpy()
            if values.dtype == object:
                values = np.asarray([str(v) for v in values], dtype=object)
            coords[str(col)] = values
    return coords


def package_layer(
    values: np.ndarray,
    layer: str,
    stimuli: Stimuli,
    feature_shape: tuple[int, ...] | None = None,
    attrs: dict[str, Any] | None = None,
    reduced: bool = False,
):
    """Wrap (N, n_features) ``values`` of one layer as a ``NeuroidAssembly`` (presentation x neuroid)."""
    from brainscore_core.supported_data_standards.brainio.assemblies import NeuroidAssembly

    values = values.reshape(values.shape[0], -1)
    if values.shape[0] != len(stimuli):
        raise ValueError(f"{values.shape[0]} rows for {len(stimuli)} stimuli in layer {layer}")
    if reduced or feature_shape is None:
        ncoords = reduced_coords(layer, values.shape[1])
    else:
        ncoords = neuroid_coords(layer, feature_shape)
    coords = {k: ("presentation", v) for k, v in presentation_coords(stimuli).items()}
    coords.update({k: ("neuroid", v) for k, v in ncoords.items()})
    assembly = NeuroidAssembly(values, coords=coords, dims=["presentation", "neuroid"])
    assembly.attrs.update(attrs or {})
    assembly.name = layer
    return assembly


def _base_attrs(loaded: LoadedModel, layer: str, reduction: Any, stimuli: Stimuli) -> dict:
    return {
        "model_identifier": loaded.identifier,
        "model_spec": loaded.spec,
        "weights_sha256": loaded.weights_sha256,
        "layer": layer,
        "preprocessing": json.dumps(loaded.preprocessing.to_dict()),
        "reduction": json.dumps(None if reduction is None else reduction.to_dict()),
        "stimulus_set_identifier": stimuli.identifier or "",
        "neuroalign_version": neuroalign.__version__,
    }


# --------------------------------------------------------------------------------------------
# The extraction loop (shared by in-memory and streamed extraction)
# --------------------------------------------------------------------------------------------


def _autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    if precision == "auto":
        return torch.bfloat16 if device.type == "cuda" else None
    if precision == "float32":
        return None
    if precision == "bfloat16":
        return torch.bfloat16
    raise ValueError(f"precision must be auto, float32 or bfloat16, got {precision!r}")


def _precision_name(precision: str, device: torch.device) -> str:
    return "bfloat16" if _autocast_dtype(precision, device) is not None else "float32"


def run_extraction(
    loaded: LoadedModel,
    stimuli: Stimuli,
    layers: Sequence[str],
    write: Callable[[str, int, np.ndarray], None],
    *,
    batch_size: int,
    device: torch.device,
    num_workers: int | None = None,
    reducers: dict[str, Any] | None = None,
    progress: bool = False,
    precision: str = "auto",
) -> None:
    """One pass over ``stimuli``: for each batch, ``write(layer, start, (B, n_features) float32)``.

    ``reducers`` (layer -> fitted reducer with ``transform``) map features to k dims on the way.
    ``precision``: ``"auto"`` (bfloat16 autocast on CUDA, float32 elsewhere), ``"float32"`` or
    ``"bfloat16"``.
    """
    model = loaded.model
    autocast = _autocast_dtype(precision, device)
    # channels-last suits cuDNN and oneDNN convolutions alike (about 1.3x faster on CPU here)
    model = model.to(device=device, memory_format=torch.channels_last)
    modules = {name: loaded.get_module(name) for name in layers}
    batches = iter_batches(
        stimuli, loaded.preprocessing, batch_size, num_workers, pin_memory=device.type == "cuda"
    )
    if progress:
        from tqdm.auto import tqdm

        batches = tqdm(batches, total=math.ceil(len(stimuli) / batch_size), desc="activations")
    for start, images in batches:
        images = images.to(device, non_blocking=True)
        images = images.contiguous(memory_format=torch.channels_last)
        outs = forward_layers(model, modules, images, autocast_dtype=autocast)
        for name in layers:
            feats = outs[name].reshape(images.shape[0], -1)
            if reducers and name in reducers:
                feats = reducers[name].transform(feats)
            write(name, start, feats.float().cpu().numpy())


def extract_activations(
    model: LoadedModel,
    stimuli: Any,
    layers: Sequence[str],
    batch_size: int = 64,
    device: str | torch.device | None = None,
    *,
    num_workers: int | None = None,
    reduction: Any = None,
    cache: bool | str | Path = False,
    progress: bool = False,
    precision: str = "auto",
) -> dict[str, Any]:
    """Activations of ``layers`` of ``model`` to ``stimuli``, all layers from one forward pass.

    Args:
        model: a :class:`LoadedModel` (see :func:`neuroalign.extract.load_model`).
        stimuli: a Brain-Score ``StimulusSet``, an image folder, a list of image paths, or a
            uint8 tensor (N, 3, H, W).
        layers: module names (``model.layer_names()``); order is kept in the result.
        batch_size: images per forward pass.
        device: ``"cpu"``, ``"cuda"``...; default CUDA when available.
        num_workers: image-decoding worker processes (default min(4, CPUs - 1)).
        reduction: an optional :class:`neuroalign.extract.reduce.Reduction` (random projection or
            PCA to k features per layer).
        cache: ``True`` (under ``$NEUROALIGN_HOME/activations``) or a folder: reuse results keyed
            by the content hash of weights, preprocessing, layers, stimuli and reduction.
        progress: show a progress bar.
        precision: ``"auto"`` (bfloat16 autocast on CUDA, float32 on CPU), ``"float32"``,
            ``"bfloat16"``.

    Returns:
        layer -> ``NeuroidAssembly`` (presentation x neuroid, float32) in the order of ``layers``.
        For files larger than memory use :func:`neuroalign.extract.stream.stream_activations`.
    """
    from neuroalign.extract import cache as cache_mod
    from neuroalign.extract.reduce import fit_reducers

    layers = _check_layers(model, layers)
    stim = as_stimuli(stimuli)
    if len(stim) == 0:
        raise DataError("no stimuli given")
    dev = resolve_device(device)

    entry = None
    if cache:
        root = cache_mod.default_cache_root() if cache is True else Path(cache)
        key = cache_mod.activation_cache_key(
            model, stim, layers, reduction, precision=_precision_name(precision, dev)
        )
        entry = cache_mod.ActivationCache(root).entry(key)
        hit = entry.load(layers)
        if hit is not None:
            return hit

    shapes, _ = estimate_bytes_per_image(model, layers)
    reducers = fit_reducers(reduction, model, stim, layers, shapes, batch_size, dev, num_workers)
    widths = {name: reducers[name].k if reducers else int(np.prod(shapes[name])) for name in layers}
    buffers = {name: np.empty((len(stim), widths[name]), dtype=np.float32) for name in layers}

    def write(name: str, start: int, values: np.ndarray) -> None:
        buffers[name][start : start + values.shape[0]] = values

    run_extraction(
        model, stim, layers, write, batch_size=batch_size, device=dev,
        num_workers=num_workers, reducers=reducers, progress=progress, precision=precision,
    )  # fmt: skip
    result = {
        name: package_layer(
            buffers.pop(name),
            name,
            stim,
            shapes[name],
            attrs=_base_attrs(model, name, reduction, stim),
            reduced=bool(reducers),
        )
        for name in layers
    }
    if entry is not None:
        entry.save(result)
    return result


def _check_layers(model: LoadedModel, layers: Sequence[str] | str) -> list[str]:
    if isinstance(layers, str):
        layers = [s.strip() for s in layers.split(",") if s.strip()]
    layers = list(layers)
    if not layers:
        raise ValueError("no layers requested; see model.layer_names()")
    if len(set(layers)) != len(layers):
        raise ValueError(f"duplicate layers requested: {layers}")
    for name in layers:
        model.resolve_layer(name)  # raises listing the valid names
    return layers
