"""The benchmark registry: aliases, entries with their factory arguments, data checks."""

from __future__ import annotations

import pytest
from brainscore_core.benchmarks import Benchmark

from neuroalign.errors import DataError
from neuroalign.neural_benchmarks import (
    Cowley2023V4,
    Kriegeskorte2008IT,
    list_benchmarks,
    load_benchmark,
    resolve_benchmark,
)


def test_registry_resolves_aliases_and_names(shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("BRAINIO_HOME", str(tmp_path))
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    identifier, how = resolve_benchmark("V4")
    assert identifier == "Cowley2023.V4-pls"  # Brain-Score's V4 metric first
    assert "alias V4 -> Cowley2023.V4-pls" in how and "Cowley2023.V4-ridge" in how
    assert resolve_benchmark("v4")[0] == "Cowley2023.V4-pls"
    assert resolve_benchmark("IT")[0] == "Kriegeskorte2008.IT-rsa"
    assert resolve_benchmark("Cowley2023.V4-ridge")[0] == "Cowley2023.V4-ridge"
    with pytest.raises(DataError, match="FreemanZiemba2013public.V1-pls: the data of"):
        resolve_benchmark("V1")
    with pytest.raises(ValueError, match="unknown benchmark"):
        resolve_benchmark("V8")
    assert {"V4", "IT", "MajajHong2015public.V4-pls", "Cowley2023.V4-pls"} <= set(list_benchmarks())
    bench = load_benchmark("V4", sessions=["210325"], n_boot=0)
    assert isinstance(bench, Benchmark) and bench.identifier == "Cowley2023.V4-pls"
    assert bench.method == "pls" and bench.sessions == ("210325",)
    assert isinstance(load_benchmark("IT", sessions=["x"]), Kriegeskorte2008IT)  # ignored


def test_registry_entries_hold_factory_arguments_and_data_check():
    from neuroalign.neural_benchmarks import benchmark_entry, register_benchmark

    entry = benchmark_entry("Cowley2023.V4-ridge")
    assert entry.args == {"method": "ridge"} and entry.neuroalign
    # the options come from the factory's own signature, not from a second table
    assert set(entry.options()) == {"sessions", "root", "n_splits", "test_size", "seed", "n_boot"}
    assert set(benchmark_entry("Kriegeskorte2008.IT-rsa").options()) == {"root", "n_boot", "seed"}
    assert benchmark_entry("MajajHong2015public.V4-pls").options() == ()
    assert not benchmark_entry("MajajHong2015public.V4-pls").neuroalign
    with pytest.raises(ValueError, match="already registered"):
        register_benchmark(entry)


def test_data_root_errors_name_the_folder_and_what_is_in_it(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(DataError, match=f"{missing}: no such folder"):
        resolve_benchmark("V4", root=missing)
    with pytest.raises(DataError, match=f"{missing}: no such folder"):
        resolve_benchmark("Cowley2023.V4-ridge", root=missing)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "images_210325.zip").write_bytes(b"")  # images without responses
    with pytest.raises(DataError, match=r"empty: no Cowley .* images without responses.*210325"):
        resolve_benchmark("V4", root=empty)
    with pytest.raises(
        DataError, match=r"images without responses_S\.npy for session\(s\) \['210325'\]"
    ):
        Cowley2023V4.check_data(empty, sessions=["210325"])
