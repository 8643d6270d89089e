"""The 92 object images with monkey and human IT RDMs (Kriegeskorte et al. 2008, Neuron).

Monkey IT: 674 neurons (Kiani et al. 2007); human IT: fMRI, 316 voxels. Both RDMs are
1 - Pearson r dissimilarities, as distributed with rsatoolbox (``demos/92imageData``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from neuroalign.data.catalog import get_dataset
from neuroalign.data.fetch import data_home, fetch_file
from neuroalign.errors import DataError
from neuroalign.io import atomic_path, sha256_file

__all__ = ["Kriegeskorte2008", "load_kriegeskorte2008", "square_rdm"]

N_STIMULI = 92
BRAIN_RDM_NAMES = {"mIT": "monkey_IT", "hIT": "human_IT"}


@dataclass(frozen=True)
class Kriegeskorte2008:
    """The 92-image set.

    Attributes:
        stimulus_set: Brain-Score ``StimulusSet`` (92 rows; stimulus_id ``kriegeskorte2008_00``
            ... ``_91``; PNG files; columns category, human, face, animal, natural).
        images: uint8 array (92, 175, 175, 3).
        categories: bool DataFrame (92 rows indexed by stimulus_id, 12 category columns).
        brain_rdms: ``{"monkey_IT": (92, 92), "human_IT": (92, 92)}`` square RDMs.
        model_rdms: the study's 8 model RDMs, square (92, 92), by name.
    """

    stimulus_set: pd.DataFrame
    images: np.ndarray
    categories: pd.DataFrame
    brain_rdms: dict[str, np.ndarray]
    model_rdms: dict[str, np.ndarray]


def square_rdm(rdm: np.ndarray, n: int = N_STIMULI, *, source: str = "RDM") -> np.ndarray:
    """Return ``rdm`` as a square (n, n) float64 array (it may be stored condensed)."""
    from scipy.spatial.distance import squareform

    array = np.asarray(rdm, dtype=np.float64).squeeze()
    if array.ndim == 1:
        if array.size != n * (n - 1) // 2:
            raise DataError(
                f"{source}: condensed RDM of length {array.size}, expected {n * (n - 1) // 2}"
            )
        array = squareform(array, checks=False)
    if array.shape != (n, n):
        raise DataError(f"{source}: RDM of shape {array.shape}, expected ({n}, {n}) or condensed")
    n_bad = int((~np.isfinite(array)).sum())
    if n_bad:
        raise DataError(f"{source}: RDM contains {n_bad} NaN or infinite values")
    return array


def _text(value) -> str:
    return str(np.asarray(value).squeeze())


def _flag(value) -> bool:
    return bool(np.asarray(value).squeeze())


def _files_in(folder: Path, names: tuple[str, ...]) -> list[Path]:
    """The paths of ``names`` in ``folder``; an error names the folder, the missing files and
    what the folder holds."""
    expected = "the rsatoolbox 92-image files " + " and ".join(names)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder (expected {expected})")
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        held = sorted(p.name for p in folder.iterdir())
        shown = ", ".join(held[:8]) + (f" and {len(held) - 8} more" if len(held) > 8 else "")
        raise DataError(
            f"{folder}: {', '.join(missing)} not found (expected {expected}); "
            f"the folder holds {shown or 'nothing'}"
        )
    return [folder / n for n in names]


def _read_mat(path: Path) -> dict:
    import scipy.io

    try:
        return scipy.io.loadmat(path)
    except (scipy.io.matlab.MatReadError, ValueError, OSError, TypeError) as err:
        raise DataError(f"{path}: not a readable .mat file ({err})") from None


def load_kriegeskorte2008(root: str | Path | None = None) -> Kriegeskorte2008:
    """Load the 92 images, their categories, the IT RDMs and the model RDMs.

    Args:
        root: a folder holding ``Kriegeskorte_Neuron2008_supplementalData.mat`` and
            ``92_modelRDMs.mat``; None fetches them into the cache (mirror or origin).
    """
    from brainscore_core.supported_data_standards.brainio.stimuli import StimulusSet
    from PIL import Image

    dataset = get_dataset("kriegeskorte2008")
    names = ("Kriegeskorte_Neuron2008_supplementalData.mat", "92_modelRDMs.mat")
    if root is None:
        paths = [fetch_file(dataset.folder, dataset.file(n), progress=False) for n in names]
    else:
        paths = _files_in(Path(root).expanduser(), names)
    supplement, models = (_read_mat(path) for path in paths)
    # the images and their categories, the IT RDMs; the model RDMs
    for key in ("stimuli_92objs", "categoryVectors", "categoryLabels", "RDMs_mIT_hIT_fig1"):
        if key not in supplement:
            raise DataError(f"{paths[0]}: variable {key!r} is missing")
    if "Models" not in models:
        raise DataError(f"{paths[1]}: variable 'Models' is missing")

    stimuli = supplement["stimuli_92objs"].ravel()
    if len(stimuli) != N_STIMULI:
        raise DataError(f"{paths[0]}: {len(stimuli)} stimuli, expected {N_STIMULI}")
    images = np.stack([np.asarray(s["image"], dtype=np.uint8) for s in stimuli])
    ids = [f"kriegeskorte2008_{i:02d}" for i in range(N_STIMULI)]

    # The images as PNG files (a StimulusSet resolves to files), written once per content.
    folder = data_home() / dataset.folder / f"images-{sha256_file(paths[0])[:16]}"
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for stimulus_id, image in zip(ids, images):
        path = folder / f"{stimulus_id}.png"
        if not path.exists():
            with atomic_path(path, suffix=".png") as tmp:
                Image.fromarray(image).save(tmp, format="PNG")
        files.append(path)

    stimulus_set = StimulusSet(
        {
            "stimulus_id": ids,
            "filename": [p.name for p in files],
            "category": [_text(s["category"]) for s in stimuli],
            "human": [_flag(s["human"]) for s in stimuli],
            "face": [_flag(s["face"]) for s in stimuli],
            "animal": [_flag(s["animal"]) for s in stimuli],
            "natural": [_flag(s["natural"]) for s in stimuli],
        }
    )
    stimulus_set.stimulus_paths = dict(zip(ids, files))
    stimulus_set.identifier = "Kriegeskorte2008"

    labels = [_text(label) for label in supplement["categoryLabels"].ravel()]
    vectors = np.asarray(supplement["categoryVectors"]).astype(bool)
    categories = pd.DataFrame(vectors, index=pd.Index(ids, name="stimulus_id"), columns=labels)

    brain_rdms = {}
    for entry in supplement["RDMs_mIT_hIT_fig1"].ravel():
        name = _text(entry["name"])
        key = next((v for k, v in BRAIN_RDM_NAMES.items() if name.startswith(k)), name)
        brain_rdms[key] = square_rdm(entry["RDM"], source=f"{paths[0]}:{name}")
    model_rdms = {
        _text(entry["name"]): square_rdm(entry["RDM"], source=f"{paths[1]}:{_text(entry['name'])}")
        for entry in models["Models"].ravel()
    }
    return Kriegeskorte2008(stimulus_set, images, categories, brain_rdms, model_rdms)
