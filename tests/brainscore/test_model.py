"""neuroalign models as Brain-Score models: the BrainModel, its activations, its layer choice."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neuroalign.extract import extract_activations, load_model
from neuroalign.preprocessing import Preprocessing


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


def test_activations_wrapper_matches_pytorchwrapper(small_model, toy_stimuli):
    """Our activations model vs Brain-Score's PytorchWrapper on the same preprocessing."""
    import functools

    from brainscore_vision.model_helpers.activations.pytorch import PytorchWrapper

    from neuroalign.brainscore import NeuroalignActivations
    from neuroalign.brainscore.model import _load_images

    ours = NeuroalignActivations(small_model, identifier="same")
    # the weights' digest names the activations (Brain-Score's cache key), not only the model
    assert ours.identifier == f"same-{small_model.weights_sha256[:12]}"
    ref = PytorchWrapper(
        model=small_model.model,
        preprocessing=functools.partial(_load_images, prep=small_model.preprocessing),
        identifier=ours.identifier,
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


_RECACHE_SCRIPT = """
import dataclasses, sys
from pathlib import Path

import numpy as np
import torch
from brainscore_core.supported_data_standards.brainio.stimuli import StimulusSet

from neuroalign.brainscore import build_brain_model
from neuroalign.extract import load_model
from neuroalign.extract.model_spec import state_dict_sha256
from neuroalign.preprocessing import Preprocessing

paths = {p.stem: p for p in sorted(Path(sys.argv[1]).glob("*.png"))}
stimuli = StimulusSet({"stimulus_id": list(paths)})
stimuli.stimulus_paths = paths
stimuli.identifier = "toy-recache"  # a named set: Brain-Score caches its activations


def it_responses(scale):
    loaded = load_model("resnet18")
    loaded.preprocessing = Preprocessing(image_size=32, resize=32)
    with torch.no_grad():
        loaded.model.conv1.weight.mul_(scale)  # new weights, as a retrained checkpoint has
    loaded = dataclasses.replace(loaded, weights_sha256=state_dict_sha256(loaded.model))
    model = build_brain_model(loaded, "same-name", {"IT": "layer4"})
    model.start_recording("IT", [(70, 170)])
    return np.asarray(model.look_at(stimuli).values)


first, second = it_responses(1.0), it_responses(-1.0)
print("differ" if not np.allclose(first, second) else "stale")
"""


@pytest.mark.slow
def test_new_weights_under_an_old_name_are_not_read_from_brainscores_cache(tmp_path):
    """Brain-Score's result caching keys activations by the activations model's identifier:
    weights registered again under the same name (``register --force``) must not get the old
    weights' activations back."""
    import os
    import subprocess
    import sys

    from PIL import Image

    rng = np.random.default_rng(1)
    for i in range(4):
        image = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
        Image.fromarray(image).save(tmp_path / f"s{i}.png")
    env = {k: v for k, v in os.environ.items() if k != "RESULTCACHING_DISABLE"}
    env["RESULTCACHING_HOME"] = str(tmp_path / "cache")
    proc = subprocess.run(
        [sys.executable, "-c", _RECACHE_SCRIPT, str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "differ"
    assert any((tmp_path / "cache").rglob("*.pkl"))  # the cache was in use
