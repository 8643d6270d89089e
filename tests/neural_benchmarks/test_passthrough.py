"""Brain-Score's own benchmarks through neuroalign: unknown names and missing data in clear
words, and a benchmark loaded for real through Brain-Score's S3 loader from a local S3 server.

In the S3 test, a small MajajHong2015-style assembly (Cowley 2023 images, synthetic responses
with repetitions) and its stimulus set are packaged with Brain-Score's own writers, served by
moto's S3 server on 127.0.0.1 under Brain-Score's identifiers (``dicarlo.MajajHong2015.public``,
``hvm-public``; the registry entries are pointed at the test files' sha1), and
``MajajHong2015public.V4-pls`` is loaded by ``brainscore_vision.load_benchmark`` and run on a
neuroalign model committed to V4 — exactly Brain-Score's ``score()`` path, offline.
"""

from __future__ import annotations

import numpy as np
import pytest

from neuroalign.errors import DataError
from tests.conftest import free_port


def test_unknown_brainscore_benchmark_is_called_unknown(tmp_path, monkeypatch):
    from neuroalign.neural_benchmarks import load_brainscore_benchmark

    with pytest.raises(DataError, match="unknown benchmark 'Nobody2020.V4-pls'") as err:
        load_brainscore_benchmark("Nobody2020.V4-pls")
    assert "reached" not in str(err.value)


def test_brainscore_benchmark_without_data_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("BRAINIO_HOME", str(tmp_path))
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("RESULTCACHING_HOME", str(tmp_path / "rc"))
    from neuroalign.neural_benchmarks import load_brainscore_benchmark

    with pytest.raises(DataError, match="offline benchmark"):
        load_brainscore_benchmark("FreemanZiemba2013public.V1-pls")


N_OBJECTS, PER_OBJECT, N_REPS, N_NEUROIDS = 2, 20, 4, 12


@pytest.fixture()
def s3(tmp_path, monkeypatch):
    moto_server = pytest.importorskip("moto.moto_server.threaded_moto_server")
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    for key, value in {
        "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "BRAINIO_HOME": str(tmp_path / "brainio"),
        "RESULTCACHING_HOME": str(tmp_path / "resultcaching"),
        "RESULTCACHING_DISABLE": "1",
    }.items():
        monkeypatch.setenv(key, value)
    yield port
    server.stop()


