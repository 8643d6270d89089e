"""Linear-probe evaluation of a frozen backbone (the standard SSL protocol).

Chen et al. 2020 (SimCLR) and Zhang, Heeger & Martiniani 2025 (CLAMP): the projection head
is removed, the backbone is frozen, its pooled features are extracted once (centre view, no
augmentation), and a linear softmax classifier is trained on the training split and scored
(top-1) on the test split. Two solvers:

- ``"lbfgs"`` (default): multinomial logistic regression with an L2 penalty, full batch, on
  standardised features, minimised with ``torch.optim.LBFGS`` (strong-Wolfe line search) in
  float32 on the features' device (the GPU when there is one);
- ``"sklearn"``: ``sklearn.linear_model.LogisticRegression`` on the same features (reference).

Features come from :func:`neuroalign.extract.layer_views` and stay on the compute device; an
ImageFolder split is read through one :class:`~neuroalign.train.sources.FolderSource` loader
(draft decoding in workers, or on the GPU).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from neuroalign.data import spread_indices
from neuroalign.extract.views import OUTPUT, layer_views
from neuroalign.preprocessing import Preprocessing
from neuroalign.train.config import DATASETS, ProbeConfig
from neuroalign.train.sources import FolderSource, ImageSource, TensorSource

__all__ = [
    "ProbeConfig",
    "ProbeResult",
    "extract_features",
    "fit_linear_probe",
    "run_probe",
    "source_features",
]


def extract_features(
    backbone: nn.Module,
    images: torch.Tensor,
    preprocessing: Preprocessing,
    *,
    batch_size: int = 512,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """Backbone output (N, D) float32 on ``device`` for uint8 images (N, 3, H, W): one view per
    image through ``preprocessing`` (no augmentation), eval mode (see
    :func:`neuroalign.extract.layer_views`)."""
    feats = layer_views(
        backbone, images, preprocessing=preprocessing, batch_size=batch_size, device=device
    )
    return feats[OUTPUT]


def source_features(
    backbone: nn.Module,
    source: ImageSource,
    indices: torch.Tensor,
    preprocessing: Preprocessing,
    *,
    batch_size: int = 512,
    device: str | torch.device | None = None,
) -> torch.Tensor:
    """Backbone output (n, D) float32 on ``device`` (default: the source's) for the images of
    ``source`` at ``indices``, read through one loader (see :func:`extract_features`)."""
    device = source.device if device is None else device
    parts = [
        extract_features(backbone, images, preprocessing, batch_size=batch_size, device=device)
        for images in source.images(indices, batch_size)
    ]
    return torch.cat(parts)


@dataclass(frozen=True)
class ProbeResult:
    """Top-1 accuracies in [0, 1] of a linear probe, with its settings."""

    train_top1: float
    test_top1: float
    n_train: int
    n_test: int
    feature_dim: int
    n_classes: int
    method: str
    l2: float


def _standardise(train: torch.Tensor, test: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    mean = train.mean(0, keepdim=True)
    std = train.std(0, keepdim=True).clamp(min=1e-6)
    return (train - mean) / std, (test - mean) / std


def fit_linear_probe(
    train_features: torch.Tensor,
    train_labels: torch.Tensor,
    test_features: torch.Tensor,
    test_labels: torch.Tensor,
    *,
    method: str = "lbfgs",
    l2: float = 1e-4,
    max_iter: int = 500,
    n_classes: int | None = None,
) -> ProbeResult:
    """Train a linear softmax classifier on frozen features and report top-1 accuracy.

    The ``"lbfgs"`` solver runs in float32 on the device of ``train_features``.

    Args:
        train_features: (n_train, D); train_labels: (n_train,) ints.
        test_features: (n_test, D); test_labels: (n_test,) ints.
        method: ``"lbfgs"`` (torch, L2 penalty ``l2 * ||W||^2 / 2`` on the mean loss) or
            ``"sklearn"`` (LogisticRegression with ``C = 1 / (l2 * n_train)``, the same
            objective up to a constant factor).
    """
    if method not in ("lbfgs", "sklearn"):
        raise ValueError(f"unknown probe method {method!r}; valid: lbfgs, sklearn")
    if train_features.shape[0] != train_labels.shape[0]:
        raise ValueError("train_features and train_labels have different lengths")
    if test_features.shape[0] != test_labels.shape[0]:
        raise ValueError("test_features and test_labels have different lengths")
    if not torch.isfinite(train_features).all() or not torch.isfinite(test_features).all():
        raise ValueError("features contain NaN or infinite values")
    device = train_features.device
    xtr, xte = _standardise(train_features.float(), test_features.float().to(device))
    ytr, yte = train_labels.long().to(device), test_labels.long().to(device)
    n_classes = int(n_classes or int(max(ytr.max(), yte.max())) + 1)
    if method == "sklearn":
        from sklearn.linear_model import LogisticRegression

        clf = LogisticRegression(C=1.0 / (l2 * xtr.shape[0]), max_iter=max_iter)
        clf.fit(xtr.double().cpu().numpy(), ytr.cpu().numpy())
        train_pred = torch.as_tensor(clf.predict(xtr.double().cpu().numpy()), device=device)
        test_pred = torch.as_tensor(clf.predict(xte.double().cpu().numpy()), device=device)
    else:
        weight = torch.zeros(xtr.shape[1], n_classes, device=device, requires_grad=True)
        bias = torch.zeros(n_classes, device=device, requires_grad=True)
        opt = torch.optim.LBFGS(
            [weight, bias], max_iter=max_iter, line_search_fn="strong_wolfe", tolerance_grad=1e-7
        )

        def closure() -> torch.Tensor:
            opt.zero_grad()
            loss = F.cross_entropy(xtr @ weight + bias, ytr) + 0.5 * l2 * weight.pow(2).sum()
            loss.backward()
            return loss

        opt.step(closure)
        with torch.no_grad():
            train_pred = (xtr @ weight + bias).argmax(1)
            test_pred = (xte @ weight + bias).argmax(1)
    return ProbeResult(
        train_top1=float((train_pred == ytr).double().mean()),
        test_top1=float((test_pred == yte).double().mean()),
        n_train=int(xtr.shape[0]),
        n_test=int(xte.shape[0]),
        feature_dim=int(xtr.shape[1]),
        n_classes=n_classes,
        method=method,
        l2=float(l2),
    )


def _probe_split(
    dataset: str, split: str, pre: Preprocessing, device: torch.device, workers: int
) -> tuple[ImageSource, int]:
    """The images of one split as a source on ``device``, and the number of classes."""
    from neuroalign.data import load_image_dataset

    if dataset in DATASETS:  # the named data sets; anything else is an ImageFolder tree
        data = load_image_dataset(dataset, split=split)
        return TensorSource(data.images, data.labels, device), len(data.classes)
    root = Path(dataset)
    for name in (split,) if split == "train" else ("test", "val"):
        if (root / name).is_dir():
            size = pre.resize or pre.image_size
            source = FolderSource.from_folder(root / name, size, device, workers=workers)
            return source, int(source.labels(torch.arange(len(source))).max()) + 1
    raise ValueError(
        f"--dataset {dataset!r}: expected cifar10, imagenette or a folder with "
        f"train/ and test/ (or val/) sub-folders"
    )


def run_probe(checkpoint: str | Path, cfg: ProbeConfig) -> dict:
    """Linear probe of a neuroalign checkpoint's backbone; returns (and writes) a JSON dict.

    The head is dropped, backbone features of the train and test splits are extracted once
    with the checkpoint's evaluation preprocessing, and :func:`fit_linear_probe` is fitted.
    """
    from neuroalign.backbones import load_checkpoint
    from neuroalign.io import atomic_write

    checkpoint = Path(checkpoint)
    model, meta = load_checkpoint(checkpoint)
    device = cfg.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    backbone = model.backbone.to(device)
    dataset = cfg.dataset or meta.get("config", {}).get("dataset")
    if not dataset:
        raise ValueError(f"{checkpoint}: no data set recorded; pass --dataset")
    pre = Preprocessing.from_dict(meta["preprocessing"])
    features, labels = {}, {}
    for split, subset in (("train", cfg.train_subset), ("test", cfg.test_subset)):
        source, n_classes = _probe_split(str(dataset), split, pre, device, cfg.workers)
        index = spread_indices(len(source), subset)
        features[split] = source_features(
            backbone, source, index, pre, batch_size=cfg.batch_size, device=device
        )
        labels[split] = source.labels(index)
        source.close()
    result = fit_linear_probe(
        features["train"],
        labels["train"],
        features["test"],
        labels["test"],
        method=cfg.method,
        l2=cfg.l2,
        max_iter=cfg.max_iter,
        n_classes=n_classes,
    )
    report = {
        "checkpoint": str(checkpoint),
        "arch": meta.get("arch"),
        "step": meta.get("step"),
        "epoch": meta.get("epoch"),
        "dataset": str(dataset),
        "preprocessing": pre.to_dict(),
        **asdict(result),
    }
    out = cfg.output
    if out is None:
        run_dir = (
            checkpoint.parent.parent
            if checkpoint.parent.name == "checkpoints"
            else checkpoint.parent
        )
        out = run_dir / f"probe_{Path(str(dataset)).name}.json"
    with atomic_write(out) as handle:
        json.dump(report, handle, indent=2)
    report["output"] = str(out)
    return report
