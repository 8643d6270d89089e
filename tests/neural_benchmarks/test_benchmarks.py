"""Benchmark registry, Cowley2023 V4 and Kriegeskorte2008 IT benchmarks on the mirrored data."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from brainscore_core.benchmarks import Benchmark
from brainscore_core.metrics import Score

from neuroalign.encoding import cross_validated_score, split_half_ceiling
from neuroalign.errors import DataError
from neuroalign.neural_benchmarks import (
    Cowley2023V4,
    Kriegeskorte2008IT,
    list_benchmarks,
    load_benchmark,
    resolve_benchmark,
)


def _thumbnails(stimulus_set, ids, size):
    from PIL import Image

    return np.stack(
        [
            np.asarray(
                Image.open(stimulus_set.get_stimulus(s)).convert("RGB").resize((size, size)),
                dtype=np.float64,
            ).ravel()
            for s in ids
        ]
    )


def _pixel_layers(assembly, sizes=(3, 8)):
    """{layer: DataArray} of image thumbnails (cheap deterministic 'model layers')."""
    ids = assembly["stimulus_id"].values
    stimuli = assembly.attrs["stimulus_set"]
    return {
        f"px{size}": xr.DataArray(
            _thumbnails(stimuli, ids, size),
            dims=("presentation", "neuroid"),
            coords={"stimulus_id": ("presentation", ids)},
        )
        for size in sizes
    }


@pytest.fixture(scope="module")
def v4(shared_data):
    return Cowley2023V4("ridge", sessions=["210325", "210305"], n_boot=200)


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


def test_cowley_ceiling_is_brainscore_internal_consistency_of_210325(v4, shared_data):
    from neuroalign.data import load_cowley2023_trials

    assert set(v4.ceilings) == {"210325"}
    expected = split_half_ceiling(load_cowley2023_trials(sessions=["210325"])["210325"])
    assert float(v4.ceiling) == pytest.approx(expected.center)
    assert 0.5 < float(v4.ceiling) < 1.0


@pytest.mark.slow
def test_cowley_score_features_per_session_and_pooled(v4):
    from neuroalign.encoding import score_interval, sessions_interval

    features = {s: _pixel_layers(a) for s, a in v4.assemblies.items()}
    result = v4.score_features(features)
    per = result.per_set.set_index(["session", "layer"])
    for session, layers in features.items():
        direct = cross_validated_score(layers["px8"], v4.assemblies[session], "ridge", seed=1)
        assert per.loc[(session, "px8"), "score"] == pytest.approx(direct.center, abs=1e-10)
        ci = score_interval(direct.per_neuroid, 0.1, direct.n_stimuli, 200, seed=1)
        assert per.loc[(session, "px8"), "ci_low"] == pytest.approx(ci.low, abs=1e-10)
    table = result.table.set_index("layer")
    session_scores = per.xs("px8", level="layer")["score"]
    assert table.loc["px8", "score"] == pytest.approx(session_scores.mean())
    assert table.loc["px8", "n_sessions"] == 2
    # two sessions: a t-interval over sessions (it covers session-to-session differences)
    low, high, _ = sessions_interval(session_scores.to_numpy())
    assert (table.loc["px8", "ci_low"], table.loc["px8", "ci_high"]) == pytest.approx((low, high))
    # ceiled only where every pooled session has a ceiling (210305 has no trials)
    r = per.loc[("210325", "px8"), "score"]
    assert per.loc[("210325", "px8"), "explained_variance"] == pytest.approx(
        r**2 / float(v4.ceiling)
    )
    assert np.isnan(per.loc[("210305", "px8"), "ceiling"])
    assert np.isnan(table.loc["px8", "explained_variance"])
    assert result.selected["layer"] in ("px3", "px8")
    meta = result.to_dict()["meta"]
    assert meta["pooling"] == "mean over sessions" and "Nadeau" in meta["interval"]
    assert "r^2 / ceiling" in meta["ceiled_score"]
    with pytest.raises(DataError, match="no features for stimulus set"):
        v4.score_features({"210325": features["210325"]})
    # one session alone: its own interval, and the ceiled interval is r²/ceiling of its ends
    single = Cowley2023V4("ridge", sessions=["210325"], n_boot=200)
    row = single.score_features({"210325": features["210325"]}).table.set_index("layer").loc["px8"]
    c = float(single.ceiling)
    assert row["explained_variance"] == pytest.approx(row["score"] ** 2 / c)
    assert row["ev_ci_low"] == pytest.approx(max(row["ci_low"], 0) ** 2 / c)
    assert row["ev_ci_high"] == pytest.approx(row["ci_high"] ** 2 / c)


class _PixelBrainModel:
    """A minimal Brain-Score BrainModel: 8x8 thumbnails of whatever it looks at."""

    def __init__(self):
        self.recorded = None
        self.region_layer_map = {"V4": "px8", "IT": "px8"}

    identifier = "pixels-8x8"

    def start_recording(self, region, time_bins):
        self.recorded = (region, list(time_bins))

    def visual_degrees(self):
        return 8

    def look_at(self, stimuli, number_of_trials=1):
        from brainscore_core.supported_data_standards.brainio.assemblies import NeuroidAssembly

        ids = list(stimuli["stimulus_id"])
        values = _thumbnails(stimuli, ids, 8)[:, :, None]
        return NeuroidAssembly(
            values,
            coords={
                "stimulus_id": ("presentation", ids),
                "image_index": ("presentation", list(range(len(ids)))),
                "neuroid_id": ("neuroid", [f"px{i}" for i in range(values.shape[1])]),
                "layer": ("neuroid", ["px8"] * values.shape[1]),
                "time_bin_start": ("time_bin", [70]),
                "time_bin_end": ("time_bin", [170]),
            },
            dims=["presentation", "neuroid", "time_bin"],
        )


@pytest.mark.slow
def test_cowley_runs_as_a_brainscore_benchmark_on_a_brain_model(shared_data):
    from brainscore_vision.benchmark_helpers.neural_common import explained_variance

    bench = Cowley2023V4("pls", sessions=["210325"])
    model = _PixelBrainModel()
    score = bench(model)
    assert model.recorded == ("V4", [(70, 170)])
    direct = cross_validated_score(
        _pixel_layers(bench.assemblies["210325"], (8,))["px8"],
        bench.assemblies["210325"],
        "pls",
        seed=1,
    )
    # Brain-Score's convention: the value is the ceiled score, raw and ceiling are Scores
    raw, ceiling = score.attrs["raw"], score.attrs["ceiling"]
    assert isinstance(raw, Score) and isinstance(ceiling, Score)
    assert float(raw) == pytest.approx(direct.center, abs=1e-10)
    assert float(ceiling) == pytest.approx(float(bench.ceiling))
    reference = explained_variance(raw, bench.ceiling)  # Brain-Score's own function
    assert float(score) == pytest.approx(float(reference), abs=1e-12)
    assert score.attrs["error"] == pytest.approx(direct.error)
    assert score.attrs["layer"] == "px8 (committed to V4)"
    # the same core as the many-layer path: the BrainModel's features scored directly
    layers = {"px8": model.look_at(bench.stimulus_sets()["210325"]).squeeze("time_bin")}
    via_features = bench.score_features({"210325": layers}).to_score("px8")
    assert float(via_features) == pytest.approx(float(score), abs=1e-12)


@pytest.mark.slow
def test_kriegeskorte_rsa_matches_scipy(shared_data):
    from scipy.spatial.distance import pdist, squareform
    from scipy.stats import spearmanr

    bench = Kriegeskorte2008IT(n_boot=30)
    data = bench.data
    X = data.images.reshape(92, -1)[:, ::5].astype(np.float64)
    features = xr.DataArray(
        X,
        dims=("presentation", "neuroid"),
        coords={"stimulus_id": ("presentation", list(data.stimulus_set["stimulus_id"]))},
    )
    comp = bench.compare(features.isel(presentation=np.random.default_rng(0).permutation(92)))
    iu = np.triu_indices(92, 1)
    model_rdm = squareform(pdist(X, "correlation"))
    for name in ("monkey_IT", "human_IT"):
        expected = spearmanr(model_rdm[iu], np.asarray(data.brain_rdms[name])[iu])[0]
        assert comp[name] == pytest.approx(expected, abs=1e-10)
    assert comp["score"] == pytest.approx((comp["monkey_IT"] + comp["human_IT"]) / 2)
    result = bench.score_features({"pix": features, "pix_half": features[:, ::2]})
    assert list(result.table["layer"]) == ["pix", "pix_half"]
    assert (result.table["ci_low"] <= result.table["score"]).all()
    # as a Brain-Score benchmark: no ceiling, so the value is the raw score
    score = result.to_score("pix")
    assert float(score) == pytest.approx(comp["score"])
    assert float(score.attrs["raw"]) == float(score) and np.isnan(score.attrs["ceiling"])
    with pytest.raises(DataError, match="no features"):
        bench.compare(features.isel(presentation=slice(0, 50)))
