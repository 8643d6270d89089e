"""Stream activations to disk, one netCDF4 file per layer, in bounded memory.

Design (how 50,000 images x every ResNet-50 stage fit in a few GB of RAM):

* ``max_memory`` bounds the peak resident memory (RSS) of the whole Python process: the
  interpreter and its imports (about 1 GB with torch and Brain-Score), the loaded model, the
  reducers and the activations of one batch. DataLoader worker processes that decode images
  (``num_workers``) have their own memory and are not counted; ``num_workers=0`` keeps all
  the work in the one process.
* Before the pass, the memory already resident is measured and one blank image is probed: the
  feature size of each requested layer and the bytes of every module output in a forward pass
  (an upper bound of the activation memory per image).
* The batch size is the largest one (<= ``batch_size``) whose activations, plus the reducers
  and the netCDF write buffers, fit in what the budget leaves above the resident memory; a
  budget too small even for one image (or below what the process already used) is an error
  that says how much is needed.
* Each batch's features (optionally reduced to k dims, see :mod:`neuroalign.extract.reduce`)
  are written straight into the layer's netCDF variable (``activations``, presentation x
  neuroid, float32, chunked by batch) and dropped: resident memory does not grow with the
  number of images. Files land atomically (written as ``.part`` then renamed).
* :func:`open_assembly` re-opens a file lazily as a Brain-Score ``NeuroidAssembly``.

Without reduction, ResNet-50 ``layer1`` alone is 802,816 floats (3.2 MB) per image, i.e. 160 GB
of disk for 50,000 images; with ``Reduction(k=1000)`` every layer is 4 kB per image.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from neuroalign.errors import DataError
from neuroalign.extract.forward import (
    check_layers,
    estimate_bytes_per_image,
    resolve_device,
    run_extraction,
)
from neuroalign.extract.model_spec import LoadedModel
from neuroalign.extract.package import (
    layer_attrs,
    neuroid_coords,
    presentation_coords,
    reduced_coords,
)
from neuroalign.extract.reduce import fit_reducers, reducer_bytes
from neuroalign.extract.stimuli import as_stimuli
from neuroalign.io import atomic_path, atomic_write

__all__ = [
    "choose_batch_size",
    "layer_filename",
    "open_assembly",
    "parse_memory",
    "process_memory",
    "save_assembly",
    "stream_activations",
]

_UNITS = {"": 1, "b": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def parse_memory(text: str | int | float) -> int:
    """``"4GB"``, ``"512M"``, ``"1.5g"``, ``1000000`` -> bytes (binary units)."""
    if isinstance(text, (int, float)):
        return int(text)
    m = re.fullmatch(r"\s*([0-9.]+)\s*([kmgtKMGT]?)(i?[bB])?\s*", str(text))
    if not m:
        raise ValueError(f"cannot read memory size {text!r}; use e.g. 4GB, 512MB, 1.5G")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def layer_filename(layer: str) -> str:
    """File name of one layer's netCDF file (module dots kept, other odd characters replaced)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", layer) + ".nc"


def process_memory() -> tuple[int, int]:
    """(current, peak) resident memory of this process in bytes.

    Linux: ``VmRSS`` and ``VmHWM`` of ``/proc/self/status`` (the peak of this program: unlike
    ``getrusage``'s ``ru_maxrss``, it does not inherit the peak of the process that started it).
    Elsewhere both are ``ru_maxrss``.
    """
    try:
        with open("/proc/self/status") as handle:
            fields = dict(line.split(":", 1) for line in handle if ":" in line)
        current, peak = (int(fields[k].split()[0]) * 1024 for k in ("VmRSS", "VmHWM"))
        return current, max(peak, current)
    except (OSError, KeyError, ValueError):
        import resource
        import sys

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak = peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB on Linux
        return peak, peak


