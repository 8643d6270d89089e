"""Linear probe: separable data, agreement of the two solvers, frozen features."""

from __future__ import annotations

import pytest
import torch

from neuroalign.preprocessing import Preprocessing
from neuroalign.train.probe import extract_features, fit_linear_probe, source_features


def _blobs(n_per_class: int, seed: int):
    gen = torch.Generator().manual_seed(seed)
    centres = torch.randn(4, 10, generator=gen) * 3
    labels = torch.arange(4).repeat_interleave(n_per_class)
    return centres[labels] + torch.randn(len(labels), 10, generator=gen), labels


def test_probe_separates_blobs_and_agrees_with_sklearn():
    (xtr, ytr), (xte, yte) = _blobs(50, 0), _blobs(25, 0)
    ours = fit_linear_probe(xtr, ytr, xte, yte, method="lbfgs", l2=1e-2)
    ref = fit_linear_probe(xtr, ytr, xte, yte, method="sklearn", l2=1e-2)
    assert ours.test_top1 > 0.9 and ours.n_classes == 4 and ours.feature_dim == 10
    assert ours.test_top1 == pytest.approx(ref.test_top1, abs=0.02)
    assert ours.train_top1 == pytest.approx(ref.train_top1, abs=0.02)


def test_probe_rejects_bad_input():
    x, y = _blobs(5, 1)
    with pytest.raises(ValueError, match="lengths"):
        fit_linear_probe(x, y[:-1], x, y)
    with pytest.raises(ValueError, match="NaN"):
        fit_linear_probe(x * float("nan"), y, x, y)
    with pytest.raises(ValueError, match="method"):
        fit_linear_probe(x, y, x, y, method="svm")


def test_extract_features_matches_direct_forward():
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 5, 3), torch.nn.AdaptiveAvgPool2d(1))
    imgs = torch.randint(0, 256, (7, 3, 8, 8), dtype=torch.uint8)
    pre = Preprocessing(image_size=8, resize=8, mean=(0.5,) * 3, std=(0.25,) * 3)
    feats = extract_features(net, imgs, pre, batch_size=3)
    direct = net((imgs.float() / 255 - 0.5) / 0.25).flatten(1)
    assert feats.shape == (7, 5) and torch.allclose(feats, direct, atol=1e-5)


def test_features_of_a_source_equal_those_of_its_images():
    from neuroalign.train.sources import TensorSource

    net = torch.nn.Sequential(torch.nn.Conv2d(3, 5, 3), torch.nn.AdaptiveAvgPool2d(1))
    imgs = torch.randint(0, 256, (9, 3, 8, 8), dtype=torch.uint8)
    pre = Preprocessing(image_size=8, resize=8, mean=(0.5,) * 3, std=(0.25,) * 3)
    source = TensorSource(imgs, torch.arange(9), torch.device("cpu"))
    index = torch.tensor([7, 0, 3, 3])
    got = source_features(net, source, index, pre, batch_size=2)
    assert torch.allclose(got, extract_features(net, imgs[index], pre), atol=1e-6)


def test_probe_runs_in_float32_on_the_features_device():
    (xtr, ytr), (xte, yte) = _blobs(30, 2), _blobs(10, 2)
    single = fit_linear_probe(xtr.float(), ytr, xte.float(), yte, l2=1e-2)
    double = fit_linear_probe(xtr.double(), ytr, xte.double(), yte, l2=1e-2)
    assert single == double  # the solver casts to float32 either way


@pytest.mark.gpu
def test_probe_on_cuda_agrees_with_cpu():
    (xtr, ytr), (xte, yte) = _blobs(50, 0), _blobs(25, 0)
    cpu = fit_linear_probe(xtr, ytr, xte, yte, l2=1e-2)
    gpu = fit_linear_probe(xtr.cuda(), ytr, xte.cuda(), yte, l2=1e-2)
    assert abs(cpu.test_top1 - gpu.test_top1) <= 0.02
