"""benchmarks/gpu_suite.py --smoke: every section of the GPU suite at toy size on the CPU."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SUITE = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_suite.py"

# torchvision 0.29 marks its image decoders deprecated (TorchCodec succeeds them); they work
pytestmark = pytest.mark.filterwarnings("ignore:The image decoding:DeprecationWarning")


@pytest.fixture
def suite():
    spec = importlib.util.spec_from_file_location("gpu_suite", SUITE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_smoke_runs_every_section_and_writes_json_and_markdown(
    suite, tmp_path, shared_data, one_torch_thread
):
    code = suite.main(["--smoke", "--threads", "1", "--output-dir", str(tmp_path)])
    results = json.loads((tmp_path / "gpu_suite.json").read_text())
    failed = {n: s.get("error") for n, s in results["sections"].items() if s["status"] != "ok"}
    assert code == 0 and not failed
    assert list(results["sections"]) == list(suite.ALL_SECTIONS)
    env = results["environment"]
    assert env["command"].startswith("python benchmarks/gpu_suite.py --smoke") and env["torch"]
    step = results["sections"]["step:eager"]["result"]
    assert set(step["split_ms"]) == {"data", "augment", "forward", "loss", "backward", "optimizer"}
    assert step["view_images_per_s"] > 0
    assert results["sections"]["syncs"]["result"]["syncs_per_step"] == 0
    assert 0 <= results["sections"]["cifar:clamp"]["result"]["linear_probe_top1"] <= 1
    markdown = (tmp_path / "gpu_suite.md").read_text()
    assert "| step:compile | ok |" in markdown and "## extraction" in markdown


def test_a_failing_section_does_not_lose_the_others(suite, tmp_path, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("out of memory (simulated)")

    monkeypatch.setattr(suite, "section_loss", broken)
    code = suite.main(
        ["--smoke", "--threads", "1", "--output-dir", str(tmp_path), "--sections", "loss,syncs"]
    )
    results = json.loads((tmp_path / "gpu_suite.json").read_text())
    assert code == 1
    assert results["sections"]["loss"]["status"] == "error"
    assert "simulated" in results["sections"]["loss"]["error"]
    assert results["sections"]["syncs"]["status"] == "ok"
