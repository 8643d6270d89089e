"""ProbeImages: the fixed probe set (spread over a data set, checked, kept on the CPU)."""

from __future__ import annotations

import pytest
import torch

from neuroalign.data import spread_indices
from neuroalign.tracking import ProbeImages


def _images(n: int) -> torch.Tensor:
    return torch.arange(n, dtype=torch.uint8).view(n, 1, 1, 1).expand(n, 3, 2, 2).clone()


def test_spread_takes_evenly_spread_images_with_their_labels() -> None:
    images, labels = _images(100), torch.arange(100) // 10  # class-ordered, 10 classes
    probe = ProbeImages.spread(images, labels, n=20)
    assert torch.equal(probe.indices, spread_indices(100, 20))
    assert torch.equal(probe.images[:, 0, 0, 0].long(), probe.indices)
    assert torch.equal(probe.labels, labels[probe.indices])
    assert torch.bincount(probe.labels).tolist() == [2] * 10  # class balance kept
    assert len(ProbeImages.spread(images, None, n=None)) == 100


def test_take_keeps_the_class_balance_and_is_a_subset() -> None:
    probe = ProbeImages.spread(_images(100), torch.arange(100) // 10, n=40)
    small = probe.take(10)
    assert torch.bincount(small.labels).tolist() == [1] * 10
    assert set(small.indices.tolist()) <= set(probe.indices.tolist())
    assert probe.take(None) is probe and probe.take(500) is probe
    with pytest.raises(ValueError, match=">= 2 images"):
        probe.take(1)


def test_bad_probes_are_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="uint8"):
        ProbeImages(torch.zeros(4, 3, 2, 2))
    with pytest.raises(ValueError, match="N >= 2"):
        ProbeImages(_images(1))
    with pytest.raises(ValueError, match=r"labels must have shape \(4,\)"):
        ProbeImages(_images(4), torch.arange(3))
