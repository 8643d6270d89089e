"""Weighted k-nearest-neighbour classification on cosine similarity (online evaluation).

Wu, Xiong, Yu & Lin 2018 ("Unsupervised Feature Learning via Non-Parametric Instance
Discrimination", InstDisc): features are L2-normalised; each test sample takes its k most
similar training samples (cosine similarity s), each voting for its label with weight
``exp(s / T)``; the class with the largest summed weight wins. Defaults k = 200, T = 0.07.

:class:`KNNMonitor` is the training loop's online evaluation, a
:class:`~neuroalign.train.callbacks.Callback` like any other: every N epochs, on rank 0, the
backbone's features of a bank of training images and of the test images
(:func:`neuroalign.train.probe.source_features`: :func:`neuroalign.extract.layer_views`, the
run's evaluation preprocessing, one loader) are computed and kept on the device, and the kNN top-1 accuracy becomes the ``knn_top1`` column.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F

from neuroalign.data import spread_indices
from neuroalign.train.callbacks import Callback, TrainState
from neuroalign.train.probe import source_features

__all__ = ["KNNMonitor", "knn_accuracy", "knn_predict"]


@torch.no_grad()
def knn_predict(
    train_features: torch.Tensor,
    train_labels: torch.Tensor,
    test_features: torch.Tensor,
    *,
    k: int = 200,
    temperature: float = 0.07,
    n_classes: int | None = None,
    chunk_size: int = 1024,
) -> torch.Tensor:
    """Predicted labels (n_test,) int64 of the weighted cosine kNN classifier.

    Args:
        train_features: (n_train, d); train_labels: (n_train,) ints in [0, n_classes).
        test_features: (n_test, d).
        k: neighbours (clipped to n_train); temperature: T of the vote weights exp(s / T).
    """
    if train_features.ndim != 2 or test_features.ndim != 2:
        raise ValueError("features must be 2-D (n_samples, dim)")
    if train_features.shape[1] != test_features.shape[1]:
        raise ValueError(
            f"train/test feature widths differ: {train_features.shape[1]} vs "
            f"{test_features.shape[1]}"
        )
    if train_features.shape[0] != train_labels.shape[0]:
        raise ValueError("train_features and train_labels have different lengths")
    if k < 1 or temperature <= 0:
        raise ValueError(f"need k >= 1 and temperature > 0, got k={k}, temperature={temperature}")
    n_classes = int(n_classes or int(train_labels.max()) + 1)
    k = min(int(k), train_features.shape[0])
    train = F.normalize(train_features.float(), dim=1)
    labels = train_labels.to(train.device).long()
    preds = []
    for start in range(0, test_features.shape[0], chunk_size):
        test = F.normalize(
            test_features[start : start + chunk_size].float().to(train.device), dim=1
        )
        sim, idx = (test @ train.T).topk(k, dim=1)
        weights = (sim / temperature).exp()
        votes = torch.zeros(test.shape[0], n_classes, device=train.device, dtype=weights.dtype)
        votes.scatter_add_(1, labels[idx], weights)
        preds.append(votes.argmax(dim=1))
    return torch.cat(preds) if preds else torch.empty(0, dtype=torch.long)


def knn_accuracy(
    train_features: torch.Tensor,
    train_labels: torch.Tensor,
    test_features: torch.Tensor,
    test_labels: torch.Tensor,
    **kwargs,
) -> float:
    """Top-1 accuracy in [0, 1] of :func:`knn_predict` on labelled test features."""
    pred = knn_predict(train_features, train_labels, test_features, **kwargs)
    return float((pred.cpu() == test_labels.cpu().long()).float().mean())


class KNNMonitor(Callback):
    """kNN top-1 of the backbone on the run's test images (column ``knn_top1``).

    Args:
        every_epochs: evaluate after every N-th epoch.
        k, temperature: see :func:`knn_predict`.
        train_size: training images in the memory bank (spread over the set; None: all).
        test_size: test images scored (spread over the set; None: all).
        batch_size: images per forward pass.
    """

    name = "knn"
    columns = ("knn_top1",)
    every_steps = None
    rank_zero_only = True

    def __init__(
        self,
        every_epochs: int,
        *,
        k: int = 200,
        temperature: float = 0.07,
        train_size: int | None = 10000,
        test_size: int | None = None,
        batch_size: int = 512,
    ) -> None:
        self.every_epochs = int(every_epochs)
        self.k, self.temperature = int(k), float(temperature)
        self.train_size, self.test_size = train_size, test_size
        self.batch_size = int(batch_size)

    def _features(self, state: TrainState, source: Any, indices: torch.Tensor) -> torch.Tensor:
        return source_features(
            state.model.backbone,
            source,
            indices,
            state.preprocessing,
            batch_size=self.batch_size,
            device=state.device,
        )

    def on_epoch_end(self, state: TrainState) -> Mapping[str, float] | None:
        if state.test_data is None:
            return None
        bank = spread_indices(len(state.train_data), self.train_size)
        queries = spread_indices(len(state.test_data), self.test_size)
        return {
            "knn_top1": knn_accuracy(
                self._features(state, state.train_data, bank),
                state.train_data.labels(bank),
                self._features(state, state.test_data, queries),
                state.test_data.labels(queries),
                k=self.k,
                temperature=self.temperature,
            )
        }
