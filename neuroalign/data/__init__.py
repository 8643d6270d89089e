"""Data sets: image collections for training and neural recordings for scoring.

Everything is fetched once into ``$NEUROALIGN_HOME`` from ``$NEUROALIGN_MIRROR`` (a folder or
URL) or the public origin, verified by checksum, and loaded into Brain-Score's data structures
(``NeuroidAssembly``, ``StimulusSet``) or uint8 tensors. Archives (verified or from a user's
folder) are read within limits derived from their expected content (:mod:`.archives`).
"""

from neuroalign.data.catalog import DATASETS, Dataset, fetch_dataset, get_dataset
from neuroalign.data.cowley2023 import (
    cowley2023_sessions,
    cowley2023_stimulus_set,
    load_cowley2023,
    load_cowley2023_trials,
)
from neuroalign.data.fetch import RemoteFile, data_home, download, fetch_file, mirror_location
from neuroalign.data.images import (
    ImageDataset,
    ImageFolderDataset,
    load_image_dataset,
    load_image_folder,
    open_image,
    read_image,
    spread_indices,
)
from neuroalign.data.kriegeskorte2008 import Kriegeskorte2008, load_kriegeskorte2008

__all__ = [
    "DATASETS",
    "Dataset",
    "ImageDataset",
    "ImageFolderDataset",
    "Kriegeskorte2008",
    "RemoteFile",
    "cowley2023_sessions",
    "cowley2023_stimulus_set",
    "data_home",
    "download",
    "fetch_dataset",
    "fetch_file",
    "get_dataset",
    "load_cowley2023",
    "load_cowley2023_trials",
    "load_image_dataset",
    "load_image_folder",
    "load_kriegeskorte2008",
    "mirror_location",
    "open_image",
    "read_image",
    "spread_indices",
]