def _package(tmp_path, shared_data):
    """Stimulus set (csv + zip) and assembly (.nc) written by Brain-Score's packaging code."""
    from brainscore_core.supported_data_standards.brainio.assemblies import (
        NeuronRecordingAssembly,
    )
    from brainscore_core.supported_data_standards.brainio.packaging import (
        create_stimulus_csv,
        create_stimulus_zip,
        write_netcdf,
    )
    from brainscore_core.supported_data_standards.brainio.stimuli import StimulusSet
    from PIL import Image

    from neuroalign.data import load_cowley2023

    source = load_cowley2023(sessions=["210325"])["210325"].attrs["stimulus_set"]
    n = N_OBJECTS * PER_OBJECT
    ids = [f"hvm{i:03d}" for i in range(n)]
    proto = StimulusSet(
        {
            "stimulus_id": ids,
            "object_name": [f"obj{i // PER_OBJECT}" for i in range(n)],
            "filename": [f"{s}.jpg" for s in ids],
        }
    )
    proto.stimulus_paths = {
        s: source.get_stimulus(src) for s, src in zip(ids, list(source["stimulus_id"])[:n])
    }
    csv_sha1 = create_stimulus_csv(proto, tmp_path / "stimulus_hvm-public.csv")
    zip_sha1, _ = create_stimulus_zip(proto, str(tmp_path / "stimulus_hvm-public.zip"))

    # responses: a fixed linear read-out of 6x6 thumbnails, plus trial noise
    rng = np.random.default_rng(0)
    pixels = np.stack(
        [
            np.asarray(
                Image.open(proto.stimulus_paths[s]).convert("L").resize((6, 6)), float
            ).ravel()
            for s in ids
        ]
    )
    signal = (pixels - pixels.mean(0)) @ rng.normal(size=(36, N_NEUROIDS)) / 100.0
    trials = signal[:, None, :] + rng.normal(size=(n, N_REPS, N_NEUROIDS))
    assembly = NeuronRecordingAssembly(
        trials.reshape(n * N_REPS, N_NEUROIDS)[:, :, None],
        coords={
            "stimulus_id": ("presentation", np.repeat(ids, N_REPS)),
            "repetition": ("presentation", np.tile(np.arange(N_REPS), n)),
            "neuroid_id": ("neuroid", [f"n{i}" for i in range(N_NEUROIDS)]),
            "region": ("neuroid", ["V4"] * (N_NEUROIDS // 2) + ["IT"] * (N_NEUROIDS // 2)),
            "animal": ("neuroid", ["Chabo"] * N_NEUROIDS),
            "arr": ("neuroid", ["A"] * N_NEUROIDS),
            "time_bin_start": ("time_bin", [70]),
            "time_bin_end": ("time_bin", [170]),
        },
        dims=["presentation", "neuroid", "time_bin"],
    )
    nc_sha1 = write_netcdf(assembly, tmp_path / "assy_dicarlo_MajajHong2015_public.nc")
    return csv_sha1, zip_sha1, nc_sha1


@pytest.mark.slow
def test_majajhong_public_v4_pls_through_brainscore_s3_loader(
    s3, tmp_path, shared_data, monkeypatch
):
    import boto3
    import brainscore_vision
    import brainscore_vision.data.majajhong2015  # registers the entries we point at our files
    from brainscore_core.supported_data_standards.brainio.assemblies import (
        NeuronRecordingAssembly,
    )
    from brainscore_core.supported_data_standards.brainio.s3 import (
        load_assembly_from_s3,
        load_stimulus_set_from_s3,
    )

    from neuroalign.neural_benchmarks import (
        brainscore_data_cached,
        load_brainscore_benchmark,
        resolve_benchmark,
        score_with_brainscore,
    )

    csv_sha1, zip_sha1, nc_sha1 = _package(tmp_path, shared_data)
    client = boto3.client("s3")
    client.create_bucket(Bucket="brainscore-storage")
    for name in (
        "stimulus_hvm-public.csv",
        "stimulus_hvm-public.zip",
        "assy_dicarlo_MajajHong2015_public.nc",
    ):
        client.upload_file(str(tmp_path / name), "brainscore-storage", f"brainio-brainscore/{name}")

    bucket = "brainscore-storage/brainio-brainscore"
    monkeypatch.setitem(
        brainscore_vision.stimulus_set_registry,
        "hvm-public",
        lambda: load_stimulus_set_from_s3(
            identifier="hvm-public", bucket=bucket, csv_sha1=csv_sha1, zip_sha1=zip_sha1,
            csv_version_id=None, zip_version_id=None,
        ),
    )  # fmt: skip
    monkeypatch.setitem(
        brainscore_vision.data_registry,
        "MajajHong2015.public",
        lambda: load_assembly_from_s3(
            identifier="dicarlo.MajajHong2015.public", version_id=None, sha1=nc_sha1,
            bucket=bucket, cls=NeuronRecordingAssembly,
            stimulus_set_loader=lambda: brainscore_vision.load_stimulus_set("hvm-public"),
        ),
    )  # fmt: skip

    assert brainscore_data_cached("MajajHong2015public.V4-pls")  # an S3 mirror is configured
    assert resolve_benchmark("MajajHong2015public.V4-pls")[0] == "MajajHong2015public.V4-pls"
    benchmark = load_brainscore_benchmark("MajajHong2015public.V4-pls")
    assert benchmark.identifier == "MajajHong2015.V4.public-pls"
    score = score_with_brainscore(benchmark, "mobilenet_v3_small", "V4", "features.1")
    raw = float(score.attrs["raw"])
    ceiling = float(score.attrs["ceiling"])
    assert -1.0 <= raw <= 1.0 and 0.0 < ceiling <= 1.0
    assert float(score) == pytest.approx(raw**2 / ceiling)  # Brain-Score's explained variance
