"""Weighted cosine kNN (InstDisc) on hand-made examples."""

from __future__ import annotations

import math

import pytest
import torch

from neuroalign.train.knn import knn_accuracy, knn_predict


def test_nearest_neighbour_by_cosine_not_euclidean():
    train = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    labels = torch.tensor([0, 1])
    test = torch.tensor([[10.0, 1.0], [0.1, 0.2]])  # far in Euclidean terms, close in angle
    assert knn_predict(train, labels, test, k=1).tolist() == [0, 1]


def test_temperature_weighted_vote_by_hand():
    # one very similar neighbour of class 1 against two less similar ones of class 0
    train = torch.tensor([[1.0, 0.0], [0.6, 0.8], [0.6, 0.8]])
    labels = torch.tensor([1, 0, 0])
    test = torch.tensor([[1.0, 0.0]])
    # weights: exp(1 / T) for class 1 and 2 exp(0.6 / T) for class 0
    for temperature, winner in ((0.07, 1), (10.0, 0)):
        w1, w0 = math.exp(1 / temperature), 2 * math.exp(0.6 / temperature)
        assert (w1 > w0) == (winner == 1)
        pred = knn_predict(train, labels, test, k=3, temperature=temperature)
        assert pred.tolist() == [winner]


def test_accuracy_and_k_clipping():
    gen = torch.Generator().manual_seed(0)
    centres = torch.randn(3, 16, generator=gen) * 5
    labels = torch.arange(3).repeat_interleave(20)
    feats = centres[labels] + 0.1 * torch.randn(60, 16, generator=gen)
    acc = knn_accuracy(feats[::2], labels[::2], feats[1::2], labels[1::2], k=500)
    assert acc == 1.0
    with pytest.raises(ValueError):
        knn_predict(feats, labels, feats[:, :3])
