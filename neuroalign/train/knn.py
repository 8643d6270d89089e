"""Weighted k-nearest-neighbour classification on cosine similarity (online evaluation).

Wu, Xiong, Yu & Lin 2018 ("Unsupervised Feature Learning via Non-Parametric Instance
Discrimination", InstDisc): features are L2-normalised; each test sample takes its k most
similar training samples (cosine similarity s), each voting for its label with weight
``exp(s / T)``; the class with the largest summed weight wins. Defaults k = 200, T = 0.07.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["knn_accuracy", "knn_predict"]


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
