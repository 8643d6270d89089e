"""Two-process DistributedDataParallel smoke test of the loop on CPU (gloo), via torchrun."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

WORKER = textwrap.dedent(
    """
    import os, sys
    import torch
    torch.set_num_threads(1)
    import neuroalign
    from neuroalign.train import TrainConfig, train

    out = sys.argv[1]
    gen = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (32, 3, 8, 8), dtype=torch.uint8, generator=gen)
    cfg = TrainConfig(
        arch="resnet18", head_dims=(32, 16), views=2, batch_size=4, epochs=1, warmup_epochs=0,
        dataset="synthetic", image_size=8, r_s=3.0, device="cpu", knn_every_epochs=0,
        progress=False, tensorboard=False, max_steps=3, output_dir=out,
    )
    result = train(cfg, train_images=images, train_labels=torch.zeros(32, dtype=torch.long))
    flat = torch.cat([p.detach().flatten() for p in result.model.parameters()])
    rank = os.environ["RANK"]
    torch.save({"step": result.step, "params": flat}, os.path.join(out, f"rank{rank}.pt"))
    """
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_two_process_ddp_trains_in_sync(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    torchrun = Path(sys.executable).with_name("torchrun")
    cmd = [
        str(torchrun),
        "--nproc-per-node",
        "2",
        "--master-port",
        str(_free_port()),
        str(script),
        str(tmp_path),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(2))
    assert r0["step"] == r1["step"] == 3
    assert torch.equal(r0["params"], r1["params"])  # DDP kept the replicas identical
    from neuroalign.backbones import read_checkpoint

    ck = read_checkpoint(tmp_path / "checkpoints" / "last.pt")
    assert ck["world_size"] == 2 and ck["step"] == 3
    assert ck["config"]["batch_size"] == 4  # per process; lr scaled by 4 x 2 / 256
