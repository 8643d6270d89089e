"""Cowley et al. 2023 V4 data loaded into Brain-Score assemblies, from the real mirror."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from neuroalign.data import cowley2023_sessions, load_cowley2023, load_cowley2023_trials
from neuroalign.errors import DataError


@pytest.fixture(scope="module")
def v4():
    return load_cowley2023(sessions=["201025", "210325"])


def test_done_when_shapes_and_coords(v4):
    a, b = v4["201025"], v4["210325"]
    assert a.dims == ("presentation", "neuroid")
    assert (a.sizes["neuroid"], a.sizes["presentation"]) == (89, 1200)
    assert (b.sizes["neuroid"], b.sizes["presentation"]) == (50, 640)
    assert set(a.region.values) == {"V4"}
    assert set(a.animal.values) == {"PE"}
    assert set(a.session.values) == {"201025"}
    assert len(set(a.stimulus_id.values)) == 1200
    assert len(set(a.neuroid_id.values)) == 89


def test_values_match_the_source_file(v4, shared_data):
    raw = np.load(shared_data / "v4_cowley2023" / "responses_201025.npy")
    np.testing.assert_array_equal(v4["201025"].values, raw.T)


def test_stimulus_set_resolves_to_the_session_images(v4, shared_data):
    stimulus_set = v4["201025"].attrs["stimulus_set"]
    assert stimulus_set.identifier == "Cowley2023.201025"
    assert list(stimulus_set.stimulus_id) == list(v4["201025"].stimulus_id.values)
    first = stimulus_set.get_stimulus(stimulus_set.stimulus_id.iloc[0])
    with zipfile.ZipFile(shared_data / "v4_cowley2023" / "images_201025.zip") as zf:
        original = zf.read(next(n for n in zf.namelist() if n.endswith("image0001.jpg")))
    assert first.read_bytes() == original
    assert Image.open(first).size == (112, 112)


def test_trials_have_ten_repeats_and_average_to_the_repeat_averaged(v4):
    trials = load_cowley2023_trials(sessions=["210325"])["210325"]
    assert trials.sizes["neuroid"] == 50
    assert trials.sizes["presentation"] == 640 * 10
    assert sorted(set(trials.repetition.values)) == list(range(10))
    mean = trials.groupby("stimulus_id").mean("presentation", skipna=True)
    averaged = v4["210325"]
    mean = mean.sel(stimulus_id=averaged.stimulus_id.values)
    np.testing.assert_allclose(mean.values, averaged.values, rtol=1e-12)
    dropped = load_cowley2023_trials(sessions=["210325"], drop_missing=True)["210325"]
    assert not np.isnan(dropped.values).any()
    assert dropped.sizes["presentation"] == int((~np.isnan(trials.values[:, 0])).sum())


def test_sessions_without_trials_are_named(shared_data):
    with pytest.raises(DataError, match="201025"):
        load_cowley2023_trials(root=shared_data / "v4_cowley2023", sessions=["201025"])
    assert sorted(load_cowley2023_trials(root=shared_data / "v4_cowley2023")) == ["210325"]


def _write_session(folder, session, n_neurons, n_images, subfolder=True, values=None):
    rng = np.random.default_rng(0)
    values = rng.poisson(3.0, (n_neurons, n_images)).astype(float) if values is None else values
    np.save(folder / f"responses_{session}.npy", values)
    with zipfile.ZipFile(folder / f"images_{session}.zip", "w") as zf:
        for k in range(n_images):
            buffer = io.BytesIO()
            Image.fromarray(rng.integers(0, 255, (112, 112, 3), dtype=np.uint8)).save(
                buffer, "JPEG"
            )
            prefix = f"images_{session}/" if subfolder else ""
            zf.writestr(f"{prefix}image{k + 1:04d}.jpg", buffer.getvalue())
    return values


def test_any_session_in_a_folder_of_that_format_loads(tmp_path):
    values = _write_session(tmp_path, "220101", n_neurons=4, n_images=6)
    _write_session(tmp_path, "190101", n_neurons=3, n_images=5, subfolder=False)
    assert cowley2023_sessions(tmp_path) == ["190101", "220101"]
    loaded = load_cowley2023(root=tmp_path)
    assert sorted(loaded) == ["190101", "220101"]
    np.testing.assert_array_equal(loaded["220101"].values, values.T)
    assert set(loaded["190101"].animal.values) == {"WE"}


def test_bad_input_gets_clear_errors(tmp_path, shared_data):
    _write_session(tmp_path, "220101", n_neurons=4, n_images=6)
    np.save(tmp_path / "responses_220101.npy", np.zeros((4, 7)))  # 7 columns, 6 images
    with pytest.raises(DataError, match=r"responses_220101.npy: 7 image columns .* 6 images"):
        load_cowley2023(root=tmp_path)
    bad = np.ones((4, 6))
    bad[1, 2] = np.nan
    np.save(tmp_path / "responses_220101.npy", bad)
    with pytest.raises(DataError, match="1 NaN"):
        load_cowley2023(root=tmp_path)
    with pytest.raises(DataError, match=r"\['999999'\] not found.*available sessions"):
        load_cowley2023(root=shared_data / "v4_cowley2023", sessions=["999999"])
    (tmp_path / "responses_220101.npy").write_bytes(b"not an array")
    with pytest.raises(DataError, match="not a readable .npy"):
        load_cowley2023(root=tmp_path)


def test_inf_and_empty_responses_are_refused_at_load_time(tmp_path):
    _write_session(tmp_path, "220101", n_neurons=4, n_images=6)
    bad = np.ones((4, 6))
    bad[0, 1] = np.inf
    bad[2, 3] = -np.inf
    np.save(tmp_path / "responses_220101.npy", bad)
    path = tmp_path / "responses_220101.npy"
    with pytest.raises(DataError, match=f"{path}: 2 infinite values"):
        load_cowley2023(root=tmp_path)
    np.save(path, np.zeros((0, 6)))
    with pytest.raises(DataError, match=rf"{path}: empty array of shape \(0, 6\)"):
        load_cowley2023(root=tmp_path)
    raw = np.full((4, 6, 3), np.nan)  # NaN marks a missing trial; inf is never valid
    raw[:, :, 0] = 1.0
    raw[1, 1, 0] = np.inf
    np.save(path, np.ones((4, 6)))
    np.save(tmp_path / "responses_raw_220101.npy", raw)
    with pytest.raises(DataError, match="responses_raw_220101.npy: 1 infinite values"):
        load_cowley2023_trials(root=tmp_path)


def test_data_root_problems_name_the_folder_and_what_it_holds(tmp_path):
    missing = tmp_path / "nowhere"
    for call in (load_cowley2023, load_cowley2023_trials, cowley2023_sessions):
        with pytest.raises(DataError, match=f"{missing}: no such folder"):
            call(missing)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match=f"{empty}: no Cowley .* found an empty folder"):
        cowley2023_sessions(empty)
    (empty / "notes.txt").write_text("x")
    with pytest.raises(DataError, match=r"found no session files; it holds notes.txt"):
        load_cowley2023(empty)
    _write_session(tmp_path, "220101", n_neurons=4, n_images=6)
    _write_session(tmp_path, "220102", n_neurons=4, n_images=6)
    (tmp_path / "images_220101.zip").unlink()
    (tmp_path / "responses_220102.npy").unlink()
    with pytest.raises(DataError) as err:
        load_cowley2023(root=tmp_path)
    assert str(err.value) == (
        f"{tmp_path}: no Cowley et al. 2023 session (each needs responses_S.npy and "
        "images_S.zip); found responses without images_S.zip for session(s) ['220101']; "
        "images without responses_S.npy for session(s) ['220102']"
    )


def _image_bytes(rng) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (112, 112, 3), dtype=np.uint8)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize("extra", ["many members", "zip bomb"])
def test_image_zips_in_a_data_root_are_bounded_by_the_responses(tmp_path, monkeypatch, extra):
    """6 response columns allow 6 images of 112x112: 76 members and 216 kB each at most."""
    monkeypatch.setenv("NEUROALIGN_HOME", str(tmp_path / "home"))
    data = tmp_path / "data"
    data.mkdir()
    rng = np.random.default_rng(0)
    np.save(data / "responses_220101.npy", np.ones((4, 6)))
    with zipfile.ZipFile(data / "images_220101.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for k in range(6):
            zf.writestr(f"image{k + 1:04d}.jpg", _image_bytes(rng))
        if extra == "many members":
            for k in range(200):
                zf.writestr(f"junk/{k}.txt", b"")
        else:
            zf.writestr("readme.txt", bytes(50_000_000))  # 50 MB of zeros in 49 kB
    assert (data / "images_220101.zip").stat().st_size < 100_000
    expected = (
        "more than 76 members"
        if extra == "many members"
        else "member 'readme.txt' declares 50.0 MB"
    )
    with pytest.raises(DataError, match=f"images_220101.zip: {expected}.*6 images of 112x112"):
        load_cowley2023(root=data)
    assert not list((tmp_path / "home" / "v4_cowley2023" / "images").iterdir())
