"""Macaque V4 responses to natural images (Cowley, Stan, Pillow & Smith 2023).

Utah-array recordings in V4 of three monkeys (WE, PE, RA), spike counts in 100 ms bins. A
session folder holds, per session ``S``:

- ``responses_S.npy``: repeat-averaged responses, shape (n_neurons, n_images);
- ``images_S.zip``: the stimuli, ``image0001.jpg`` ... (image k is column k-1), 112x112 RGB,
  possibly inside a sub-folder of the zip;
- ``responses_raw_S.npy`` (some sessions): single trials, shape (n_neurons, n_images,
  n_repeats), NaN where an image had fewer repeats.

The public repository's layout (``responses_repeat_averaged/``, ``responses_raw/``,
``images/``) is read too. Every session present in a folder loads, not only the known ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from neuroalign.data.archives import image_archive_limits, unpack
from neuroalign.data.catalog import get_dataset
from neuroalign.data.fetch import data_home, fetch_file
from neuroalign.errors import DataError
from neuroalign.io import sha256_file

__all__ = [
    "cowley2023_sessions",
    "cowley2023_stimulus_set",
    "load_cowley2023",
    "load_cowley2023_trials",
]

REGION = "V4"
IMAGE_SIZE = 112  # every stimulus is 112x112 RGB
_SESSION_TABLE = re.compile(r"^(\d{6})\s+([A-Z]{2})\s+\w+", re.MULTILINE)


def _animal_table(folder: Path) -> dict[str, str]:
    """Session -> monkey, read from the data set's own readme table where present."""
    for name in ("readme_original.txt", "readme.txt"):
        path = folder / name
        if path.is_file():
            return dict(_SESSION_TABLE.findall(path.read_text(errors="replace")))
    return {}


def _fallback_animal(session: str) -> str:
    # The published sessions: 1909xx monkey WE, 2010xx-2103xx PE, 2106xx-2111xx RA.
    if session.startswith("19"):
        return "WE"
    if "201000" <= session < "210600":
        return "PE"
    if "210600" <= session < "220000":
        return "RA"
    return "unknown"


def _layout(root: Path) -> dict[str, dict[str, Path]]:
    """Find every session under ``root``: session -> {"averaged", "images", "raw"} paths."""
    found: dict[str, dict[str, Path]] = {}
    candidates = [
        ("averaged", root.glob("responses_[0-9]*.npy")),
        ("averaged", root.glob("responses_repeat_averaged/responses_[0-9]*.npy")),
        ("raw", root.glob("responses_raw_[0-9]*.npy")),
        ("raw", root.glob("responses_raw/responses_[0-9]*.npy")),
        ("images", root.glob("images_[0-9]*.zip")),
        ("images", root.glob("images/images_[0-9]*.zip")),
    ]
    for kind, paths in candidates:
        for path in paths:
            match = re.search(r"(\d+)\.(npy|zip)$", path.name)
            if match:
                found.setdefault(match.group(1), {})[kind] = path
    return found


def _describe(folder: Path, layout: dict[str, dict[str, Path]]) -> str:
    """What a folder holds, for an error message about missing session files."""
    found = []
    no_images = sorted(s for s, p in layout.items() if "averaged" in p and "images" not in p)
    no_responses = sorted(s for s, p in layout.items() if "images" in p and "averaged" not in p)
    if no_images:
        found.append(f"responses without images_S.zip for session(s) {no_images}")
    if no_responses:
        found.append(f"images without responses_S.npy for session(s) {no_responses}")
    if not layout:
        names = sorted(p.name for p in folder.iterdir())
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        found.append(f"no session files; it holds {shown}" if names else "an empty folder")
    return "; ".join(found)


def _complete_sessions(folder: Path) -> dict[str, dict[str, Path]]:
    """session -> paths of every session under ``folder`` with both responses and images.

    A folder that does not exist or holds no complete session raises :class:`DataError`
    naming the folder and what it holds.
    """
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder (expected Cowley et al. 2023 V4 data)")
    layout = _layout(folder)
    complete = {s: p for s, p in layout.items() if "averaged" in p and "images" in p}
    if not complete:
        raise DataError(
            f"{folder}: no Cowley et al. 2023 session (each needs responses_S.npy and "
            f"images_S.zip); found {_describe(folder, layout)}"
        )
    return complete


def _known_sessions() -> list[str]:
    names = [f.name for f in get_dataset("cowley2023").files]
    return sorted({m.group(1) for n in names if (m := re.match(r"responses_(\d+)\.npy$", n))})


