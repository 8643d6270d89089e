"""`neuroalign extract`: model list, layer list, loud random weights, one-line errors."""

from __future__ import annotations

import numpy as np

from neuroalign.cli import main


def test_extract_command(tmp_path, capsys, monkeypatch):
    from PIL import Image

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    monkeypatch.setenv("NEUROALIGN_OFFLINE", "1")
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(np.full((40, 40, 3), 40 * i, dtype=np.uint8)).save(folder / f"{i}.png")
    out = tmp_path / "acts"
    args = ["extract", "--model", "resnet18", "--stimuli", str(folder), "--layers", "layer3"]
    assert main([*args, "--out", str(out), "--no-progress", "--num-workers", "0"]) == 0
    printed = capsys.readouterr()
    assert "WARNING: 'resnet18' has RANDOM weights" in printed.err
    assert f"layer3\t{out / 'layer3.nc'}" in printed.out
    assert main(["extract", "--model", "list:resnet18*"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows == ["resnet18:IMAGENET1K_V1\ttorchvision-pretrained\tdownload",
                    "resnet18\ttorchvision\tlocal"]  # fmt: skip
    assert main(["extract", "--model", "resnet18", "--layers", "list"]) == 0
    assert "layer4.1.conv2" in capsys.readouterr().out.split()
    assert main([*args[:-1], "x"]) == 2
    assert "unknown layer 'x'" in capsys.readouterr().err
    # done when: the weights file is read from torch hub's cache, and missing says how to get it
    assert main([*args[:2], "resnet18:IMAGENET1K_V1", *args[3:], "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "https://download.pytorch.org/models/resnet18-f37072fd.pth" in err
    assert str(tmp_path / "torch-home" / "hub" / "checkpoints" / "resnet18-f37072fd.pth") in err
