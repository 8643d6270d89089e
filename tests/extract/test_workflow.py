"""`neuroalign extract` as a library call: run_extract writes assemblies and a run record."""

from __future__ import annotations

import json

import pytest

from .conftest import write_images


def test_run_extract_writes_layers_and_provenance(tmp_path):
    from neuroalign.extract import ExtractConfig, open_assembly, run_extract

    write_images(tmp_path / "imgs", 3)
    cfg = ExtractConfig(model="resnet18", stimuli=str(tmp_path / "imgs"), layers=("layer3", "fc"),
                        out=tmp_path / "acts", progress=False, num_workers=0)  # fmt: skip
    result = run_extract(cfg)
    assert set(result.paths) == {"layer3", "fc"}
    a = open_assembly(result.paths["layer3"])
    assert a.sizes["presentation"] == 3 and set(a["layer"].values) == {"layer3"}
    run = json.loads((tmp_path / "acts" / "run.json").read_text())
    assert run["model"]["kind"] == "torchvision" and run["model"]["pretrained"] is False
    assert "random initialisation" in run["model"]["weights"]
    assert run["config"]["layers"] == ["layer3", "fc"]
    assert run["files"] == {"layer3": "layer3.nc", "fc": "fc.nc"}
    assert (tmp_path / "acts" / "config.yaml").is_file()
    assert (tmp_path / "acts" / "manifest.json").is_file()


def test_named_stimulus_sets(shared_data, tmp_path):
    from neuroalign.defaults import V4_SESSION
    from neuroalign.extract.workflow import named_stimuli

    k = named_stimuli("kriegeskorte2008")
    assert len(k) == 92 and k["stimulus_id"].iloc[0] == "kriegeskorte2008_00"
    c = named_stimuli("cowley2023:210305")
    assert len(c) == 400 and c.identifier == "Cowley2023.210305"
    assert named_stimuli("cowley2023").identifier == f"Cowley2023.{V4_SESSION}"
    assert named_stimuli(str(tmp_path)) == tmp_path
    with pytest.raises(FileNotFoundError, match="named stimulus set"):
        named_stimuli("imagenet-21k")