def _resolve(root: str | Path | None, sessions: Iterable[str] | None, *, need_raw: bool):
    """Return (folder, {session: paths}) with the requested sessions' files present locally."""
    wanted = None if sessions is None else [str(s) for s in sessions]
    if root is not None:
        folder = Path(root).expanduser()
    else:
        dataset = get_dataset("cowley2023")
        folder = data_home() / dataset.folder
        known = _known_sessions()
        fetch_sessions = known if wanted is None else [s for s in wanted if s in known]
        names = {f.name for f in dataset.files}
        fetch_file(dataset.folder, dataset.file("readme_original.txt"), progress=False)
        for session in fetch_sessions:
            for name in (
                f"responses_{session}.npy",
                f"images_{session}.zip",
                f"responses_raw_{session}.npy",
            ):
                if name in names and (need_raw or "raw" not in name):
                    fetch_file(dataset.folder, dataset.file(name))
    complete = _complete_sessions(folder)
    if wanted is None:
        wanted = sorted(complete)
    missing = [s for s in wanted if s not in complete]
    if missing:
        layout = _layout(folder)
        detail = {s: sorted(layout.get(s, {})) for s in missing}
        raise DataError(
            f"{folder}: session(s) {missing} not found or incomplete (files present per "
            f"session: {detail}); available sessions: {sorted(complete)}"
        )
    return folder, {s: complete[s] for s in wanted}


def _image_folder(zip_path: Path, n_images: int) -> Path:
    """Unpack a session's image zip once into the cache (keyed by content) and return it.

    The zip may hold no more than ``n_images`` images of 112x112 pixels (see
    :func:`neuroalign.data.archives.image_archive_limits`).
    """
    key = sha256_file(zip_path)[:16]
    destination = data_home() / "v4_cowley2023" / "images" / f"{zip_path.stem}-{key}"
    limits = image_archive_limits(n_images, IMAGE_SIZE, IMAGE_SIZE)
    return unpack(zip_path, destination, limits=limits, flatten=True)


def _load_matrix(path: Path, ndim: int, *, allow_nan: bool) -> np.ndarray:
    """A non-empty ``ndim``-D float64 array of finite values (NaN too if ``allow_nan``)."""
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise DataError(f"{path}: not a readable .npy array ({err})") from None
    if array.ndim != ndim:
        raise DataError(f"{path}: expected a {ndim}-D array, got shape {array.shape}")
    if array.size == 0:
        raise DataError(f"{path}: empty array of shape {array.shape}")
    if not np.issubdtype(array.dtype, np.number):
        raise DataError(f"{path}: expected numbers, got dtype {array.dtype}")
    array = array.astype(np.float64, copy=False)
    n_inf = int(np.isinf(array).sum())
    if n_inf:
        raise DataError(f"{path}: {n_inf} infinite values in spike counts")
    n_nan = 0 if allow_nan else int(np.isnan(array).sum())
    if n_nan:
        raise DataError(f"{path}: {n_nan} NaN values in repeat-averaged responses")
    return array


def cowley2023_stimulus_set(session: str, root: str | Path | None = None):
    """The Brain-Score ``StimulusSet`` of one session (images unpacked to files)."""
    _, found = _resolve(root, [session], need_raw=False)
    n_images = _load_matrix(found[session]["averaged"], ndim=2, allow_nan=False).shape[1]
    return _stimulus_set(session, found[session]["images"], n_images)


def _stimulus_set(session: str, zip_path: Path, n_images: int):
    """The session's StimulusSet; its zip may hold at most ``n_images`` images."""
    from brainscore_core.supported_data_standards.brainio.stimuli import StimulusSet

    folder = _image_folder(zip_path, n_images)
    files = sorted(folder.glob("image*.jpg"), key=lambda p: int(re.sub(r"\D", "", p.stem) or 0))
    if not files:
        raise DataError(f"{zip_path}: no imageNNNN.jpg files inside")
    indices = [int(re.sub(r"\D", "", p.stem)) - 1 for p in files]
    if indices != list(range(len(files))):
        raise DataError(f"{zip_path}: image numbers are not 1..{len(files)} without gaps")
    ids = [f"{session}_{i + 1:04d}" for i in indices]
    stimulus_set = StimulusSet(
        {
            "stimulus_id": ids,
            "filename": [p.name for p in files],
            "session": session,
            "image_index": indices,
        }
    )
    stimulus_set.stimulus_paths = dict(zip(ids, files))
    stimulus_set.identifier = f"Cowley2023.{session}"
    return stimulus_set


def _assembly(values: np.ndarray, session: str, animal: str, stimulus_set, extra_presentation=None):
    from brainscore_core.supported_data_standards.brainio.assemblies import NeuroidAssembly

    _n_presentations, n_neurons = values.shape
    presentation = {
        "stimulus_id": ("presentation", np.asarray(stimulus_set["stimulus_id"])),
        "image_index": ("presentation", np.asarray(stimulus_set["image_index"])),
    }
    if extra_presentation is not None:
        index, coords = extra_presentation
        presentation = {k: (d, v[index]) for k, (d, v) in presentation.items()}
        presentation.update(coords)
    neuroid = {
        "neuroid_id": ("neuroid", np.array([f"{session}_n{j:03d}" for j in range(n_neurons)])),
        "region": ("neuroid", np.full(n_neurons, REGION)),
        "animal": ("neuroid", np.full(n_neurons, animal)),
        "session": ("neuroid", np.full(n_neurons, session)),
    }
    assembly = NeuroidAssembly(
        values, coords={**presentation, **neuroid}, dims=["presentation", "neuroid"]
    )
    assembly.attrs["stimulus_set"] = stimulus_set
    assembly.attrs["stimulus_set_identifier"] = stimulus_set.identifier
    assembly.attrs["identifier"] = f"Cowley2023.{session}"
    assembly.attrs["region"] = REGION
    assembly.attrs["unit"] = "spike count per 100 ms bin"
    return assembly


