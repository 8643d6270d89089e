"""neuroalign models as Brain-Score models: BrainModel, plugin writer, installer, CLI."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

import neuroalign  # noqa: F401  (torchvision shim)
from neuroalign.extract import extract_activations, load_model
from neuroalign.preprocessing import Preprocessing


@pytest.fixture(autouse=True)
def _isolated_result_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RESULTCACHING_HOME", str(tmp_path / "result_caching"))
    monkeypatch.setenv("BS_INSTALL_DEPENDENCIES", "no")


@pytest.fixture
def small_model():
    lm = load_model("resnet18")
    lm.preprocessing = Preprocessing(image_size=32, resize=32)
    return lm


@pytest.fixture
def toy_stimuli(tmp_path):
    from brainscore_core.supported_data_standards.brainio.stimuli import StimulusSet
    from PIL import Image

    rng = np.random.default_rng(0)
    paths = {}
    for i in range(5):
        paths[f"toy{i}"] = tmp_path / f"toy{i}.png"
        Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(paths[f"toy{i}"])
    ss = StimulusSet({"stimulus_id": list(paths), "label": list("abcab")})
    ss.stimulus_paths = paths
    ss.identifier = None  # no result caching
    return ss


@pytest.fixture
def installed(tmp_path):
    """Install plugins into brainscore_vision/models for one test; always removed afterwards."""
    from neuroalign.brainscore import install_plugin, uninstall_plugin

    names: list[str] = []

    def install(plugin_dir: Path, **kwargs):
        names.append(Path(plugin_dir).name)
        return install_plugin(plugin_dir, **kwargs)

    yield install
    for name in names:
        uninstall_plugin(name)


def test_region_layer_map_parsing():
    from neuroalign.brainscore import parse_region_layer_map

    assert parse_region_layer_map("V1=layer1, IT=layer4") == {"V1": "layer1", "IT": "layer4"}
    with pytest.raises(ValueError, match="unknown region"):
        parse_region_layer_map("V7=layer1")
    with pytest.raises(ValueError, match="REGION=LAYER"):
        parse_region_layer_map("V1:layer1")


def test_look_at_agrees_with_extract(small_model, toy_stimuli):
    from brainscore_vision.model_interface import BrainModel

    from neuroalign.brainscore import build_brain_model

    model = build_brain_model(small_model, "toy-r18", {"V4": "layer3", "IT": "layer4"})
    assert isinstance(model, BrainModel)
    assert model.visual_degrees() == 8
    model.start_recording("V4", [(70, 170)])
    assembly = model.look_at(toy_stimuli)
    assert set(assembly["region"].values) == {"V4"}
    assert set(assembly["layer"].values) == {"layer3"}
    ours = extract_activations(small_model, toy_stimuli, ["layer3"], num_workers=0)["layer3"]
    bs = assembly.squeeze("time_bin", drop=True) if "time_bin" in assembly.dims else assembly
    bs = bs.transpose("presentation", "neuroid")
    assert list(bs["stimulus_id"].values) == list(ours["stimulus_id"].values)
    assert list(bs["label"].values) == list("abcab")
    np.testing.assert_array_equal(bs["channel_x"].values, ours["channel_x"].values)
    np.testing.assert_allclose(bs.values, ours.values, rtol=1e-5, atol=1e-5)


def test_uncommitted_region_and_bad_layer_raise(small_model):
    from neuroalign.brainscore import build_brain_model

    model = build_brain_model(small_model, "toy-r18", {"IT": "layer4"})
    with pytest.raises(ValueError, match="no layer committed to region 'V1'"):
        model.start_recording("V1", [(70, 170)])
    with pytest.raises(KeyError, match="never falls back"):
        model.layer_model.region_layer_map["V2"]  # the raw map refuses too
    with pytest.raises(ValueError, match="unknown layer 'layer7'"):
        build_brain_model(small_model, "toy-r18", {"IT": "layer7"})


def test_write_plugin_files(small_model, tmp_path):
    from neuroalign.brainscore import write_plugin

    target = write_plugin(small_model, "toy-plugin", tmp_path, {"V4": "layer3", "IT": "layer4"})
    names = {p.name for p in target.iterdir()}
    assert {"__init__.py", "model.py", "test.py", "metadata.yml", "requirements.txt"} <= names
    assert "model_registry['toy-plugin']" in (target / "__init__.py").read_text()
    meta = yaml.safe_load((target / "metadata.yml").read_text())["models"]["toy-plugin"]
    assert meta["provenance"]["weights_sha256"] == small_model.weights_sha256
    assert meta["brain_commitment"]["region_layer_map"] == {"V4": "layer3", "IT": "layer4"}
    assert meta["model"]["visual_degrees"] == 8
    compile((target / "model.py").read_text(), "model.py", "exec")
    compile((target / "test.py").read_text(), "test.py", "exec")
    # the same registration again changes nothing; another map under that name is refused
    before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    assert write_plugin(small_model, "toy-plugin", tmp_path, {"V4": "layer3", "IT": "layer4"})
    assert before == {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    with pytest.raises(FileExistsError, match="--force"):
        write_plugin(small_model, "toy-plugin", tmp_path)
    write_plugin(small_model, "toy-plugin", tmp_path, force=True)
    with pytest.raises(ValueError, match="invalid model identifier"):
        write_plugin(small_model, "bad name!", tmp_path)


def test_checkpoint_plugin_records_and_verifies_sha(tmp_path):
    from neuroalign.backbones import create_ssl_model
    from neuroalign.backbones.checkpoint import write_checkpoint
    from neuroalign.brainscore import write_plugin
    from neuroalign.io import sha256_file

    ssl = create_ssl_model("resnet18", (32,))
    prep = {"image_size": 32, "resize": 32, "mean": [0.5] * 3, "std": [0.25] * 3}
    ckpt = tmp_path / "clamp.pt"
    write_checkpoint(
        {"arch": "resnet18", "model_spec": {"arch": "resnet18", "head_dims": [32]},
         "model": ssl.state_dict(), "preprocessing": prep},
        ckpt,
    )  # fmt: skip
    target = write_plugin(str(ckpt), "toy-ckpt", tmp_path / "models", checkpoint_url="https://x/y")
    meta = yaml.safe_load((target / "metadata.yml").read_text())["models"]["toy-ckpt"]
    assert meta["provenance"]["checkpoint_sha256"] == sha256_file(ckpt)
    assert meta["provenance"]["checkpoint_url"] == "https://x/y"
    namespace: dict = {"__file__": str(target / "model.py"), "__name__": "plugin_model"}
    exec(compile((target / "model.py").read_text(), "model.py", "exec"), namespace)
    assert namespace["resolve_spec"]() == str(ckpt.resolve())
    ckpt.write_bytes(ckpt.read_bytes() + b"tampered")
    with pytest.raises(ValueError, match="sha256"):
        namespace["resolve_spec"]()


@pytest.mark.slow
def test_installed_plugin_loads_and_looks_at_kriegeskorte(tmp_path, installed):
    """brainscore_vision.load_model finds the plugin; look_at on the 92 images has the coords."""
    import brainscore_vision

    from neuroalign.brainscore import installed_plugin_path, write_plugin
    from neuroalign.data import load_kriegeskorte2008

    target = write_plugin("resnet18", "neuroalign-test-r18", tmp_path)
    link = installed(target)
    assert link == installed_plugin_path("neuroalign-test-r18") and link.is_symlink()
    model = brainscore_vision.load_model("neuroalign-test-r18")
    assert model.identifier == "neuroalign-test-r18"
    assert dict(model.layer_model.region_layer_map) == {
        "V1": "layer1", "V2": "layer2", "V4": "layer3", "IT": "layer4",
    }  # fmt: skip
    stimuli = load_kriegeskorte2008().stimulus_set
    model.start_recording("IT", [(70, 170)])
    assembly = model.look_at(stimuli)
    assert set(assembly.dims) >= {"presentation", "neuroid"}
    assert assembly.sizes["presentation"] == 92
    assert assembly.sizes["neuroid"] == 512 * 7 * 7
    assert list(assembly["stimulus_id"].values) == list(stimuli["stimulus_id"])
    assert set(assembly["region"].values) == {"IT"} and set(assembly["layer"].values) == {"layer4"}
    for coord in ("channel", "channel_x", "channel_y", "neuroid_id", "category"):
        assert len(assembly[coord].values) == assembly.sizes[assembly[coord].dims[0]]
    assert int(assembly["channel"].values.max()) == 511
    assert np.isfinite(assembly.values).all() and assembly.values.std() > 0


def test_install_refuses_duplicates_and_uninstall_cleans(small_model, tmp_path, installed):
    from neuroalign.brainscore import installed_plugin_path, write_plugin

    target = write_plugin(small_model, "neuroalign-test-dup", tmp_path / "a")
    installed(target, mode="copy")
    assert (installed_plugin_path("neuroalign-test-dup") / "model.py").is_file()
    with pytest.raises(FileExistsError, match="--force"):
        installed(target)
    installed(target, force=True)
    assert installed_plugin_path("neuroalign-test-dup").is_symlink()


def test_cli_register_and_install(tmp_path, monkeypatch, capsys):
    import brainscore_vision

    from neuroalign.brainscore import uninstall_plugin
    from neuroalign.cli import main

    monkeypatch.chdir(tmp_path)
    name = "neuroalign-test-cli"
    try:
        rc = main(["register", "--model", "resnet18", "--identifier", name, "--install"])
        assert rc == 0
        assert (tmp_path / "models" / name / "__init__.py").is_file()
        model = brainscore_vision.load_model(name)
        assert model.identifier == name
        # registering the same model again is a no-op; another model under that identifier
        # is refused without --force
        assert main(["register", "--model", "resnet18", "--identifier", name, "--install"]) == 0
        assert main(["register", "--model", "resnet34", "--identifier", name, "--install"]) == 2
        assert "already" in capsys.readouterr().err
        assert main(["register", "--identifier", name, "--install", "--force"]) == 0
        assert main(["register", "--identifier", name, "--region-layer-map", "V4=nope"]) == 2
    finally:
        uninstall_plugin(name)
    assert not os.path.lexists(Path(brainscore_vision.__file__).parent / "models" / name)


def test_cli_extract_writes_assemblies(tmp_path, capsys):
    from PIL import Image

    from neuroalign.cli import main
    from neuroalign.extract import open_assembly

    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(np.full((40, 40, 3), 40 * i, dtype=np.uint8)).save(folder / f"{i}.png")
    out = tmp_path / "acts"
    args = ["extract", "--model", "resnet18", "--stimuli", str(folder), "--layers", "layer3,fc"]
    assert main([*args, "--out", str(out), "--no-progress", "--num-workers", "0"]) == 0
    a = open_assembly(out / "layer3.nc")
    assert a.sizes["presentation"] == 3 and set(a["layer"].values) == {"layer3"}
    assert (out / "config.yaml").is_file() and (out / "manifest.json").is_file()
    assert main(["extract", "--model", "resnet18", "--layers", "list"]) == 0
    assert "layer4.1.conv2" in capsys.readouterr().out.split()
    assert main(["extract", "--model", "resnet18", "--stimuli", str(folder), "--layers", "x"]) == 2
    assert "unknown layer 'x'" in capsys.readouterr().err


def test_activations_wrapper_matches_pytorchwrapper(small_model, toy_stimuli):
    """Our activations model vs Brain-Score's PytorchWrapper on the same preprocessing."""
    import functools

    from brainscore_vision.model_helpers.activations.pytorch import PytorchWrapper

    from neuroalign.brainscore import NeuroalignActivations
    from neuroalign.brainscore.model import _load_images

    ours = NeuroalignActivations(small_model, identifier="same")
    ref = PytorchWrapper(
        model=small_model.model,
        preprocessing=functools.partial(_load_images, prep=small_model.preprocessing),
        identifier="same",
    )
    a = ours(toy_stimuli, layers=["layer2", "avgpool"])
    b = ref(toy_stimuli, layers=["layer2", "avgpool"])
    np.testing.assert_allclose(a.values, b.values, rtol=1e-5, atol=1e-5)
    assert list(a["neuroid_id"].values) == list(b["neuroid_id"].values)


