"""Model specs: the registry's kinds, pretrained weights from the real caches (offline), errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def torch_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "torch-home"
    monkeypatch.setenv("TORCH_HOME", str(home))
    monkeypatch.setenv("NEUROALIGN_OFFLINE", "1")  # never reach for the network in a test
    return home


def _stand_in_weights(hub: Path, name: str, seed: int = 7) -> dict:
    """A locally made file where torch hub caches torchvision's ``name`` weights."""
    import torchvision

    torch.manual_seed(seed)
    state = torchvision.models.resnet18().state_dict()
    hub.mkdir(parents=True, exist_ok=True)
    torch.save(state, hub / name)
    return state


def test_each_spec_finds_its_kind():
    from neuroalign.extract.model_registry import model_kind

    kinds = {
        "resnet18": "torchvision",
        "resnet18:IMAGENET1K_V1": "torchvision-pretrained",
        "resnet50:ResNet50_Weights.IMAGENET1K_V2": "torchvision-pretrained",
        "timm:resnet18": "timm",
        "timm:resnet18:a1_in1k": "timm-pretrained",
        "timm:resnet18.a1_in1k": "timm-pretrained",
        "neuroalign:resnet18": "neuroalign",
        "runs/x/last.pt": "checkpoint",
    }
    assert {spec: model_kind(spec).name for spec in kinds} == kinds
    with pytest.raises(ValueError, match=r"unknown model spec 'resnet99'.*NAME:WEIGHTS"):
        model_kind("resnet99")
    with pytest.raises(ValueError, match="'nope' is not a torchvision architecture"):
        model_kind("nope:IMAGENET1K_V1")


def test_list_models_and_offline_status(torch_home):
    from neuroalign.extract.model_registry import available_offline, list_models, model_table

    assert list_models("resnet18*", kind="torchvision-pretrained") == ["resnet18:IMAGENET1K_V1"]
    assert "resnet18" in list_models(kind="torchvision")
    assert "neuroalign:resnet18" in list_models("neuroalign:*")
    assert set(list_models("resnet50:*")) == {"resnet50:IMAGENET1K_V1", "resnet50:IMAGENET1K_V2"}
    rows = dict((spec, status) for spec, _, status in model_table("resnet18*"))
    assert rows == {"resnet18:IMAGENET1K_V1": "download", "resnet18": "local"}
    ok, why = available_offline("resnet18:IMAGENET1K_V1")
    assert not ok and "https://download.pytorch.org/models/resnet18-f37072fd.pth" in why
    _stand_in_weights(torch_home / "hub" / "checkpoints", "resnet18-f37072fd.pth")
    assert available_offline("resnet18:IMAGENET1K_V1")[0]
    assert (
        dict((s, st) for s, _, st in model_table("resnet18:*"))["resnet18:IMAGENET1K_V1"]
        == "cached"
    )
    with pytest.raises(ValueError, match="unknown model kind"):
        list_models(kind="keras")


def test_random_architecture_says_so_loudly():
    from neuroalign.extract import load_model
    from neuroalign.extract.model_registry import RandomWeightsWarning

    with pytest.warns(RandomWeightsWarning, match=r"RANDOM weights.*resnet18:IMAGENET1K_V1"):
        lm = load_model("resnet18")
    assert not lm.pretrained and lm.kind == "torchvision" and "random" in lm.weights
    assert lm.warning is not None and "NOT the pretrained" in lm.warning
    again = load_model("resnet18")
    assert again.weights_sha256 == lm.weights_sha256  # seed 0: the same weights every time


def test_torchvision_weights_load_from_torch_hub_cache(torch_home):
    """The real torchvision loader reads the file from $TORCH_HOME/hub/checkpoints; torch hub
    checks the hash prefix in the name only when it downloads, so a locally made file is read,
    and neuroalign warns that it is not the published one."""
    from neuroalign.extract import load_model
    from neuroalign.extract.model_registry import UnverifiedWeightsWarning

    hub = torch_home / "hub" / "checkpoints"
    state = _stand_in_weights(hub, "resnet18-f37072fd.pth")
    with pytest.warns(UnverifiedWeightsWarning, match="not the file torchvision publishes"):
        lm = load_model("resnet18:IMAGENET1K_V1")
    for key, value in lm.model.state_dict().items():
        assert torch.equal(value, state[key]), key
    assert lm.pretrained and lm.kind == "torchvision-pretrained"
    assert lm.identifier == "resnet18-IMAGENET1K_V1"
    assert lm.weights_file == hub / "resnet18-f37072fd.pth"
    assert lm.metadata["weights_sha256_matches_name"] is False
    assert lm.source == {"library": "torchvision", "arch": "resnet18", "weights": "IMAGENET1K_V1",
                         "url": "https://download.pytorch.org/models/resnet18-f37072fd.pth",
                         "interpolation": "bilinear"}  # fmt: skip
    p = lm.preprocessing  # from the weights' own transforms: Resize(256), CenterCrop(224)
    assert (p.image_size, p.resize, p.mean, p.std) == (
        224, 256, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))  # fmt: skip


def test_resnet50_v2_preprocessing_comes_from_its_transforms(torch_home):
    import torchvision

    from neuroalign.extract import load_model

    hub = torch_home / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    torch.save(torchvision.models.resnet50().state_dict(), hub / "resnet50-11ad3fa6.pth")
    with pytest.warns(UserWarning):
        lm = load_model("resnet50:IMAGENET1K_V2")
    assert (lm.preprocessing.image_size, lm.preprocessing.resize) == (224, 232)


