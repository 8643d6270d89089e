"""The self-supervised training loop: on-device augmentation, LARS, exact resume, DDP.

One step: take B images (uint8, already on the device for in-memory data sets), draw m
augmented views of each on the device (:func:`~neuroalign.augment.augment_views`), normalise
them with the run's :class:`~neuroalign.preprocessing.Preprocessing`, embed
all m x B views in one forward pass, compute the loss on embeddings (m, B, d), update with
LARS under the warm-up + cosine schedule. Multi-GPU runs are started with ``torchrun``; each
process trains on its own shard of every epoch's permutation (like ``DistributedSampler``) and
the loss gathers embeddings across processes.

Exact resume: the epoch permutation is a function of (seed, epoch) and the augmentation
generator is re-seeded from (seed, rank, step) every step, so model, optimizer, schedule and
step counter (plus the global RNG states, restored too) fully determine the rest of the run:
on CPU, N steps straight and N/2 + resume + N/2 give identical weights.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from neuroalign.augment import augment_views, get_recipe
from neuroalign.backbones import (
    available_models,
    create_ssl_model,
    read_checkpoint,
    write_checkpoint,
)
from neuroalign.config import config_to_dict, save_config
from neuroalign.data import spread_indices
from neuroalign.errors import DataError, NeuroalignError
from neuroalign.io import atomic_write
from neuroalign.preprocessing import Preprocessing
from neuroalign.train.checkpoint import (
    capture_rng_state,
    check_resume_compatible,
    restore_rng_state,
)
from neuroalign.train.config import DATASETS, TrainConfig
from neuroalign.train.knn import knn_accuracy
from neuroalign.train.optim import LARS, WarmupCosineSchedule, lars_param_groups, scaled_lr
from neuroalign.train.probe import extract_features

__all__ = [
    "TrainResult",
    "TrainingDiverged",
    "epoch_batches",
    "step_seed",
    "train",
]

METRIC_FIELDS = ("step", "epoch", "loss", "lr", "view_images_per_s", "knn_top1", "elapsed_s")


class TrainingDiverged(NeuroalignError, RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept untouched."""


@dataclass(frozen=True)
class TrainResult:
    """What a finished :func:`train` call produced."""

    output_dir: Path
    checkpoint: Path
    step: int
    epoch: int
    final_loss: float
    metrics: list[dict[str, Any]] = field(default_factory=list)
    model: nn.Module | None = field(default=None, repr=False)  # the trained SSLModel


@dataclass
class _Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    initialised_here: bool = False

    @property
    def main(self) -> bool:
        return self.rank == 0


def _setup_distributed(device_spec: str) -> tuple[_Dist, torch.device]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    dist = _Dist()
    if device_spec == "auto":
        device_spec = "cuda" if torch.cuda.is_available() else "cpu"
    if world > 1:
        import torch.distributed as tdist

        dist.rank = int(os.environ["RANK"])
        dist.world = world
        dist.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        if device_spec.startswith("cuda"):
            device = torch.device("cuda", dist.local_rank)
            torch.cuda.set_device(device)
        else:
            device = torch.device("cpu")
        if not tdist.is_initialized():
            tdist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
            dist.initialised_here = True
    else:
        device = torch.device(device_spec)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("--device cuda was asked for but CUDA is not available")
    return dist, device


def step_seed(seed: int, rank: int, step: int) -> int:
    """Seed of the augmentation generator of one (rank, step): a fixed, collision-poor mix."""
    return (int(seed) * 1_000_003 + int(rank) * 7_919 + int(step) * 104_729 + 1) % (2**62)


def epoch_batches(
    n_images: int, epoch: int, seed: int, batch_size: int, rank: int = 0, world: int = 1
) -> list[torch.Tensor]:
    """Index batches of one epoch for one rank: a seeded permutation, sharded, full batches.

    Like ``DistributedSampler(shuffle=True, drop_last=True)`` + ``drop_last`` batching: the
    permutation depends only on (seed, epoch); rank r takes positions r, r + world, ...
    """
    gen = torch.Generator().manual_seed(int(seed) * 10_007 + int(epoch))
    perm = torch.randperm(n_images, generator=gen)
    per_rank = n_images // world
    mine = perm[: per_rank * world][rank::world]
    n_batches = per_rank // batch_size
    return [mine[i * batch_size : (i + 1) * batch_size] for i in range(n_batches)]


