"""The self-supervised training loop: :func:`train` wires the units of a run and steps.

The units, one concept each:

- data: :mod:`neuroalign.train.sources` (seeded epoch permutations; images held on the device
  or read from an ImageFolder tree by persistent workers);
- the step: :class:`neuroalign.train.step.TrainStep` (augment, forward, loss, backward, LARS);
- metrics: :mod:`neuroalign.train.metrics` (``metrics.csv`` appended, TensorBoard);
- checkpoints: :mod:`neuroalign.train.checkpoint` (the payload, the files, exact resume);
- hooks: :mod:`neuroalign.train.callbacks` (the kNN monitor, the trackers of ``--track``
  (:mod:`neuroalign.train.tracking`), AdaDim's alpha (:mod:`neuroalign.train.adadim`), the
  progress bar and the user's callbacks, called at step / epoch / checkpoint boundaries);
- memory and time: :mod:`neuroalign.train.memory` (estimate, refusal, activation
  checkpointing) and :mod:`neuroalign.train.budget` (``--time-budget``).

Multi-GPU runs are started with ``torchrun``; each process trains on its own shard of every
epoch's permutation and the loss gathers embeddings across processes.

Exact resume: the epoch permutation is a function of (seed, epoch) and the augmentation
generator is re-seeded from (seed, rank, step) every step, so model, optimizer, schedule and
step counter (plus the global RNG states, restored too) fully determine the rest of the run:
on CPU, N steps straight and N/2 + resume + N/2 give identical weights and metrics rows.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import torch
from torch import nn

from neuroalign.augment import AugmentRecipe, get_recipe
from neuroalign.backbones import available_models, create_ssl_model
from neuroalign.config import config_to_dict, save_config
from neuroalign.data import spread_indices
from neuroalign.errors import NeuroalignError
from neuroalign.preprocessing import Preprocessing
from neuroalign.train.budget import budget_steps, seconds_per_step
from neuroalign.train.callbacks import Callback, CallbackList, ProgressBar, TrainState
from neuroalign.train.checkpoint import RunCheckpoints, restore_training, training_payload
from neuroalign.train.config import DATASETS, TrainConfig, resolve_train_config
from neuroalign.train.distributed import Processes, setup_processes
from neuroalign.train.knn import KNNMonitor
from neuroalign.train.memory import (
    check_fits,
    enable_activation_checkpointing,
    estimate_training_memory,
)
from neuroalign.train.metrics import LossMeter, MetricsLog
from neuroalign.train.optim import LARS, WarmupCosineSchedule, lars_param_groups, scaled_lr
from neuroalign.train.sources import FolderSource, ImageSource, TensorSource, epoch_batches
from neuroalign.train.step import TrainStep

__all__ = ["TrainResult", "TrainingDiverged", "run_training", "train"]


class TrainingDiverged(NeuroalignError, RuntimeError):
    """The loss (or the embeddings) became NaN or infinite; the last good checkpoint is kept."""


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
    config: TrainConfig | None = None


def run_training(
    options: Mapping[str, Any] | None = None,
    *,
    recipe: str | None = None,
    config_file: str | Path | None = None,
    callbacks: Sequence[Callback] = (),
) -> TrainResult:
    """Resolve the options (:func:`~neuroalign.train.config.resolve_train_config`: defaults <
    saved run config on resume < recipe < YAML file < options) and :func:`train`: everything
    ``neuroalign train`` does, in one call."""
    cfg = resolve_train_config(options, recipe=recipe, config_file=config_file)
    return train(cfg, callbacks=callbacks)


@dataclass
class _Run:
    """The units of one run, built by :func:`_setup`."""

    cfg: TrainConfig
    procs: Processes
    device: torch.device
    out: Path
    train_data: ImageSource
    test_data: ImageSource | None
    preprocessing: Preprocessing
    recipe: AugmentRecipe
    model: nn.Module
    optimizer: LARS
    schedule: WarmupCosineSchedule
    step_fn: TrainStep
    checkpoints: RunCheckpoints
    steps_per_epoch: int
    stop_step: int
    start_step: int = 0
    saved_callbacks: dict[str, Any] = field(default_factory=dict)

    def state(self, step: int, row: Mapping[str, Any] | None = None) -> TrainState:
        return TrainState(
            step=int(step),
            epoch=int(step) // self.steps_per_epoch,
            steps_per_epoch=self.steps_per_epoch,
            stop_step=self.stop_step,
            model=self.model,
            device=self.device,
            preprocessing=self.preprocessing,
            recipe=self.recipe,
            rank=self.procs.rank,
            world=self.procs.world,
            config=self.cfg,
            output_dir=self.out,
            train_data=self.train_data,
            test_data=self.test_data,
            row=None if row is None else MappingProxyType(dict(row)),
        )


def train(
    cfg: TrainConfig,
    *,
    loss_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
    callbacks: Sequence[Callback] = (),
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
        callbacks: :class:`~neuroalign.train.callbacks.Callback` s called at step / epoch /
            checkpoint boundaries (after the built-in kNN monitor, before the progress bar).
        train_images, train_labels, test_images, test_labels: in-memory data (uint8
            (N, 3, H, W), int64 (N,)) used instead of ``cfg.dataset`` (for tests and scripts).

    Output folder ``cfg.output_dir``: ``config.yaml`` (resolved), ``metrics.csv``,
    ``checkpoints/init.pt`` (the network before the first step), ``checkpoints/last.pt``
    (+ ``epoch_NNNN.pt`` every ``save_every_epochs``), ``tensorboard/``.

    Raises:
        TrainingDiverged: the loss became NaN/inf (no checkpoint is written after that).
        DataError: ``--resume`` with a corrupt or mismatched checkpoint.
        ValueError: bad options, or (CUDA) a step estimated not to fit in memory.
    """
    if cfg.arch.lower() not in available_models():
        raise ValueError(f"unknown --arch {cfg.arch!r}; valid: {', '.join(available_models())}")
    if cfg.threads:
        torch.set_num_threads(int(cfg.threads))
    started = time.perf_counter()
    procs, device = setup_processes(cfg.device)
    run = None
    try:
        data = (train_images, train_labels, test_images, test_labels)
        run = _setup(cfg, procs, device, loss_fn, data)
        builtin = _builtin_callbacks(cfg, run)
        progress = [ProgressBar()] if cfg.progress else []
        hooks = CallbackList([*builtin, *callbacks, *progress], procs.rank)
        hooks.restore(run.saved_callbacks)
        step = run.start_step
        log = MetricsLog(
            run.out,
            hooks.columns(),
            enabled=procs.main,
            tensorboard=cfg.tensorboard,
            resume_step=step if cfg.resume else None,
        )
        meter = LossMeter(device, cfg.views * cfg.batch_size * procs.world)
        save_s = 0.0
        if step == 0:  # the untrained twin: same architecture, head and preprocessing
            save_s = _save(run, hooks, log, None, 0, tag="init", update_last=False)
        began = time.perf_counter()
        at_start = hooks.train_start(run.state(step))
        meter.exclude(time.perf_counter() - began)
        if at_start:  # a new run: the network at initialisation (no loss, lr yet)
            log.write({"step": 0, "epoch": 0.0, **at_start})
        if step == 0 and cfg.time_budget_s:  # timed after train start: AdaDim needs its alpha
            _fit_schedule_to_budget(run, started, reserve_s=2 * save_s)
        run.model.train()
        while step < run.stop_step:
            epoch, offset = divmod(step, run.steps_per_epoch)
            batches = epoch_batches(
                len(run.train_data), epoch, cfg.seed, cfg.batch_size, procs.rank, procs.world
            )
            for images in run.train_data.epoch(batches[offset:]):
                meter.add(run.step_fn(images, step))
                step += 1
                _after_step(run, hooks, log, meter, step)
                if step >= run.stop_step:
                    break
        if run.checkpoints.saved_step != step:
            _save(run, hooks, log, meter, step)
        hooks.train_end(run.state(step))
        log.close()
        return TrainResult(
            output_dir=run.out,
            checkpoint=run.checkpoints.last,
            step=step,
            epoch=step // run.steps_per_epoch,
            final_loss=meter.last_loss,
            metrics=log.rows,
            model=run.model,
            config=cfg,
        )
    finally:
        if run is not None:
            run.train_data.close()
            if run.test_data is not None:
                run.test_data.close()
        procs.close()


