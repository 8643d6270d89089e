"""The 92-image set with its IT RDMs, from the real mirror."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from neuroalign.data import load_kriegeskorte2008
from neuroalign.data.kriegeskorte2008 import square_rdm
from neuroalign.errors import DataError


@pytest.fixture(scope="module")
def k92():
    return load_kriegeskorte2008()


def test_images_and_stimulus_set(k92):
    assert k92.images.shape == (92, 175, 175, 3)
    assert k92.images.dtype == np.uint8
    assert len(k92.stimulus_set) == 92
    path = k92.stimulus_set.get_stimulus("kriegeskorte2008_05")
    np.testing.assert_array_equal(np.asarray(Image.open(path)), k92.images[5])
    assert k92.stimulus_set.animal.sum() == 48  # 48 animate, 44 inanimate images


def test_categories(k92):
    assert k92.categories.shape == (92, 12)
    assert k92.categories["animate"].sum() == 48
    assert k92.categories["inanim"].sum() == 44
    assert (k92.categories["animate"] == k92.stimulus_set.set_index("stimulus_id").animal).all()


def test_rdms_are_square_symmetric_with_zero_diagonal(k92):
    assert sorted(k92.brain_rdms) == ["human_IT", "monkey_IT"]
    assert len(k92.model_rdms) == 8
    for rdm in [*k92.brain_rdms.values(), *k92.model_rdms.values()]:
        assert rdm.shape == (92, 92)
        np.testing.assert_allclose(rdm, rdm.T)
        np.testing.assert_allclose(np.diag(rdm), 0)
    # monkey and human IT share their categorical structure (Kriegeskorte et al. 2008, Fig. 1)
    iu = np.triu_indices(92, 1)
    r = np.corrcoef(k92.brain_rdms["monkey_IT"][iu], k92.brain_rdms["human_IT"][iu])[0, 1]
    assert 0.2 < r < 0.8


def test_square_rdm_checks_shapes():
    condensed = np.arange(6, dtype=float)
    square = square_rdm(condensed, n=4)
    assert square.shape == (4, 4) and square[0, 1] == 0 and square[2, 3] == 5
    with pytest.raises(DataError, match="length 5"):
        square_rdm(np.arange(5.0), n=4)
    with pytest.raises(DataError, match="NaN"):
        square_rdm(np.full((4, 4), np.nan), n=4)


def test_data_root_problems_name_the_folder_and_what_it_holds(tmp_path, shared_data):
    missing = tmp_path / "nowhere"
    with pytest.raises(DataError, match=f"{missing}: no such folder .*92_modelRDMs.mat"):
        load_kriegeskorte2008(missing)
    with pytest.raises(DataError, match=f"{tmp_path}: .*supplementalData.mat, 92_modelRDMs.mat "
                       "not found .*; the folder holds nothing"):  # fmt: skip
        load_kriegeskorte2008(tmp_path)
    source = shared_data / "kriegeskorte92"
    (tmp_path / "92_modelRDMs.mat").write_bytes((source / "92_modelRDMs.mat").read_bytes())
    with pytest.raises(DataError) as err:
        load_kriegeskorte2008(tmp_path)
    assert str(err.value).startswith(
        f"{tmp_path}: Kriegeskorte_Neuron2008_supplementalData.mat not found (expected"
    )
    assert str(err.value).endswith("the folder holds 92_modelRDMs.mat")


def test_files_without_images_or_rdms_are_named(tmp_path, shared_data):
    import scipy.io

    source = shared_data / "kriegeskorte92"
    (tmp_path / "92_modelRDMs.mat").write_bytes((source / "92_modelRDMs.mat").read_bytes())
    supplement = scipy.io.loadmat(source / "Kriegeskorte_Neuron2008_supplementalData.mat")
    path = tmp_path / "Kriegeskorte_Neuron2008_supplementalData.mat"
    for dropped in ("stimuli_92objs", "RDMs_mIT_hIT_fig1"):  # the images; the responses
        kept = {k: v for k, v in supplement.items() if not k.startswith("__") and k != dropped}
        scipy.io.savemat(path, kept)
        with pytest.raises(DataError, match=f"{path}: variable '{dropped}' is missing"):
            load_kriegeskorte2008(tmp_path)
    path.write_bytes(b"not a mat file")
    with pytest.raises(DataError, match=f"{path}: not a readable .mat file"):
        load_kriegeskorte2008(tmp_path)


def test_square_rdm_refuses_infinite_values():
    rdm = np.zeros((4, 4))
    rdm[0, 1] = rdm[1, 0] = np.inf
    with pytest.raises(DataError, match="my.mat:x: RDM contains 2 NaN or infinite values"):
        square_rdm(rdm, n=4, source="my.mat:x")