def test_missing_and_unknown_weights_are_one_line_errors(torch_home):
    from neuroalign.errors import DataError, DownloadError
    from neuroalign.extract import load_model

    with pytest.raises(DownloadError) as info:
        load_model("resnet18:IMAGENET1K_V1")
    message = str(info.value)
    target = torch_home / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    assert "\n" not in message
    assert "https://download.pytorch.org/models/resnet18-f37072fd.pth" in message
    assert str(target) in message
    with pytest.raises(ValueError, match=r"unknown weights 'IMAGENET9'.*resnet18:IMAGENET1K_V1"):
        load_model("resnet18:IMAGENET9")
    target.parent.mkdir(parents=True)
    target.write_bytes(b"truncated download")
    with pytest.raises(DataError, match="not readable"):
        load_model("resnet18:IMAGENET1K_V1")
    torch.save({"fc.weight": torch.zeros(2, 2)}, target)
    with pytest.raises(DataError, match="does not hold the weights"):
        load_model("resnet18:IMAGENET1K_V1")


def test_from_module_wraps_any_network():
    from neuroalign.extract import LoadedModel
    from neuroalign.extract.model_spec import state_dict_sha256
    from neuroalign.preprocessing import Preprocessing

    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU())
    net.train()
    lm = LoadedModel.from_module(net, Preprocessing(image_size=32, resize=None), "tiny")
    assert not lm.model.training and lm.kind == "module" and lm.layer_names() == ["0", "1"]
    assert lm.weights_sha256 == state_dict_sha256(net)
    with pytest.raises(ValueError, match="must be a neuroalign Preprocessing"):
        LoadedModel.from_module(net, {"image_size": 32}, "tiny")


_TIMM_SCRIPT = textwrap.dedent(
    """
    import json, sys, warnings
    import importlib.abc

    if sys.argv[1] == "no-timm":
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "timm" or name.startswith("timm."):
                    raise ModuleNotFoundError(name)
        sys.meta_path.insert(0, Block())

    import torch
    from neuroalign.extract import load_model

    out = {}
    for spec in sys.argv[2:]:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                lm = load_model(spec)
            out[spec] = {"kind": lm.kind, "pretrained": lm.pretrained,
                         "prep": lm.preprocessing.to_dict(), "file": str(lm.weights_file),
                         "sum": float(sum(v.double().sum() for v in lm.model.state_dict().values()))}
        except Exception as err:
            out[spec] = {"error": f"{type(err).__name__}: {err}"}
    print(json.dumps(out))
    """
)


def _run_timm(tmp_path: Path, mode: str, *specs: str) -> dict:
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": str(REPO)}  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-c", _TIMM_SCRIPT, mode, *specs],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_timm_pretrained_from_the_hugging_face_cache(tmp_path):
    """A locally made safetensors file laid out as the HF hub cache holds timm's weights is
    loaded by timm's own loader; a missing one says where to get it; without timm, one line."""
    timm = pytest.importorskip("timm")
    from safetensors.torch import save_file

    torch.manual_seed(5)
    model = timm.create_model("test_resnet", pretrained=False)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    repo = tmp_path / "hf" / "hub" / "models--timm--test_resnet.r160_in1k"
    commit = "0123456789abcdef0123456789abcdef01234567"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    (repo / "snapshots" / commit).mkdir(parents=True)
    save_file(state, str(repo / "snapshots" / commit / "model.safetensors"))
    expected = float(sum(v.double().sum() for v in state.values()))

    got = _run_timm(tmp_path, "timm", "timm:test_resnet:r160_in1k", "timm:test_resnet.r160_in1k",
                    "timm:test_resnet:nope", "timm:test_vit:r160_in1k", "timm:test_resnet")  # fmt: skip
    for spec in ("timm:test_resnet:r160_in1k", "timm:test_resnet.r160_in1k"):
        assert got[spec]["kind"] == "timm-pretrained" and got[spec]["pretrained"], got[spec]
        assert got[spec]["sum"] == pytest.approx(expected, rel=1e-12)
        assert got[spec]["file"].endswith(f"{commit}/model.safetensors")
        assert got[spec]["prep"] == {"image_size": 160, "resize": 168, "mean": [0.5] * 3,
                                     "std": [0.5] * 3}  # fmt: skip
    assert "unknown timm weights 'nope'" in got["timm:test_resnet:nope"]["error"]
    assert "timm:test_resnet:r160_in1k" in got["timm:test_resnet:nope"]["error"]
    missing = got["timm:test_vit:r160_in1k"]["error"]
    assert missing.startswith("DownloadError") and "hf download timm/test_vit.r160_in1k" in missing
    assert (
        "https://huggingface.co/timm/test_vit.r160_in1k/resolve/main/model.safetensors" in missing
    )
    assert got["timm:test_resnet"]["kind"] == "timm" and not got["timm:test_resnet"]["pretrained"]

    absent = _run_timm(tmp_path, "no-timm", "timm:test_resnet:r160_in1k")
    assert absent["timm:test_resnet:r160_in1k"]["error"].startswith(
        "ValueError: timm model specs need timm"
    )