class _Source:
    """Training or test images: a uint8 tensor on the device, or an ImageFolder data set."""

    def __init__(self, images=None, labels=None, dataset=None, workers: int = 0) -> None:
        self.images = images
        self.labels = labels
        self.dataset = dataset
        self.workers = workers

    def __len__(self) -> int:
        return int(self.images.shape[0]) if self.images is not None else len(self.dataset)

    def batches(
        self, index_batches: list[torch.Tensor], device: torch.device
    ) -> Iterator[torch.Tensor]:
        if self.images is not None:
            for idx in index_batches:
                yield self.images[idx.to(self.images.device)]
            return
        loader = torch.utils.data.DataLoader(
            self.dataset,
            batch_sampler=[idx.tolist() for idx in index_batches],
            num_workers=self.workers,
            pin_memory=device.type == "cuda",
            persistent_workers=False,
        )
        for images, _labels in loader:
            yield images.to(device, non_blocking=True)

    def all_labels(self, indices: torch.Tensor) -> torch.Tensor:
        if self.labels is not None:
            return self.labels[indices.cpu()]
        ds, idx = self.dataset, [int(i) for i in indices]
        if isinstance(ds, torch.utils.data.Subset):
            ds, idx = ds.dataset, [int(ds.indices[i]) for i in idx]
        if hasattr(ds, "samples"):  # ImageFolderDataset: labels without decoding images
            return torch.as_tensor([int(ds.samples[i][1]) for i in idx])
        return torch.as_tensor([int(ds[i][1]) for i in idx])


def _load_sources(cfg: TrainConfig, device: torch.device) -> tuple[_Source, _Source | None]:
    if cfg.dataset in DATASETS:
        from neuroalign.data import load_image_dataset

        train = load_image_dataset(cfg.dataset, split="train")
        test = load_image_dataset(cfg.dataset, split="test")
        if cfg.train_subset:
            train = train.subset(spread_indices(len(train), cfg.train_subset))
        return (
            _Source(train.images.to(device), train.labels),
            _Source(test.images.to(device), test.labels),
        )
    root = Path(cfg.dataset)
    if not root.is_dir():
        raise ValueError(
            f"--dataset {cfg.dataset!r} is neither a known data set ({', '.join(DATASETS)}) "
            "nor an ImageFolder directory"
        )
    from neuroalign.data import ImageFolderDataset

    # stored at load_size x load_size (shorter side, centre crop); crops are drawn on the device
    transform = Preprocessing(image_size=cfg.load_size, resize=cfg.load_size).resize_crop
    train_ds = ImageFolderDataset(root, transform=transform)
    if cfg.train_subset:
        train_ds = torch.utils.data.Subset(
            train_ds, spread_indices(len(train_ds), cfg.train_subset).tolist()
        )
    test = None
    if cfg.test_dataset:
        test = _Source(
            dataset=ImageFolderDataset(Path(cfg.test_dataset), transform=transform),
            workers=cfg.workers,
        )
    return _Source(dataset=train_ds, workers=cfg.workers), test


def _preprocessing(cfg: TrainConfig, image_size: int, in_memory: bool) -> Preprocessing:
    """The network's input transform, saved in the checkpoint: the recipe's statistics; for
    evaluation, in-memory images are used at their size, ImageFolder images resized to
    256/224 of the input side and centre-cropped (the ImageNet evaluation transform)."""
    resize = image_size if in_memory else round(image_size * 256 / 224)
    return Preprocessing.named(cfg.augment, image_size, resize)


def _read_metrics(path: Path, up_to_step: int) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    with open(path, newline="") as handle:
        rows = [dict(r) for r in csv.DictReader(handle)]
    out = []
    for row in rows:
        if not row.get("step") or int(float(row["step"])) > up_to_step:
            continue
        parsed: dict[str, Any] = {}
        for key, value in row.items():
            try:
                parsed[key] = int(value) if key == "step" else float(value)
            except (TypeError, ValueError):
                parsed[key] = value
        out.append(parsed)
    return out


