"""layer_views: one view per image through the model's preprocessing, or m augmented views."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from neuroalign.extract import OUTPUT, layer_views, load_model
from neuroalign.preprocessing import Preprocessing


def _images(n: int = 5, size: int = 20, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8, generator=gen)


@pytest.fixture(scope="module")
def small():
    lm = load_model("resnet18")
    return dataclasses.replace(lm, preprocessing=Preprocessing(image_size=64, resize=64))


def test_single_view_equals_a_plain_forward_of_the_preprocessed_images(small):
    imgs = _images()
    feats = layer_views(small, imgs, ["layer4", "avgpool"], batch_size=2)
    seen = {}
    hooks = [
        getattr(small.model, name).register_forward_hook(
            lambda _m, _i, out, name=name: seen.__setitem__(name, out)
        )
        for name in ("layer4", "avgpool")
    ]
    with torch.no_grad():
        small.model(small.preprocessing(imgs))  # the whole network, no early stop
    for hook in hooks:
        hook.remove()
    assert feats["layer4"].shape == (5, 512 * 2 * 2)  # the whole map: C x H x W
    assert torch.allclose(feats["layer4"], seen["layer4"].flatten(1), atol=1e-5)
    assert torch.allclose(feats["avgpool"], seen["avgpool"].flatten(1), atol=1e-5)
    # layer4 keeps what distinguishes it from avgpool; its channel means are avgpool
    mean = layer_views(small, imgs, ["layer4"], pool="mean")["layer4"]
    assert torch.allclose(mean, feats["avgpool"], atol=1e-5)


def test_views_are_seeded_shaped_and_differ_between_views(small):
    imgs = _images(4)
    a = layer_views(small, imgs, ["avgpool"], n_views=3, recipe="cifar10", seed=1)["avgpool"]
    b = layer_views(small, imgs, ["avgpool"], n_views=3, recipe="cifar10", seed=1)["avgpool"]
    c = layer_views(small, imgs, ["avgpool"], n_views=3, recipe="cifar10", seed=2)["avgpool"]
    assert a.shape == (3, 4, 512) and torch.equal(a, b) and not torch.equal(a, c)
    assert not torch.allclose(a[0], a[1])


def test_bare_module_output_projection_and_mode_restored():
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 6, 3), torch.nn.Flatten())
    net.train()
    prep = Preprocessing(image_size=8, resize=8, mean=(0.5,) * 3, std=(0.5,) * 3)
    imgs = _images(3, 8)
    out = layer_views(net, imgs, preprocessing=prep)[OUTPUT]
    assert torch.allclose(out, net(prep(imgs)), atol=1e-5) and net.training
    proj = layer_views(net, imgs, ["0"], preprocessing=prep, max_features=10, seed=3)["0"]
    again = layer_views(net, imgs, ["0"], preprocessing=prep, max_features=10, seed=3)["0"]
    assert proj.shape == (3, 10) and torch.equal(proj, again)


def test_bad_input_is_refused(small):
    with pytest.raises(ValueError, match="uint8"):
        layer_views(small, torch.zeros(2, 3, 8, 8), ["layer1"])
    with pytest.raises(ValueError, match="preprocessing"):
        layer_views(torch.nn.Identity(), _images(), [OUTPUT])
    with pytest.raises(ValueError, match="unknown layer"):
        layer_views(small, _images(), ["layer9"])
    with pytest.raises(ValueError, match="pool"):
        layer_views(small, _images(), ["layer1"], pool="max")
