"""neuroalign's benchmarks as Brain-Score benchmark plugins: brainscore_vision.score offline."""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import make_checkpoint, unique_identifier


@pytest.fixture
def benchmark_plugins():
    """Install the benchmark plugins for one test; removed afterwards unless already there."""
    from neuroalign.brainscore.benchmark_plugins import (
        BENCHMARK_PLUGIN_FOLDER,
        uninstall_benchmark_plugins,
    )
    from neuroalign.brainscore.plugin import brainscore_plugins_dir

    folder = brainscore_plugins_dir("benchmarks") / BENCHMARK_PLUGIN_FOLDER
    existed = folder.exists()
    yield folder
    if not existed:
        uninstall_benchmark_plugins()


def test_benchmark_plugin_files():
    from neuroalign.brainscore.benchmark_plugins import (
        BENCHMARK_IDENTIFIERS,
        render_benchmark_plugin,
    )
    from neuroalign.brainscore.plugin import _REGISTRATION

    files = render_benchmark_plugin()
    assert set(files) == {"__init__.py", "test.py"}  # no requirements.txt: not pip-installable
    found = [m.group(1, 2) for m in _REGISTRATION.finditer(files["__init__.py"])]
    assert found == [("benchmark", i) for i in BENCHMARK_IDENTIFIERS]
    compile(files["__init__.py"], "__init__.py", "exec")
    with pytest.raises(ValueError, match="unknown benchmark"):
        render_benchmark_plugin(["MajajHong2015.IT-pls"])
    restricted = render_benchmark_plugin(options={"Cowley2023.V4-pls": {"sessions": ["210305"]}})
    assert (
        "benchmark_registry['Cowley2023.V4-pls'] = lambda: _load('Cowley2023.V4-pls', "
        "sessions=['210305'])  # NOT the full benchmark" in restricted["__init__.py"]
    )


def test_install_then_brainscore_finds_each_benchmark(benchmark_plugins):
    import brainscore_vision
    from brainscore_core.plugin_management.import_plugin import ImportPlugin

    from neuroalign.brainscore import install_benchmark_plugins
    from neuroalign.brainscore.benchmark_plugins import BENCHMARK_IDENTIFIERS

    assert install_benchmark_plugins() == benchmark_plugins
    assert install_benchmark_plugins() == benchmark_plugins  # the same content: a no-op
    for identifier in BENCHMARK_IDENTIFIERS:
        plugin = ImportPlugin("brainscore_vision", "benchmarks", identifier)
        assert plugin.plugin_dirname == benchmark_plugins.name
    benchmark = brainscore_vision.load_benchmark("Kriegeskorte2008.IT-rsa")
    assert benchmark.identifier == "Kriegeskorte2008.IT-rsa"


@pytest.mark.slow
def test_brainscore_score_runs_neuroalign_benchmarks_offline(
    tmp_path, torch_home, installed, benchmark_plugins, shared_data
):
    """``brainscore_vision.score(model, benchmark)`` -- Brain-Score's own entry point, its plugin
    discovery and its model plugin -- gives the score neuroalign computes for that model."""
    import brainscore_vision
    from brainscore_core.metrics import Score

    from neuroalign.brainscore import build_brain_model, install_benchmark_plugins
    from neuroalign.brainscore.registration import RegisterConfig, register
    from neuroalign.extract import load_model
    from neuroalign.neural_benchmarks import load_benchmark

    one_session = {"sessions": ["210305"]}  # the smallest session (400 images): a fast test
    install_benchmark_plugins(options={"Cowley2023.V4-pls": one_session}, force=True)
    ckpt = make_checkpoint(tmp_path / "tiny.pt", cifar_stem=False)  # 32 px input: fast
    identifier = unique_identifier("na-test-tiny")
    installed.append(identifier)
    register(RegisterConfig(model=str(ckpt), identifier=identifier, out=tmp_path / "models",
                            region_layer_map="V4=layer3,IT=layer4", install=True))  # fmt: skip
    ours = build_brain_model(load_model(str(ckpt)), "reference", {"IT": "layer4"})
    scores = {}
    for benchmark in ("Kriegeskorte2008.IT-rsa", "Cowley2023.V4-pls"):
        score = scores[benchmark] = brainscore_vision.score(identifier, benchmark)
        assert isinstance(score, Score)
        assert score.attrs["model_identifier"] == identifier
        assert score.attrs["benchmark_identifier"] == benchmark
        assert np.isfinite(float(score))
    # the same model scored by neuroalign directly gives Brain-Score's number (the RSA benchmark
    # is deterministic; V4 is left out only to keep this test short)
    expected = load_benchmark("Kriegeskorte2008.IT-rsa")(ours)
    assert float(scores["Kriegeskorte2008.IT-rsa"]) == pytest.approx(float(expected), abs=2e-3)
