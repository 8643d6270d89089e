"""The processes of a training run: one, or several started by ``torchrun`` (DDP).

``torchrun --nproc-per-node N ...`` sets ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK``; each
process then trains on its shard of every epoch (see :func:`neuroalign.train.sources.epoch_batches`)
on GPU ``LOCAL_RANK`` (NCCL) or on the CPU (gloo), and the losses gather the embeddings of all
processes (:mod:`neuroalign.losses.distributed`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

__all__ = ["Processes", "setup_processes"]


@dataclass
class Processes:
    """This process's place in the run."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    initialised_here: bool = False

    @property
    def main(self) -> bool:
        """Rank 0: the process that writes files."""
        return self.rank == 0

    def barrier(self) -> None:
        if self.world > 1:
            torch.distributed.barrier()

    def max(self, value: float, device: torch.device) -> float:
        """The largest ``value`` over the processes (every process gets the same number)."""
        if self.world == 1:
            return float(value)
        t = torch.tensor([float(value)], dtype=torch.float64, device=device)
        torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.MAX)
        return float(t)

    def close(self) -> None:
        if self.initialised_here:
            torch.distributed.destroy_process_group()
            self.initialised_here = False


def setup_processes(device_spec: str) -> tuple[Processes, torch.device]:
    """The run's :class:`Processes` and this process's device (``"auto"``: CUDA when present).

    Under torchrun the default process group is initialised here (NCCL on GPUs, gloo on CPUs).
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    procs = Processes()
    if device_spec == "auto":
        device_spec = "cuda" if torch.cuda.is_available() else "cpu"
    if world > 1:
        import torch.distributed as tdist

        procs.rank = int(os.environ["RANK"])
        procs.world = world
        procs.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        if device_spec.startswith("cuda"):
            device = torch.device("cuda", procs.local_rank)
            torch.cuda.set_device(device)
        else:
            device = torch.device("cpu")
        if not tdist.is_initialized():
            tdist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
            procs.initialised_here = True
    else:
        device = torch.device(device_spec)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("--device cuda was asked for but CUDA is not available")
    return procs, device