def choose_batch_size(
    requested: int, bytes_per_image: int, fixed_bytes: int, max_memory: int | None
) -> int:
    """The largest batch <= ``requested`` with fixed + batch * per-image bytes <= ``max_memory``."""
    if max_memory is None:
        return requested
    room = max_memory - fixed_bytes
    if room < bytes_per_image:
        need = (fixed_bytes + bytes_per_image) / 2**20
        raise DataError(
            f"--max-memory {max_memory / 2**20:.0f} MiB is too small: one image needs about "
            f"{need:.0f} MiB in all (the process as it is now -- Python, its imports and the "
            f"model --, the reducers and one image's activations); raise it, request fewer "
            f"layers or reduce them (--reduce)"
        )
    return max(1, min(requested, room // bytes_per_image))


class _NetCDFLayer:
    """An open netCDF4 file for one layer: coordinates written, values filled batch by batch."""

    def __init__(self, path: Path, pcoords: dict, ncoords: dict, attrs: dict, chunk_rows: int):
        import netCDF4

        self.path = path
        n, d = len(next(iter(pcoords.values()))), len(next(iter(ncoords.values())))
        self.ds = netCDF4.Dataset(path, "w", format="NETCDF4")
        self.ds.createDimension("presentation", n)
        self.ds.createDimension("neuroid", d)
        for dim, coords in (("presentation", pcoords), ("neuroid", ncoords)):
            for name, values in coords.items():
                values = np.asarray(values)
                if values.dtype == object or values.dtype.kind in "US":
                    var = self.ds.createVariable(name, str, (dim,))
                    var[:] = np.asarray([str(v) for v in values], dtype=object)
                else:
                    if values.dtype == bool:
                        values = values.astype(np.int8)
                        name_attrs = {"neuroalign_bool": 1}
                    else:
                        name_attrs = {}
                    var = self.ds.createVariable(name, values.dtype, (dim,))
                    var[:] = values
                    var.setncatts(name_attrs)
        rows = max(1, min(chunk_rows, n))
        cols = max(1, min(d, (8 * 2**20 // 4) // rows))
        self.var = self.ds.createVariable(
            "activations", "f4", ("presentation", "neuroid"), chunksizes=(rows, cols)
        )
        self.var.set_var_chunk_cache(size=4 * rows * cols + 1024, nelems=7, preemption=1.0)
        self.ds.setncatts({k: v for k, v in attrs.items()})

    def write(self, start: int, values: np.ndarray) -> None:
        self.var[start : start + values.shape[0], :] = values

    def close(self) -> None:
        self.ds.close()


def save_assembly(assembly: Any, path: str | Path) -> Path:
    """Write a presentation x neuroid assembly (values + 1-D coords + attrs) as netCDF4, atomically."""
    path = Path(path)
    from brainscore_core.supported_data_standards.brainio.assemblies import walk_coords

    pcoords, ncoords = {}, {}
    for name, dims, values in walk_coords(assembly):
        if name in ("presentation", "neuroid") or len(dims) != 1:
            continue
        (pcoords if dims[0] == "presentation" else ncoords)[name] = values
    attrs = {k: v for k, v in assembly.attrs.items() if isinstance(v, (str, int, float))}
    values = np.asarray(assembly.transpose("presentation", "neuroid").values, dtype=np.float32)
    with atomic_path(path, suffix=".nc") as tmp:
        out = _NetCDFLayer(tmp, pcoords, ncoords, attrs, chunk_rows=max(1, values.shape[0]))
        try:
            out.write(0, values)
        finally:
            out.close()
    return path


def open_assembly(path: str | Path, load: bool = False):
    """Open a layer file written by :func:`stream_activations` / :func:`save_assembly`.

    Returns a ``NeuroidAssembly`` (presentation x neuroid); values stay on disk (read lazily)
    unless ``load``.
    """
    import xarray as xr
    from brainscore_core.supported_data_standards.brainio.assemblies import NeuroidAssembly

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"activation file not found: {path}")
    ds = xr.open_dataset(path, engine="netcdf4", mask_and_scale=False)
    if "activations" not in ds:
        raise DataError(f"{path}: not a neuroalign activation file (no 'activations' variable)")
    ds = ds.set_coords([name for name in ds.data_vars if name != "activations"])
    da = ds["activations"]
    for name in list(da.coords):
        if ds[name].attrs.get("neuroalign_bool"):
            da = da.assign_coords({name: (da[name].dims, da[name].values.astype(bool))})
    da.attrs = dict(ds.attrs)
    if load:
        da = da.load()
    assembly = NeuroidAssembly(da)
    assembly.name = da.attrs.get("layer", path.stem)
    return assembly


def stream_activations(
    model: LoadedModel,
    stimuli: Any,
    layers: Sequence[str],
    out_dir: str | Path,
    *,
    max_memory: str | int | None = "4GB",
    batch_size: int = 64,
    reduction: Any = None,
    device: str | torch.device | None = None,
    num_workers: int | None = None,
    progress: bool = False,
    precision: str = "auto",
) -> dict[str, Path]:
    """Extract ``layers`` for ``stimuli`` into ``out_dir/<layer>.nc`` within ``max_memory``.

    Args: as :func:`neuroalign.extract.extract_activations`, plus ``out_dir`` and
        ``max_memory`` (bytes or ``"4GB"``; ``None`` = no limit): the peak resident memory of
        this whole process while it extracts (imports and model included; decoding workers not
        counted, see the module docstring); the batch size shrinks to fit it.

    Returns:
        layer -> path of its netCDF file (open with :func:`open_assembly`). A
        ``manifest.json`` beside them records the model, preprocessing, layers and reduction.
    """
    layers = check_layers(model, layers)
    stim = as_stimuli(stimuli)
    if len(stim) == 0:
        raise DataError("no stimuli given")
    dev = resolve_device(device)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    budget = None if max_memory is None else parse_memory(max_memory)

    shapes, per_image = estimate_bytes_per_image(model, layers)
    dims = {name: int(np.prod(shapes[name])) for name in layers}
    # per image: every module output + the copies made of the requested layers (GPU->CPU,
    # numpy) + the decoded uint8 image and its float copy
    size = model.preprocessing.image_size
    per_image += 2 * 4 * sum(dims.values()) + 5 * 3 * size * size
    current, _ = process_memory()
    # what the process holds now, not its peak so far: in a notebook an earlier, freed
    # allocation must not make every later extraction impossible
    if budget is not None and current > budget:
        raise DataError(
            f"--max-memory {budget / 2**20:.0f} MiB is too small: this process already holds "
            f"{current / 2**20:.0f} MiB (Python, torch and Brain-Score imports, the model) "
            f"before extracting; the budget covers the whole process, so raise it above that"
        )
    # resident memory (imports, the model's parameters) + reducers + netCDF chunk caches;
    # parameters are counted once more for the channels-last copy made before the pass
    params = sum(p.numel() * p.element_size() for p in model.model.parameters())
    chunk_caches = len(layers) * (8 * 2**20 + 1024)
    fixed = current + params + reducer_bytes(reduction, dims) + chunk_caches
    bs = choose_batch_size(batch_size, per_image, fixed, budget)

    reducers = fit_reducers(reduction, model, stim, layers, shapes, bs, dev, num_workers)
    pcoords = presentation_coords(stim)
    writers: dict[str, _NetCDFLayer] = {}
    tmp_paths: dict[str, Any] = {}
    finals = {name: out_dir / layer_filename(name) for name in layers}
    contexts = []
    try:
        for name in layers:
            ctx = atomic_path(finals[name], suffix=".nc")
            tmp_paths[name] = ctx.__enter__()
            contexts.append(ctx)
            ncoords = (
                reduced_coords(name, reducers[name].k)
                if reducers
                else neuroid_coords(name, shapes[name])
            )
            attrs = layer_attrs(model, name, reduction, stim)
            attrs["batch_size"] = int(bs)
            writers[name] = _NetCDFLayer(tmp_paths[name], pcoords, ncoords, attrs, chunk_rows=bs)

        def write(name: str, start: int, values: np.ndarray) -> None:
            writers[name].write(start, values)

        run_extraction(
            model, stim, layers, write, batch_size=bs, device=dev,
            num_workers=num_workers, reducers=reducers, progress=progress,
            precision=precision,
        )  # fmt: skip
        for w in writers.values():
            w.close()
        writers.clear()
    except BaseException as err:
        for w in writers.values():
            w.close()
        for ctx in contexts:
            ctx.__exit__(type(err), err, err.__traceback__)
        raise
    for ctx in contexts:
        ctx.__exit__(None, None, None)

    manifest = {
        "model_identifier": model.identifier,
        "model_spec": model.spec,
        "weights_sha256": model.weights_sha256,
        "preprocessing": model.preprocessing.to_dict(),
        "layers": {name: finals[name].name for name in layers},
        "reduction": None if reduction is None else reduction.to_dict(),
        "n_stimuli": len(stim),
        "batch_size": int(bs),
        "max_memory_bytes": budget,
        "max_memory_covers": "peak resident memory of the whole process (imports, model, "
        "reducers, one batch); decoding worker processes not counted",
    }
    with atomic_write(out_dir / "manifest.json") as handle:
        json.dump(manifest, handle, indent=2)
    return finals