def _write_metrics(path: Path, rows: list[dict[str, Any]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=METRIC_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    with atomic_write(path) as handle:
        handle.write(buffer.getvalue())


def _knn_monitor(
    backbone: nn.Module,
    train_src: _Source,
    test_src: _Source,
    cfg: TrainConfig,
    preprocessing: Preprocessing,
    device: torch.device,
) -> float:
    """Cosine kNN top-1 on the test split with (a subset of) the training images as bank."""
    train_idx = spread_indices(len(train_src), cfg.knn_train_size)
    test_idx = spread_indices(len(test_src), cfg.knn_test_size)

    def feats(src: _Source, idx: torch.Tensor) -> torch.Tensor:
        chunks = [torch.cat(list(src.batches([c], device))) for c in idx.split(512)]
        return torch.cat(
            [extract_features(backbone, c, preprocessing, device=device) for c in chunks]
        )

    return knn_accuracy(
        feats(train_src, train_idx),
        train_src.all_labels(train_idx),
        feats(test_src, test_idx),
        test_src.all_labels(test_idx),
        k=cfg.knn_k,
        temperature=cfg.knn_temperature,
    )


def _resolve_loss(cfg: TrainConfig, world: int) -> nn.Module:
    from neuroalign.losses import create_loss

    kwargs = cfg.loss_kwargs()
    if world > 1:
        kwargs.setdefault("gather_distributed", True)
    return create_loss(cfg.loss, **kwargs)


def train(
    cfg: TrainConfig,
    *,
    loss_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
    train_images: torch.Tensor | None = None,
    train_labels: torch.Tensor | None = None,
    test_images: torch.Tensor | None = None,
    test_labels: torch.Tensor | None = None,
) -> TrainResult:
    """Train ``cfg.arch`` + projection head with ``cfg.loss``; write checkpoints and logs.

    Args:
        cfg: the resolved :class:`~neuroalign.train.config.TrainConfig`.
        loss_fn: a loss over embeddings (m, B, d) -> scalar (default:
            ``neuroalign.losses.create_loss(cfg.loss, ...)``).
        train_images, train_labels, test_images, test_labels: in-memory data (uint8
            (N, 3, H, W), int64 (N,)) used instead of ``cfg.dataset`` (for tests and scripts).

    Output folder ``cfg.output_dir``: ``config.yaml`` (resolved), ``metrics.csv``,
    ``checkpoints/init.pt`` (the network before the first step), ``checkpoints/last.pt``
    (+ ``epoch_NNNN.pt`` every ``save_every_epochs``),
    ``tensorboard/``.

    Raises:
        TrainingDiverged: the loss became NaN/inf (no checkpoint is written after that).
        DataError: ``--resume`` with a corrupt or mismatched checkpoint.
    """
    if cfg.arch.lower() not in available_models():
        raise ValueError(f"unknown --arch {cfg.arch!r}; valid: {', '.join(available_models())}")
    if cfg.threads:
        torch.set_num_threads(int(cfg.threads))
    dist, device = _setup_distributed(cfg.device)
    out = Path(cfg.output_dir)
    ckpt_dir = out / "checkpoints"
    last_path = ckpt_dir / "last.pt"
    try:
        torch.manual_seed(cfg.seed)
        if train_images is not None:
            train_src = _Source(train_images.to(device), train_labels)
            test_src = (
                _Source(test_images.to(device), test_labels) if test_images is not None else None
            )
        else:
            train_src, test_src = _load_sources(cfg, device)
        in_memory = train_src.images is not None
        native = train_src.images.shape[-1] if in_memory else cfg.load_size
        image_size = int(cfg.image_size or get_recipe(cfg.augment).out_size)
        image_size = min(image_size, int(native)) if cfg.image_size is None else image_size
        preprocessing = _preprocessing(cfg, image_size, in_memory)
        recipe = get_recipe(cfg.augment, image_size)

        per_rank = len(train_src) // dist.world
        steps_per_epoch = per_rank // cfg.batch_size
        if steps_per_epoch < 1:
            raise ValueError(
                f"--batch-size {cfg.batch_size} x {dist.world} process(es) exceeds the "
                f"{len(train_src)} training images: not one full batch per epoch"
            )
        total_steps = cfg.epochs * steps_per_epoch
        stop_step = min(total_steps, cfg.max_steps or total_steps)

        model_spec = {
            "arch": cfg.arch,
            "cifar_stem": bool(cfg.cifar_stem),
            "head_dims": [int(d) for d in cfg.head_dims],
            "head_batch_norm": False,
        }
        model = create_ssl_model(cfg.arch, cfg.head_dims, cifar_stem=cfg.cifar_stem).to(device)
        use_cuda = device.type == "cuda"
        if cfg.channels_last and use_cuda:
            model = model.to(memory_format=torch.channels_last)
        global_batch = cfg.batch_size * dist.world
        peak_lr = scaled_lr(cfg.base_lr, global_batch)
        optimizer = LARS(
            lars_param_groups(model, cfg.weight_decay),
            lr=peak_lr,
            momentum=cfg.momentum,
            weight_decay=cfg.weight_decay,
            eta=cfg.lars_eta,
        )
        warmup_steps = round(cfg.warmup_epochs * steps_per_epoch)
        schedule = WarmupCosineSchedule(optimizer, total_steps, warmup_steps, peak_lr, cfg.final_lr)
        criterion = loss_fn if loss_fn is not None else _resolve_loss(cfg, dist.world)

        step, metrics = 0, []
        if not cfg.resume and last_path.is_file():
            raise ValueError(
                f"{out} already holds a run ({last_path}); pass --resume to continue it or "
                "choose another --output-dir"
            )
        if cfg.resume:
            if not last_path.is_file():
                raise FileNotFoundError(f"--resume: no checkpoint at {last_path}")
            state = read_checkpoint(last_path, map_location=device)
            check_resume_compatible(state.get("config", {}), config_to_dict(cfg), last_path)
            try:
                model.load_state_dict(state["model"])
                optimizer.load_state_dict(state["optimizer"])
            except (RuntimeError, ValueError, KeyError) as err:
                raise DataError(f"{last_path}: checkpoint does not fit this model: {err}") from None
            step = int(state["step"])
            schedule.set_step(step)
            restore_rng_state(state["rng"])
            metrics = _read_metrics(out / "metrics.csv", step)
        if dist.main:
            out.mkdir(parents=True, exist_ok=True)
            save_config(cfg, out / "config.yaml")

        train_model: nn.Module = model
        if dist.world > 1:
            train_model = nn.parallel.DistributedDataParallel(
                model, device_ids=[device.index] if use_cuda else None
            )
        if cfg.compile:
            train_model = torch.compile(train_model)

        writer = None
        if dist.main and cfg.tensorboard:
            with contextlib.suppress(ImportError):
                from torch.utils.tensorboard import SummaryWriter

                writer = SummaryWriter(str(out / "tensorboard"), purge_step=step or None)

        autocast = (
            torch.autocast("cuda", dtype=torch.bfloat16)
            if (use_cuda and cfg.amp)
            else contextlib.nullcontext()
        )
        gen = torch.Generator(device=device)
        m, b = cfg.views, cfg.batch_size
        last_good: Path | None = last_path if last_path.is_file() else None
        loss_sum = torch.zeros((), device=device)
        loss_count, last_loss = 0, float("nan")
        t_log, steps_since_log, t_start = time.perf_counter(), 0, time.perf_counter()

        saved_step = -1

        def save(epoch_done: int, tag: str | None, *, update_last: bool = True) -> None:
            nonlocal last_good, saved_step
            check_finite()
            if dist.main:
                payload = {
                    "arch": cfg.arch,
                    "model_spec": model_spec,
                    "config": config_to_dict(cfg),
                    "preprocessing": preprocessing.to_dict(),
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": schedule.state_dict(),
                    "epoch": int(epoch_done),
                    "step": int(step),
                    "rng": capture_rng_state(),
                    "metrics": metrics[-1] if metrics else {},
                    "world_size": dist.world,
                }
                if update_last:
                    write_checkpoint(payload, last_path)
                    last_good = last_path
                if tag:
                    write_checkpoint(payload, ckpt_dir / f"{tag}.pt")
            saved_step = step
            if dist.world > 1:
                torch.distributed.barrier()

        def check_finite() -> None:
            if loss_count and not math.isfinite(float(loss_sum)):
                kept = (
                    f"last good checkpoint kept: {last_good}"
                    if last_good
                    else "no checkpoint was written"
                )
                raise TrainingDiverged(
                    f"loss became NaN/inf by step {step} (epoch {step // steps_per_epoch}); "
                    f"training stopped; {kept}. Lower --base-lr or check the data."
                )

        bar = None
        if dist.main and cfg.progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=stop_step, initial=step, unit="step", dynamic_ncols=True)

        if step == 0:
            # the network at initialisation: the matching untrained baseline (same architecture,
            # head and preprocessing) for every comparison of trained vs random
            save(0, "init", update_last=False)

        model.train()
        while step < stop_step:
            epoch, offset = divmod(step, steps_per_epoch)
            batches = epoch_batches(len(train_src), epoch, cfg.seed, b, dist.rank, dist.world)
            for images in train_src.batches(batches[offset:], device):
                gen.manual_seed(step_seed(cfg.seed, dist.rank, step))
                views = augment_views(images, m, recipe, generator=gen)
                x = preprocessing.normalize(views.view(m * b, *views.shape[2:]))
                if cfg.channels_last and use_cuda:
                    x = x.contiguous(memory_format=torch.channels_last)
                with autocast:
                    z = train_model(x)
                loss = criterion(z.float().view(m, b, -1))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
                step += 1
                loss_sum += loss.detach()
                loss_count += 1
                steps_since_log += 1
                if bar is not None:
                    bar.update(1)

                at_epoch_end = step % steps_per_epoch == 0
                if step % cfg.log_every_steps == 0 or step == stop_step or at_epoch_end:
                    check_finite()
                    now = time.perf_counter()
                    last_loss = float(loss_sum) / loss_count
                    row = {
                        "step": step,
                        "epoch": round(step / steps_per_epoch, 4),
                        "loss": last_loss,
                        "lr": optimizer.param_groups[0]["lr"],
                        "view_images_per_s": steps_since_log
                        * m
                        * b
                        * dist.world
                        / max(now - t_log, 1e-9),
                        "knn_top1": "",
                        "elapsed_s": round(now - t_start, 3),
                    }
                    done_epoch = step // steps_per_epoch
                    if (
                        at_epoch_end
                        and test_src is not None
                        and cfg.knn_every_epochs
                        and done_epoch % cfg.knn_every_epochs == 0
                        and dist.main
                    ):
                        row["knn_top1"] = _knn_monitor(
                            model.backbone, train_src, test_src, cfg, preprocessing, device
                        )
                        model.train()
                    metrics.append(row)
                    if dist.main:
                        _write_metrics(out / "metrics.csv", metrics)
                        if writer is not None:
                            for key in ("loss", "lr", "view_images_per_s"):
                                writer.add_scalar(f"train/{key}", row[key], step)
                            if row["knn_top1"] != "":
                                writer.add_scalar("eval/knn_top1", row["knn_top1"], step)
                    if bar is not None:
                        bar.set_postfix(
                            loss=f"{last_loss:.4f}",
                            lr=f"{row['lr']:.3g}",
                            img_s=f"{row['view_images_per_s']:.0f}",
                        )
                    loss_sum.zero_()
                    loss_count, steps_since_log, t_log = 0, 0, time.perf_counter()

                if at_epoch_end and (step // steps_per_epoch) % cfg.save_every_epochs == 0:
                    save(step // steps_per_epoch, f"epoch_{step // steps_per_epoch:04d}")
                elif cfg.save_every_steps and step % cfg.save_every_steps == 0:
                    save(step // steps_per_epoch, None)
                if step >= stop_step:
                    break
        if bar is not None:
            bar.close()
        if saved_step != step:
            save(step // steps_per_epoch, None)
        if writer is not None:
            writer.close()
        return TrainResult(
            output_dir=out,
            checkpoint=last_path,
            step=step,
            epoch=step // steps_per_epoch,
            final_loss=last_loss,
            metrics=metrics,
            model=model,
        )
    finally:
        if dist.initialised_here:
            torch.distributed.destroy_process_group()