def _after_step(
    run: _Run, hooks: CallbackList, log: MetricsLog, meter: LossMeter, step: int
) -> None:
    """Metrics row, callbacks and checkpoint due after ``step``."""
    cfg, per_epoch = run.cfg, run.steps_per_epoch
    epoch_done = step // per_epoch if step % per_epoch == 0 else None
    log_due = step % cfg.log_every_steps == 0 or step == run.stop_step or bool(epoch_done)
    if log_due or hooks.any_due(step, epoch_done):
        lr = run.optimizer.param_groups[0]["lr"]
        row = meter.row(step, per_epoch, lr) if log_due else None
        if row is not None:
            _check_finite(row["loss"], step, run)
        began = time.perf_counter()
        state = run.state(step, row)
        extra = hooks.step_end(state)
        if epoch_done:
            extra.update(hooks.epoch_end(state))
        meter.exclude(time.perf_counter() - began)  # evaluations are not training throughput
        if extra and row is None:
            row = meter.row(step, per_epoch, lr)
            _check_finite(row["loss"], step, run)
        if row is not None:
            log.write({**row, **extra})
    if epoch_done and epoch_done % cfg.save_every_epochs == 0:
        _save(run, hooks, log, meter, step, tag=f"epoch_{epoch_done:04d}")
    elif cfg.save_every_steps and step % cfg.save_every_steps == 0:
        _save(run, hooks, log, meter, step)


