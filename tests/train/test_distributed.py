"""Two-process DistributedDataParallel test of the loop on CPU (gloo), via torchrun: replicas
in sync, a rank-0 callback that runs the model between steps (no deadlock), a callback on
every rank, the rank-0 row in metrics.csv."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from tests.conftest import free_port

WORKER = textwrap.dedent(
    """
    import os, sys
    import torch
    torch.set_num_threads(1)
    from neuroalign.extract import layer_views
    from neuroalign.train import Callback, TrainConfig, train

    class FeatureNorm(Callback):  # rank 0 only: runs the bare model in eval mode
        name, columns, every_steps, rank_zero_only = "norm", ("feature_norm",), 2, True

        def on_step_end(self, state):
            images = torch.zeros(4, 3, 8, 8, dtype=torch.uint8)
            feats = layer_views(state.model.backbone, images, preprocessing=state.preprocessing)
            return {"feature_norm": float(feats["output"].norm(dim=1).mean())}

    class Rank(Callback):  # every rank: each reports its own rank
        name, columns = "rank", ("rank",)

        def on_step_end(self, state):
            return {"rank": state.rank}

    out = sys.argv[1]
    gen = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (32, 3, 8, 8), dtype=torch.uint8, generator=gen)
    cfg = TrainConfig(
        arch="resnet18", head_dims=(32, 16), views=2, batch_size=4, epochs=1, warmup_epochs=0,
        dataset="synthetic", image_size=8, r_s=3.0, device="cpu", knn_every_epochs=0,
        progress=False, tensorboard=False, max_steps=3, output_dir=out, log_every_steps=1,
    )
    result = train(
        cfg,
        callbacks=[FeatureNorm(), Rank()],
        train_images=images,
        train_labels=torch.zeros(32, dtype=torch.long),
    )
    flat = torch.cat([p.detach().flatten() for p in result.model.parameters()])
    rank = os.environ["RANK"]
    torch.save({"step": result.step, "params": flat}, os.path.join(out, f"rank{rank}.pt"))
    """
)


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
        str(free_port()),
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
    import csv

    with open(tmp_path / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["step"] for r in rows] == ["1", "2", "3"] and {r["rank"] for r in rows} == {"0"}
    assert rows[1]["feature_norm"] and not rows[0]["feature_norm"]


def test_sync_bn_needs_cuda(tmp_path, monkeypatch):
    from neuroalign.train import TrainConfig, train
    from neuroalign.train.distributed import Processes

    monkeypatch.setattr(
        "neuroalign.train.loop.setup_processes",
        lambda spec: (Processes(rank=0, world=2), torch.device("cpu")),
    )
    cfg = TrainConfig(
        views=2, batch_size=2, dataset="synthetic", image_size=8, device="cpu", sync_bn=True,
        progress=False, tensorboard=False, knn_every_epochs=0, output_dir=tmp_path,
    )  # fmt: skip
    images = torch.zeros(8, 3, 8, 8, dtype=torch.uint8)
    with pytest.raises(ValueError, match="sync-bn needs CUDA"):
        train(cfg, train_images=images, train_labels=torch.zeros(8, dtype=torch.long))
