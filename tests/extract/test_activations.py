"""Activations equal a plain forward pass with hooks; layout follows Brain-Score's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from neuroalign.errors import DataError
from neuroalign.extract import as_stimuli, extract_activations, load_model

LAYERS = ["conv1", "layer1", "layer3.1.conv2", "layer4", "avgpool", "fc"]


def reference_activations(paths: list[Path], layers: list[str]) -> dict[str, np.ndarray]:
    """Independent reference: torchvision transforms on PIL + a fresh seeded ResNet-18, full pass."""
    import torchvision
    from PIL import Image
    from torchvision import transforms

    torch.manual_seed(0)
    net = torchvision.models.resnet18(weights=None).eval()
    tf = transforms.Compose(
        [
            transforms.Resize(36),
            transforms.CenterCrop(32),
            transforms.ToTensor(),
            transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
        ]
    )
    x = torch.stack([tf(Image.open(p).convert("RGB")) for p in paths])
    out: dict[str, torch.Tensor] = {}
    modules = dict(net.named_modules())
    handles = [
        modules[name].register_forward_hook(lambda _m, _i, o, name=name: out.__setitem__(name, o))
        for name in layers
    ]
    with torch.no_grad():
        net(x)
    for h in handles:
        h.remove()
    return {name: out[name].numpy() for name in layers}


def test_equals_plain_forward_with_hooks(small_resnet18, image_files):
    acts = extract_activations(small_resnet18, image_files, LAYERS, batch_size=3, num_workers=0)
    ref = reference_activations(image_files, LAYERS)
    assert list(acts) == LAYERS
    for name in LAYERS:
        a = acts[name]
        assert a.dims == ("presentation", "neuroid")
        expected = ref[name].reshape(len(image_files), -1)
        np.testing.assert_allclose(a.values, expected, rtol=1e-5, atol=1e-5)
        assert list(a["stimulus_id"].values) == [p.stem for p in image_files]
        assert set(a["layer"].values) == {name}


def test_conv_coords_index_the_feature_map(small_resnet18, image_files):
    acts = extract_activations(small_resnet18, image_files, ["layer1"], batch_size=4, num_workers=0)
    a = acts["layer1"]
    ref = reference_activations(image_files, ["layer1"])["layer1"]  # (N, 64, 8, 8)
    rng = np.random.default_rng(1)
    channel, row, column = (a[k].values for k in ("channel", "channel_x", "channel_y"))
    ids = a["neuroid_id"].values
    for j in rng.choice(a.sizes["neuroid"], 20, replace=False):
        c, h, w = channel[j], row[j], column[j]
        np.testing.assert_allclose(a.values[:, j], ref[:, c, h, w], rtol=1e-5, atol=1e-5)
        assert ids[j] == f"layer1.{j}"
    fc = extract_activations(small_resnet18, image_files[:2], ["fc"], num_workers=0)["fc"]
    assert (
        np.isnan(fc["channel_x"].values).all() and (fc["channel"].values == np.arange(1000)).all()
    )


def test_batch_size_and_workers_do_not_change_values(small_resnet18, image_files):
    a = extract_activations(small_resnet18, image_files, ["layer2"], batch_size=7, num_workers=0)
    b = extract_activations(small_resnet18, image_files, ["layer2"], batch_size=2, num_workers=1)
    np.testing.assert_allclose(a["layer2"].values, b["layer2"].values, rtol=1e-5, atol=1e-5)


def test_one_forward_pass_stops_after_last_layer(small_resnet18, image_files):
    calls = []
    handle = small_resnet18.model.layer4.register_forward_hook(lambda *_: calls.append(1))
    try:
        extract_activations(small_resnet18, image_files, ["layer1", "layer2"], batch_size=7)
    finally:
        handle.remove()
    assert calls == []  # layer4 never ran


def test_stimulus_set_and_tensor_inputs(small_resnet18, image_files):
    from brainscore_core.supported_data_standards.brainio.stimuli import StimulusSet

    ss = StimulusSet({"stimulus_id": [f"s{i}" for i in range(3)], "category": ["a", "b", "a"]})
    ss.stimulus_paths = {f"s{i}": image_files[i] for i in range(3)}
    ss.identifier = "toy"
    a = extract_activations(small_resnet18, ss, ["avgpool"], num_workers=0)["avgpool"]
    assert list(a["stimulus_id"].values) == ["s0", "s1", "s2"]
    assert list(a["category"].values) == ["a", "b", "a"]
    assert a.attrs["stimulus_set_identifier"] == "toy"

    images = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8)
    t = extract_activations(small_resnet18, images, ["avgpool"])["avgpool"]
    assert t.shape == (4, 512) and t["stimulus_id"].values[0] == "image_00000"


def test_attrs_record_model_and_preprocessing(small_resnet18, image_files):
    import json

    a = extract_activations(small_resnet18, image_files[:2], ["layer4"], num_workers=0)["layer4"]
    assert json.loads(a.attrs["preprocessing"]) == small_resnet18.preprocessing.to_dict()
    assert a.attrs["weights_sha256"] == small_resnet18.weights_sha256
    assert a.attrs["model_identifier"] == "resnet18"


def test_model_without_parameters(image_files):
    """A parameter-free network (e.g. a pixel baseline) extracts like any other."""
    from neuroalign.extract.model_spec import LoadedModel
    from neuroalign.preprocessing import Preprocessing

    net = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(4))
    lm = LoadedModel(net, "pixels", Preprocessing(image_size=16, resize=16), "p", "p")
    acts = extract_activations(lm, image_files, ["0"], num_workers=0)["0"]
    assert acts.shape == (len(image_files), 3 * 4 * 4)


def test_folder_input_uses_relative_ids(small_resnet18, image_files):
    folder = image_files[0].parent
    stim = as_stimuli(folder)
    assert stim.ids == tuple(p.stem for p in image_files)


def test_corrupt_image_is_named(small_resnet18, image_files, tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not an image at all")
    with pytest.raises(DataError, match="broken.jpg"):
        extract_activations(small_resnet18, [*image_files[:2], bad], ["layer1"], num_workers=0)


def test_bad_layers_and_inputs(small_resnet18, image_files):
    with pytest.raises(ValueError, match=r"unknown layer 'layer9'.*layer4"):
        extract_activations(small_resnet18, image_files, ["layer9"])
    with pytest.raises(ValueError, match="duplicate"):
        extract_activations(small_resnet18, image_files, ["layer1", "layer1"])
    with pytest.raises(DataError, match="uint8"):
        extract_activations(small_resnet18, torch.zeros(2, 3, 8, 8), ["layer1"])
    with pytest.raises(FileNotFoundError):
        extract_activations(small_resnet18, [Path("/nonexistent/x.png")], ["layer1"])


def test_load_model_is_seeded_and_checks_specs():
    a, b = load_model("resnet18"), load_model("resnet18")
    assert a.weights_sha256 == b.weights_sha256
    torch.manual_seed(123)  # the global RNG does not matter
    c = load_model("resnet18")
    assert c.weights_sha256 == a.weights_sha256
    assert {"conv1", "layer1", "layer4", "avgpool", "fc"} <= set(a.layer_names())
    with pytest.raises(ValueError, match="unknown model spec"):
        load_model("resnet_does_not_exist")
    with pytest.raises(FileNotFoundError):
        load_model("/nonexistent/model.pt")


def test_checkpoint_spec(tmp_path):
    from neuroalign.backbones import create_ssl_model
    from neuroalign.backbones.checkpoint import write_checkpoint

    torch.manual_seed(1)
    ssl = create_ssl_model("resnet18", (64,))
    prep = {"image_size": 32, "resize": 32, "mean": [0.5] * 3, "std": [0.25] * 3}
    path = tmp_path / "run.pt"
    spec = {"arch": "resnet18", "head_dims": [64]}
    write_checkpoint(
        {"arch": "resnet18", "model_spec": spec, "model": ssl.state_dict(), "preprocessing": prep},
        path,
    )
    lm = load_model(str(path))
    assert lm.preprocessing.to_dict() == prep
    assert lm.resolve_layer("layer4") == "backbone.layer4"
    assert lm.file_sha256 is not None and lm.identifier == "run"
    images = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
    acts = extract_activations(lm, images, ["layer4", "head"])
    assert acts["head"].shape == (2, 64)
    x = (images.float() / 255 - 0.5) / 0.25
    with torch.no_grad():
        expected = ssl.eval().backbone(x)
    np.testing.assert_allclose(
        acts["layer4"].values.reshape(2, 512, -1).mean(-1), expected.numpy(), rtol=1e-4, atol=1e-5
    )
    # a checkpoint whose weights do not fit the architecture it names
    bad = tmp_path / "bad.pt"
    write_checkpoint(
        {"arch": "resnet34", "model_spec": {"arch": "resnet34", "head_dims": [64]},
         "model": ssl.state_dict(), "preprocessing": prep},
        bad,
    )  # fmt: skip
    with pytest.raises(DataError, match="do not match"):
        load_model(str(bad))


@pytest.mark.gpu
def test_cuda_bfloat16_close_to_cpu_float32(small_resnet18, image_files):
    cpu = extract_activations(small_resnet18, image_files, ["layer4"], device="cpu")["layer4"]
    gpu = extract_activations(small_resnet18, image_files, ["layer4"], device="cuda")["layer4"]
    exact = extract_activations(
        small_resnet18, image_files, ["layer4"], device="cuda", precision="float32"
    )["layer4"]
    small_resnet18.model.to("cpu")
    scale = np.abs(cpu.values).max()
    assert np.abs(gpu.values - cpu.values).max() < 0.05 * scale  # bfloat16 autocast
    np.testing.assert_allclose(exact.values, cpu.values, rtol=1e-3, atol=1e-3 * scale)