def _check_finite(loss: float, step: int, run: _Run) -> None:
    if math.isfinite(loss):
        return
    last = run.checkpoints.last_good
    kept = f"last good checkpoint kept: {last}" if last else "no checkpoint was written"
    raise TrainingDiverged(
        f"loss became NaN/inf by step {step} (epoch {step // run.steps_per_epoch}); "
        f"training stopped; {kept}. Lower --base-lr or check the data."
    )


def _save(
    run: _Run,
    hooks: CallbackList,
    log: MetricsLog,
    meter: LossMeter | None,
    step: int,
    *,
    tag: str | None = None,
    update_last: bool = True,
) -> float:
    """Write the checkpoint of ``step`` (after the divergence check); returns the seconds."""
    began = time.perf_counter()
    if meter is not None and meter.pending:
        _check_finite(meter.mean(), step, run)
    cfg = run.cfg
    payload = training_payload(
        config=config_to_dict(cfg),
        model_spec={
            "arch": cfg.arch,
            "cifar_stem": bool(cfg.cifar_stem),
            "head_dims": [int(d) for d in cfg.head_dims],
            "head_batch_norm": False,
        },
        preprocessing=run.preprocessing.to_dict(),
        model=run.model,
        optimizer=run.optimizer,
        scheduler=run.schedule.state_dict(),
        step=step,
        epoch=step // run.steps_per_epoch,
        world=run.procs.world,
        metrics=log.rows[-1] if log.rows else {},
    )
    hooks.checkpoint(run.state(step), payload)
    run.checkpoints.write(payload, tag=tag, update_last=update_last)
    run.procs.barrier()
    seconds = time.perf_counter() - began
    if meter is not None:
        meter.exclude(seconds)
    return seconds


def _builtin_callbacks(cfg: TrainConfig, run: _Run) -> list[Callback]:
    """The loop's own callbacks: kNN monitor, trackers (``--track``), AdaDim's alpha."""
    from neuroalign.losses import AdaDimLoss
    from neuroalign.train.adadim import AdaDimAlpha
    from neuroalign.train.tracking import tracking_callbacks

    builtin: list[Callback] = []
    if cfg.knn_every_epochs and run.test_data is not None:
        builtin.append(KNNMonitor(cfg.knn_every_epochs, **_knn_options(cfg)))
    builtin += tracking_callbacks(cfg)
    if isinstance(run.step_fn.criterion, AdaDimLoss):
        builtin.append(AdaDimAlpha(run.step_fn.criterion, cfg.log_every_steps))
    return builtin


def _knn_options(cfg: TrainConfig) -> dict[str, Any]:
    return {
        "k": cfg.knn_k,
        "temperature": cfg.knn_temperature,
        "train_size": cfg.knn_train_size,
        "test_size": cfg.knn_test_size,
    }


