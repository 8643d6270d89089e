"""Measuring a training step: where its time goes, and whether it makes the host wait.

:class:`StepTimer` times named sections of a step (augment, forward, loss, backward,
optimizer, data): on a GPU with CUDA events recorded on the stream (nothing waits while the
step runs; the times are read at the end), on the CPU with the wall clock.

:func:`count_host_syncs` counts the calls that make the host wait for the device: reading a
device tensor's value (``bool``, ``item``, ``float``, ``tolist``, ``nonzero``...) and blocking
host-to-device copies (``torch.tensor(..., device=...)``, ``.to(device)`` without
``non_blocking=True``). It watches Python-level torch calls (a ``TorchFunctionMode``), so a sync
inside a C++ kernel is not seen; ``torch.cuda.set_sync_debug_mode`` is the GPU-side check. With
``strict=True`` the first such call raises :class:`HostSyncError` -- on the ``meta`` device,
which holds no data, this is how the CPU test suite proves that a step never waits.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

__all__ = ["HostSyncError", "StepTimer", "count_host_syncs"]

#: calls that read a tensor's value on the host
_READS = frozenset(
    {
        "__bool__", "item", "__float__", "__int__", "__index__", "tolist", "numpy", "cpu",
        "nonzero", "masked_select", "unique", "equal", "allclose", "argwhere",
    }
)  # fmt: skip


class StepTimer:
    """Accumulates the time of named sections (see the module docstring).

    Example::

        timer = StepTimer(device)
        with timer.section("forward"):
            z = model(x)
        timer.seconds()  # {"forward": ...}; waits for the device once
    """

    def __init__(self, device: torch.device | str) -> None:
        self.cuda = torch.device(device).type == "cuda"
        self._events: dict[str, list[tuple[Any, Any]]] = defaultdict(list)
        self._wall: dict[str, float] = defaultdict(float)

    @contextlib.contextmanager
    def section(self, name: str) -> Iterator[None]:
        start_wall = time.perf_counter()
        if self.cuda:
            start, end = (torch.cuda.Event(enable_timing=True) for _ in range(2))
            start.record()
            yield
            end.record()
            self._events[name].append((start, end))
        else:
            yield
        self._wall[name] += time.perf_counter() - start_wall

    def seconds(self) -> dict[str, float]:
        """Total seconds per section: device time (CUDA events) on a GPU, else wall clock."""
        if not self.cuda:
            return dict(self._wall)
        torch.cuda.synchronize()
        return {
            name: sum(s.elapsed_time(e) for s, e in pairs) / 1000.0
            for name, pairs in self._events.items()
        }

    def wall_seconds(self) -> dict[str, float]:
        """Total host (wall-clock) seconds per section."""
        return dict(self._wall)

    def reset(self) -> None:
        self._events.clear()
        self._wall.clear()


class HostSyncError(RuntimeError):
    """A call that makes the host wait for the device, under ``count_host_syncs(strict=True)``."""


def _device_of(value: Any) -> torch.device | None:
    if isinstance(value, torch.Tensor):
        return value.device
    if isinstance(value, torch.device):
        return value
    if isinstance(value, str):
        with contextlib.suppress(RuntimeError):
            return torch.device(value)
    return None


class _SyncCounter(TorchFunctionMode):
    def __init__(self, strict: bool) -> None:
        super().__init__()
        self.strict = strict
        self.calls: Counter[str] = Counter()

    def _record(self, name: str) -> None:
        if self.strict:
            raise HostSyncError(f"{name}: the host would wait for the device here")
        self.calls[name] += 1

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", str(func))
        tensors = [a for a in args if isinstance(a, torch.Tensor)]
        on_device = any(t.device.type != "cpu" for t in tensors)
        if name in _READS and on_device:
            self._record(f"{name}()")
        elif name in ("tensor", "as_tensor"):
            target = _device_of(kwargs.get("device"))
            source = args[0] if args else None
            if target is not None and target.type != "cpu":
                if not (isinstance(source, torch.Tensor) and source.device == target):
                    self._record(f"torch.{name}(..., device={target})")
        elif name in ("to", "cuda", "copy_") and tensors:
            self._check_copy(name, args, kwargs)
        return func(*args, **kwargs)

    def _check_copy(self, name: str, args: tuple, kwargs: dict) -> None:
        if kwargs.get("non_blocking") or any(a is True for a in args[1:]):
            return
        if name == "copy_":
            dst, src = args[0], args[1] if len(args) > 1 else kwargs.get("src")
        else:
            src = args[0]
            target = kwargs.get("device")
            if target is None:
                target = next((a for a in args[1:] if _device_of(a) is not None), None)
            if name == "cuda":
                target = "cuda"
            dst = target
        src_dev, dst_dev = _device_of(src), _device_of(dst)
        if src_dev is None or dst_dev is None or src_dev.type == dst_dev.type:
            return
        self._record(f"{name}({src_dev.type} -> {dst_dev.type})")


@contextlib.contextmanager
def count_host_syncs(strict: bool = False) -> Iterator[Counter]:
    """Count (``strict``: refuse) the calls that make the host wait for the device; yields a
    ``Counter`` of call descriptions, filled while the block runs."""
    mode = _SyncCounter(strict)
    with mode:
        yield mode.calls