def load_cowley2023(root: str | Path | None = None, sessions: Iterable[str] | None = None) -> dict:
    """Repeat-averaged V4 responses, one Brain-Score ``NeuroidAssembly`` per session.

    Args:
        root: a folder holding the session files (mirror or public layout); None fetches the
            known sessions into the cache from ``$NEUROALIGN_MIRROR`` or the public origin.
        sessions: session ids (e.g. ``["201025"]``); None loads every session found.

    Returns:
        ``{session: assembly}``; each assembly is (presentation, neuroid), float64, with
        presentation coords ``stimulus_id``, ``image_index`` (0-based) and neuroid coords
        ``neuroid_id``, ``region`` ("V4"), ``animal``, ``session``;
        ``assembly.attrs["stimulus_set"]`` is the session's ``StimulusSet``.
    """
    folder, found = _resolve(root, sessions, need_raw=False)
    animals = _animal_table(folder)
    out = {}
    for session, paths in found.items():
        responses = _load_matrix(paths["averaged"], ndim=2, allow_nan=False)
        _n_neurons, n_images = responses.shape
        stimulus_set = _stimulus_set(session, paths["images"], n_images)
        if n_images != len(stimulus_set):
            raise DataError(
                f"{paths['averaged']}: {n_images} image columns but {paths['images'].name} "
                f"holds {len(stimulus_set)} images (expected shape (n_neurons, n_images))"
            )
        animal = animals.get(session, _fallback_animal(session))
        out[session] = _assembly(responses.T.copy(), session, animal, stimulus_set)
    return out


def load_cowley2023_trials(
    root: str | Path | None = None,
    sessions: Iterable[str] | None = None,
    *,
    drop_missing: bool = False,
) -> dict:
    """Single-trial V4 responses of the sessions that have them.

    Each assembly is (presentation, neuroid) with one presentation row per (image, repeat
    slot): coords ``stimulus_id``, ``image_index`` and ``repetition`` (0-based), as Brain-Score
    stores trials. Every image has ``n_repeats`` rows; where an image was shown fewer times the
    row is NaN, exactly as in the source array, unless ``drop_missing`` removes those rows.
    Sessions without trials are skipped when ``sessions`` is None and an error otherwise.
    """
    folder, found = _resolve(root, sessions, need_raw=True)
    animals = _animal_table(folder)
    with_raw = {s: p for s, p in found.items() if "raw" in p}
    if sessions is not None and len(with_raw) < len(found):
        missing = sorted(set(found) - set(with_raw))
        raise DataError(f"{folder}: no single-trial file (responses_raw_S.npy) for {missing}")
    out = {}
    for session, paths in with_raw.items():
        raw = _load_matrix(paths["raw"], ndim=3, allow_nan=True)  # NaN: a missing trial
        n_neurons, n_images, n_repeats = raw.shape
        stimulus_set = _stimulus_set(session, paths["images"], n_images)
        if n_images != len(stimulus_set):
            raise DataError(
                f"{paths['raw']}: {n_images} images but {paths['images'].name} holds "
                f"{len(stimulus_set)} (expected shape (n_neurons, n_images, n_repeats))"
            )
        # rows ordered image-major: (image 0, rep 0), (image 0, rep 1), ...
        values = raw.transpose(1, 2, 0).reshape(n_images * n_repeats, n_neurons)
        image = np.repeat(np.arange(n_images), n_repeats)
        repetition = np.tile(np.arange(n_repeats), n_images)
        partial = np.isnan(values).any(axis=1) & ~np.isnan(values).all(axis=1)
        if partial.any():
            raise DataError(
                f"{paths['raw']}: {int(partial.sum())} trials are NaN for some neurons only "
                "(a missing trial must be NaN for every neuron)"
            )
        keep = ~np.isnan(values).all(axis=1) if drop_missing else np.ones(len(values), bool)
        assembly = _assembly(
            values[keep],
            session,
            animals.get(session, _fallback_animal(session)),
            stimulus_set,
            extra_presentation=(image[keep], {"repetition": ("presentation", repetition[keep])}),
        )
        assembly.attrs["n_repeats"] = n_repeats
        out[session] = assembly
    return out


def cowley2023_sessions(root: str | Path | None = None) -> list[str]:
    """Sessions available under ``root`` (or known to the catalog when ``root`` is None).

    A ``root`` that does not exist or holds no complete session raises :class:`DataError`
    naming it and what it holds.
    """
    if root is None:
        return _known_sessions()
    return sorted(_complete_sessions(Path(root).expanduser()))