def _sources(
    cfg: TrainConfig, device: torch.device, data: tuple
) -> tuple[ImageSource, ImageSource | None]:
    """The training and (optional) test images of a run."""
    train_images, train_labels, test_images, test_labels = data
    if train_images is not None:
        test = TensorSource(test_images, test_labels, device) if test_images is not None else None
        return TensorSource(train_images, train_labels, device), test
    if cfg.dataset in DATASETS:
        from neuroalign.data import load_image_dataset

        train = load_image_dataset(cfg.dataset, split="train")
        test = load_image_dataset(cfg.dataset, split="test")
        if cfg.train_subset:
            train = train.subset(spread_indices(len(train), cfg.train_subset))
        return (
            TensorSource(train.images, train.labels, device),
            TensorSource(test.images, test.labels, device),
        )
    root = Path(cfg.dataset)
    if not root.is_dir():
        raise ValueError(
            f"--dataset {cfg.dataset!r} is neither a known data set ({', '.join(DATASETS)}) "
            "nor an ImageFolder directory"
        )
    options = {"workers": cfg.workers, "decode": cfg.decode}
    train = FolderSource.from_folder(root, cfg.load_size, device, **options)
    if cfg.train_subset:
        whole, train = train, train.subset(spread_indices(len(train), cfg.train_subset))
        whole.close()
    test = None
    if cfg.test_dataset:
        test = FolderSource.from_folder(Path(cfg.test_dataset), cfg.load_size, device, **options)
    return train, test


def _preprocessing(cfg: TrainConfig, image_size: int, in_memory: bool) -> Preprocessing:
    """The network's input transform, saved in the checkpoint: the recipe's statistics; for
    evaluation, in-memory images are used at their size, ImageFolder images resized to
    256/224 of the input side and centre-cropped (the ImageNet evaluation transform)."""
    resize = image_size if in_memory else round(image_size * 256 / 224)
    return Preprocessing.named(cfg.augment, image_size, resize)


def _build_model(
    cfg: TrainConfig, procs: Processes, device: torch.device, image_size: int, source_size: int
) -> tuple[nn.Module, nn.Module]:
    """The SSLModel (on ``device``) and the module the step calls (DDP / compiled wrapper).

    On CUDA the step's memory is estimated first (printed; refused when it cannot fit)."""
    model = create_ssl_model(cfg.arch, cfg.head_dims, cifar_stem=cfg.cifar_stem)
    cuda = device.type == "cuda"
    if cfg.activation_checkpointing:
        enable_activation_checkpointing(model)
    if cuda:
        estimate = estimate_training_memory(
            model,
            image_size,
            cfg.views * cfg.batch_size,
            amp=cfg.amp,
            activation_checkpointing=cfg.activation_checkpointing,
            source_size=source_size,
            n_images=cfg.batch_size,
        )
        if procs.main:
            print(f"neuroalign train: {estimate.describe()}", file=sys.stderr, flush=True)
        check_fits(estimate, device)
        torch.backends.cudnn.benchmark = True  # fixed shapes: pick the fastest kernels once
    if cfg.sync_bn and procs.world > 1:
        if not cuda:
            raise ValueError("--sync-bn needs CUDA (torch's SyncBatchNorm has no CPU kernel)")
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = model.to(device)
    if cfg.channels_last and cuda:
        model = model.to(memory_format=torch.channels_last)
    wrapped: nn.Module = model
    if procs.world > 1:
        wrapped = nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if cuda else None
        )
    if cfg.compile:
        wrapped = torch.compile(wrapped)
    return model, wrapped


def _criterion(cfg: TrainConfig, loss_fn: Any, world: int) -> Any:
    if loss_fn is not None:
        return loss_fn
    from neuroalign.losses import create_loss

    kwargs = cfg.loss_kwargs()
    if world > 1:
        kwargs.setdefault("gather_distributed", True)
    criterion = create_loss(cfg.loss, **kwargs)
    criterion.check_finite = False  # no host read per step: the loop checks when it logs
    return criterion