def test_brain_model_images_are_not_cropped(small_model):
    from neuroalign.brainscore import NeuroalignActivations

    lm = load_model("resnet18")  # trained-style preprocessing: resize 256, crop 224
    wrapper = NeuroalignActivations(lm)
    assert wrapper.preprocessing == lm.preprocessing.full_field()  # 224 x 224, no crop
    assert lm.preprocessing.resize == 256  # the model's own preprocessing is unchanged


class _NoiseOrPixels(torch.nn.Module):
    """Two candidate 'layers': 8x8 thumbnails of the image, and noise unrelated to the image."""

    def __init__(self):
        super().__init__()
        self.pixels = torch.nn.AdaptiveAvgPool2d(8)
        self.noise = torch.nn.Identity()
        self.generator = torch.Generator().manual_seed(0)

    def forward(self, x):
        self.noise(torch.randn(x.shape[0], 192, generator=self.generator))
        return self.pixels(x)


@pytest.mark.slow
def test_select_v4_layer_picks_the_layer_that_carries_the_image(shared_data):
    """Known answer: of a layer of image thumbnails and a layer of noise, V4 is committed to
    the thumbnails (the noise cannot predict held-out responses), through the V4 benchmark."""
    from neuroalign.brainscore import select_v4_layer
    from neuroalign.extract.model_spec import LoadedModel

    lm = LoadedModel(_NoiseOrPixels(), "noise-or-pixels", Preprocessing(image_size=64), "t", "t")
    best, table = select_v4_layer(lm, ["noise", "pixels"], session="210305", cache=False)
    assert best == "pixels"
    scores = table.set_index("layer")["score"]
    assert scores["pixels"] > 0.2 and abs(scores["noise"]) < 0.1, scores


def test_named_stimulus_sets_for_the_cli(shared_data, tmp_path):
    from neuroalign.cli.extract import load_named_stimuli

    k = load_named_stimuli("kriegeskorte2008")
    assert len(k) == 92 and k["stimulus_id"].iloc[0] == "kriegeskorte2008_00"
    c = load_named_stimuli("cowley2023:210305")
    assert len(c) == 400 and c.identifier == "Cowley2023.210305"
    assert load_named_stimuli(str(tmp_path)) == tmp_path
    with pytest.raises(FileNotFoundError, match="named stimulus set"):
        load_named_stimuli("imagenet-21k")