def _setup(
    cfg: TrainConfig, procs: Processes, device: torch.device, loss_fn: Any, data: tuple
) -> _Run:
    out = Path(cfg.output_dir)
    checkpoints = RunCheckpoints(out, writer=procs.main)
    checkpoints.prepare(cfg.resume)
    torch.manual_seed(cfg.seed)
    train_data, test_data = _sources(cfg, device, data)
    in_memory = isinstance(train_data, TensorSource)
    image_size = int(cfg.image_size or get_recipe(cfg.augment).out_size)
    if cfg.image_size is None:
        image_size = min(image_size, train_data.size)
    preprocessing = _preprocessing(cfg, image_size, in_memory)
    recipe = get_recipe(cfg.augment, image_size)

    steps_per_epoch = len(train_data) // procs.world // cfg.batch_size
    if steps_per_epoch < 1:
        raise ValueError(
            f"--batch-size {cfg.batch_size} x {procs.world} process(es) exceeds the "
            f"{len(train_data)} training images: not one full batch per epoch"
        )
    total_steps = cfg.epochs * steps_per_epoch
    model, wrapped = _build_model(cfg, procs, device, image_size, train_data.size)
    peak_lr = scaled_lr(cfg.base_lr, cfg.batch_size * procs.world)
    optimizer = LARS(
        lars_param_groups(model, cfg.weight_decay),
        lr=peak_lr,
        momentum=cfg.momentum,
        weight_decay=cfg.weight_decay,
        eta=cfg.lars_eta,
    )
    warmup_steps = round(cfg.warmup_epochs * steps_per_epoch)
    schedule = WarmupCosineSchedule(optimizer, total_steps, warmup_steps, peak_lr, cfg.final_lr)
    step, saved_callbacks = 0, {}
    if cfg.resume:
        saved = checkpoints.read_last()
        step = restore_training(saved, model, optimizer, config_to_dict(cfg), checkpoints.last)
        if cfg.time_budget_s and "scheduler" in saved:  # a budget run keeps its schedule
            schedule.load_state_dict(saved["scheduler"])
            total_steps = schedule.total_steps
        schedule.set_step(step)
        saved_callbacks = saved.get("callbacks", {})
        checkpoints.saved_step = step
    if procs.main:
        out.mkdir(parents=True, exist_ok=True)
        save_config(cfg, out / "config.yaml")
    criterion = _criterion(cfg, loss_fn, procs.world)
    if hasattr(criterion, "check_dim"):  # DirectCLR: d0 must fit the embedding (early error)
        criterion.check_dim(cfg.head_dims[-1] if cfg.head_dims else model.backbone.feature_dim)
    step_fn = TrainStep(
        wrapped,
        criterion,
        optimizer,
        schedule,
        recipe=recipe,
        preprocessing=preprocessing,
        n_views=cfg.views,
        seed=cfg.seed,
        rank=procs.rank,
        amp=cfg.amp,
        channels_last=cfg.channels_last,
    )
    return _Run(
        cfg=cfg,
        procs=procs,
        device=device,
        out=out,
        train_data=train_data,
        test_data=test_data,
        preprocessing=preprocessing,
        recipe=recipe,
        model=model,
        optimizer=optimizer,
        schedule=schedule,
        step_fn=step_fn,
        checkpoints=checkpoints,
        steps_per_epoch=steps_per_epoch,
        stop_step=min(total_steps, cfg.max_steps or total_steps),
        start_step=step,
        saved_callbacks=saved_callbacks,
    )


def _fit_schedule_to_budget(run: _Run, started: float, reserve_s: float) -> None:
    """Time a few steps, then size the warm-up + cosine schedule to ``--time-budget``."""
    cfg = run.cfg
    first = epoch_batches(
        len(run.train_data), 0, cfg.seed, cfg.batch_size, run.procs.rank, run.procs.world
    )
    step_s = seconds_per_step(
        run.step_fn,
        iter(run.train_data.epoch(first[:5])),
        run.model,
        run.optimizer,
        device=run.device,
    )
    run.schedule.set_step(0)
    step_s = run.procs.max(step_s, run.device)
    spent = run.procs.max(time.perf_counter() - started, run.device)
    total = budget_steps(cfg.time_budget_s, spent, step_s, reserve_s)
    run.schedule.load_state_dict(
        {
            **run.schedule.state_dict(),
            "total_steps": total,
            "warmup_steps": round(total * cfg.warmup_epochs / cfg.epochs),
            "last_step": 0,
        }
    )
    run.stop_step = min(total, cfg.max_steps or total)
    if run.procs.main and cfg.progress:
        print(
            f"neuroalign train: --time-budget {cfg.time_budget}: {step_s:.3f} s per step, "
            f"{total} steps ({total / run.steps_per_epoch:.2f} epochs)",
            file=sys.stderr,
            flush=True,
        )
