"""Brain-Score model plugins: self-contained, verified downloads, copies, one-rename swaps."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

from .conftest import make_checkpoint, unique_identifier, write_pngs

REPO = Path(__file__).resolve().parents[2]


def test_identifiers_and_folder_names():
    from neuroalign.brainscore import plugin_folder_name, validate_identifier

    assert plugin_folder_name("ok.name_1") == "ok_name_1"
    assert plugin_folder_name("mobilenet_v2_1.0_224") == "mobilenet_v2_1_0_224"
    assert plugin_folder_name("neuroalign-r18") == "neuroalign-r18"
    for bad in ("bad name!", "1abc", "a..b", "a.", "", "-a", "a/b"):
        with pytest.raises(ValueError, match="invalid model identifier"):
            validate_identifier(bad)


def test_every_accepted_identifier_installs_an_importable_plugin(tmp_path, installed):
    """Dots, dashes, underscores, digits: each plugin is found and loaded by Brain-Score."""
    import brainscore_vision

    from neuroalign.brainscore import install_plugin, write_plugin
    from neuroalign.extract import load_model

    loaded = load_model("resnet18")
    for stem in ("a", "ok.name_1", "x-y_z.2", "nat.v1.0-test"):
        identifier = unique_identifier(stem)
        installed.append(identifier)
        install_plugin(write_plugin(loaded, identifier, tmp_path / "models"))
        model = brainscore_vision.load_model(identifier)
        assert model.identifier == identifier
        assert dict(model.layer_model.region_layer_map)["IT"] == "layer4"


def test_render_refuses_what_it_cannot_rebuild(tmp_path):
    import torch

    from neuroalign.brainscore import render_plugin
    from neuroalign.extract import LoadedModel, load_model
    from neuroalign.preprocessing import Preprocessing

    module = LoadedModel.from_module(
        torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3)), Preprocessing(), "m"
    )
    with pytest.raises(ValueError, match="cannot be written as a self-contained"):
        render_plugin(module, "m", {"IT": "0"})
    with pytest.raises(ValueError, match="--checkpoint-url is for checkpoints"):
        render_plugin(load_model("resnet18"), "r", {"IT": "layer4"}, checkpoint_url="https://x/y")
    ckpt = load_model(str(make_checkpoint(tmp_path / "c.pt")))
    with pytest.raises(ValueError, match="projection head"):
        render_plugin(ckpt, "c", {"IT": "head.0"})


def test_plugin_files_metadata_and_citations(tmp_path):
    from neuroalign.brainscore import write_plugin
    from neuroalign.extract import load_model
    from neuroalign.io import sha256_file

    ckpt = make_checkpoint(tmp_path / "clamp.pt", loss="clamp")
    loaded = load_model(str(ckpt))
    target = write_plugin(loaded, "toy.ckpt", tmp_path / "models", {"V4": "layer3", "IT": "layer4"})
    assert target.name == "toy_ckpt"
    files = {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()}
    assert files == {"__init__.py", "model.py", "test.py", "metadata.yml", "requirements.txt",
                     "region_layer_map/toy.ckpt.json"}  # fmt: skip
    model_py = (target / "model.py").read_text()
    assert "import neuroalign" not in model_py and "from neuroalign" not in model_py
    assert "2506.13717" in model_py and "Deep Residual Learning" in model_py  # CLAMP + ResNet
    assert "model_registry['toy.ckpt']" in (target / "__init__.py").read_text()
    assert "neuroalign" not in (target / "requirements.txt").read_text()
    meta = yaml.safe_load((target / "metadata.yml").read_text())["models"]["toy.ckpt"]
    assert meta["provenance"]["checkpoint_sha256"] == sha256_file(ckpt)
    assert meta["model"]["supervision"] == {
        "type": "self-supervised",
        "description": "clamp (neuroalign)",
    }
    assert json.loads((target / "region_layer_map/toy.ckpt.json").read_text()) == {
        "V4": "layer3", "IT": "layer4"}  # fmt: skip
    simclr = load_model(str(make_checkpoint(tmp_path / "simclr.pt", loss="simclr")))
    text = (write_plugin(simclr, "toy-simclr", tmp_path / "models") / "model.py").read_text()
    assert "A Simple Framework for Contrastive Learning" in text and "2506.13717" not in text
    for path in target.rglob("*"):
        assert path.stat().st_mode & 0o777 == (0o777 if path.is_dir() else 0o666) & ~_umask()


def test_every_training_loss_has_its_citation():
    from neuroalign.brainscore.citations import LOSSES as CITED
    from neuroalign.brainscore.citations import plugin_bibtex
    from neuroalign.losses import LOSSES

    assert set(LOSSES) <= set(CITED)
    both = plugin_bibtex({"library": "neuroalign-checkpoint", "arch": "resnet50", "loss": "clamp"})
    assert both.index("2506.13717") < both.index("Deep Residual Learning")
    assert "TorchVision" in plugin_bibtex({"library": "torchvision", "arch": "alexnet"})
    timm = plugin_bibtex({"library": "timm", "arch": "resnet18"})
    assert "PyTorch Image Models" in timm and "Deep Residual" in timm


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_same_registration_is_a_noop_other_content_needs_force(tmp_path):
    from neuroalign.brainscore import PluginExistsError, write_plugin
    from neuroalign.extract import load_model

    loaded = load_model("resnet18")
    target = write_plugin(loaded, "toy-plugin", tmp_path, {"V4": "layer3", "IT": "layer4"})
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in target.rglob("*") if p.is_file()}
    write_plugin(loaded, "toy-plugin", tmp_path, {"V4": "layer3", "IT": "layer4"})
    assert before == {
        p: (p.read_bytes(), p.stat().st_mtime_ns) for p in target.rglob("*") if p.is_file()
    }
    with pytest.raises(PluginExistsError, match="--force"):
        write_plugin(loaded, "toy-plugin", tmp_path)
    write_plugin(loaded, "toy-plugin", tmp_path, force=True)
    assert "'V1': 'layer1'" in (target / "model.py").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toy-plugin"]  # no temporary folders


# -- the plugin without neuroalign ------------------------------------------------------------

_BLOCKED_RUN = textwrap.dedent(
    """
    import importlib.abc, json, sys

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "neuroalign" or name.startswith("neuroalign."):
                raise ModuleNotFoundError(f"No module named {name!r} (blocked)")

    sys.meta_path.insert(0, Block())
    import numpy as np
    import brainscore_vision

    request = json.loads(sys.argv[1])
    for identifier, (layers, out) in request["models"].items():
        model = brainscore_vision.load_model(identifier)
        acts = model.activations_model(request["paths"], layers=layers)
        acts = acts.sortby("stimulus_path")
        np.save(out, acts.transpose("presentation", "neuroid").values)
    print("neuroalign imported:", any(m.split(".")[0] == "neuroalign" for m in sys.modules))
    """
)


def _run_without_neuroalign(request: dict, env: dict) -> subprocess.CompletedProcess:
    """Run the plugins in ``python -I`` (no PYTHONPATH, no cwd) with neuroalign blocked."""
    return subprocess.run(
        [sys.executable, "-I", "-c", _BLOCKED_RUN, json.dumps(request)],
        capture_output=True, text=True, env=env, timeout=300, cwd="/",
    )  # fmt: skip


def _neuroalign_activations(loaded, paths, layers) -> np.ndarray:
    from neuroalign.brainscore import NeuroalignActivations

    acts = NeuroalignActivations(loaded, identifier="reference")(
        [str(p) for p in paths], layers=layers
    )
    return acts.sortby("stimulus_path").transpose("presentation", "neuroid").values


@pytest.mark.slow
def test_plugins_load_without_neuroalign_and_match_its_activations(
    tmp_path, torch_home, installed, monkeypatch
):
    """A checkpoint plugin (verified download from its URL into an empty torch hub cache) and a
    torchvision-weights plugin (locally made file in torch hub's cache) load in a process where
    neuroalign cannot be imported, and give neuroalign's activations."""
    import shutil

    import torch
    import torchvision

    from neuroalign.brainscore.registration import RegisterConfig, register
    from neuroalign.extract import load_model

    ckpt = make_checkpoint(tmp_path / "outputs" / "clamp.pt", seed=3)
    served = tmp_path / "served" / "clamp.pt"  # what the URL serves: a copy of the checkpoint
    served.parent.mkdir()
    shutil.copyfile(ckpt, served)
    ckpt_id = unique_identifier("na-test.ckpt")
    installed.append(ckpt_id)
    register(RegisterConfig(model=str(ckpt), identifier=ckpt_id, out=tmp_path / "models",
                            checkpoint_url=served.as_uri(), install=True))  # fmt: skip
    hub = torch_home / "hub" / "checkpoints"
    torch.manual_seed(7)  # a locally made stand-in for torchvision's published file
    torch.save(torchvision.models.resnet18().state_dict(), hub / "resnet18-f37072fd.pth")
    tv_id = unique_identifier("na-test-r18")
    installed.append(tv_id)
    with pytest.warns(UserWarning, match="not the file torchvision publishes"):
        tv = load_model("resnet18:IMAGENET1K_V1")
    register(RegisterConfig(model="resnet18:IMAGENET1K_V1", identifier=tv_id,
                            out=tmp_path / "models", install=True))  # fmt: skip
    ckpt.unlink()  # the plugins never read outputs/

    # "elsewhere": a user with torchvision's file in their own cache, and no checkpoint
    elsewhere = tmp_path / "elsewhere" / "hub" / "checkpoints"
    elsewhere.mkdir(parents=True)
    shutil.copyfile(hub / "resnet18-f37072fd.pth", elsewhere / "resnet18-f37072fd.pth")
    env = {**os.environ, "TORCH_HOME": str(tmp_path / "elsewhere"), "RESULTCACHING_DISABLE": "1"}
    paths = [str(p) for p in write_pngs(tmp_path / "stimuli", 4)]
    request = {
        "paths": paths,
        "models": {
            ckpt_id: [["layer3", "avgpool"], str(tmp_path / "ckpt.npy")],
            tv_id: [["layer2", "layer4"], str(tmp_path / "tv.npy")],
        },
    }
    proc = _run_without_neuroalign(request, env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # the plugin's own weights digest (it cannot import neuroalign) equals neuroalign's
    assert "differ from the registered" not in proc.stderr
    assert "neuroalign imported: False" in proc.stdout
    assert len(list(elsewhere.glob("na-test_ckpt-*.pt"))) == 1  # downloaded, verified by torch hub

    # same images, weights and preprocessing; float32 sums in another order (neuroalign runs
    # channels-last): differences of a few 1e-5 on activations of order 1
    ours = _neuroalign_activations(load_model(str(served)), paths, ["layer3", "avgpool"])
    np.testing.assert_allclose(np.load(tmp_path / "ckpt.npy"), ours, rtol=1e-4, atol=1e-4)
    ours = _neuroalign_activations(tv, paths, ["layer2", "layer4"])
    np.testing.assert_allclose(np.load(tmp_path / "tv.npy"), ours, rtol=1e-4, atol=1e-4)


def test_checkpoint_url_with_another_file_installs_nothing(tmp_path, torch_home, installed):
    from neuroalign.brainscore import installed_plugin_path
    from neuroalign.brainscore.registration import RegisterConfig, register
    from neuroalign.errors import DownloadError

    ckpt = make_checkpoint(tmp_path / "clamp.pt", seed=1)
    other = make_checkpoint(tmp_path / "other.pt", seed=2)
    identifier = unique_identifier("na-test-badurl")
    installed.append(identifier)
    cfg = RegisterConfig(model=str(ckpt), identifier=identifier, out=tmp_path / "models",
                         checkpoint_url=other.as_uri(), install=True)  # fmt: skip
    with pytest.raises(DownloadError, match="serves a file with sha256") as info:
        register(cfg)
    assert "\n" not in str(info.value) and "nothing was written or installed" in str(info.value)
    assert not (tmp_path / "models").exists()
    assert not os.path.lexists(installed_plugin_path(identifier))
    assert not (torch_home / "hub").exists()


# -- one rename per plugin: a writer killed at any file leaves the old plugin whole -----------


def _slow_writer(conn, target: str, files: dict, install: bool) -> None:
    """Child process: write (or install) ``files``, pausing after each file until told to go."""
    import neuroalign.brainscore.plugin as plugin_module

    original = plugin_module._write_file

    def slow_write(path, data):
        original(path, data)
        conn.send(path.name)
        conn.recv()  # the parent kills us here, or lets us go on

    plugin_module._write_file = slow_write
    if install:
        plugin_module.install_files(files, target, force=True)
    else:
        plugin_module.write_plugin_folder(target, files, force=True)
    conn.send("done")


def _kill_at_each_file(target_arg: str, folder: Path, old: dict, new: dict, install: bool):
    context = multiprocessing.get_context("fork")
    for k in range(1, len(new) + 1):
        parent, child = context.Pipe()
        proc = context.Process(target=_slow_writer, args=(child, target_arg, new, install))
        proc.start()
        for _ in range(k):
            parent.recv()
            if _ < k - 1:
                parent.send("go")
        os.kill(proc.pid, signal.SIGKILL)  # killed right after writing its k-th file
        proc.join()
        assert proc.exitcode == -signal.SIGKILL
        assert _files(folder) == old, f"killed after file {k}: the plugin changed"
        for path in folder.rglob("*"):
            assert path.stat().st_mode & 0o777 == (0o777 if path.is_dir() else 0o666) & ~_umask()
    parent, child = context.Pipe()
    proc = context.Process(target=_slow_writer, args=(child, target_arg, new, install))
    proc.start()
    while parent.recv() != "done":
        parent.send("go")
    proc.join()
    assert _files(folder) == new


def _files(folder: Path) -> dict:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def _two_versions(identifier: str) -> tuple[dict, dict]:
    from neuroalign.brainscore import render_plugin
    from neuroalign.extract import load_model

    loaded = load_model("resnet18")
    old = render_plugin(loaded, identifier, {"V4": "layer3", "IT": "layer4"})
    new = render_plugin(loaded, identifier, {"V4": "layer2", "IT": "avgpool"})
    return ({k: v.encode() for k, v in old.items()}, {k: v.encode() for k, v in new.items()})


def test_force_rewrite_killed_at_each_file_keeps_the_old_plugin(tmp_path):
    from neuroalign.brainscore.plugin import write_plugin_folder

    old, new = _two_versions("toy-atomic")
    folder = tmp_path / "models" / "toy-atomic"
    write_plugin_folder(folder, old)
    _kill_at_each_file(str(folder), folder, old, new, install=False)
    leftovers = [p.name for p in folder.parent.iterdir() if p.name != "toy-atomic"]
    assert leftovers == []  # the killed writers' folders were removed by the last write


def test_force_install_killed_at_each_file_keeps_the_installed_plugin(tmp_path, installed):
    import brainscore_vision

    from neuroalign.brainscore.plugin import install_files, installed_plugin_path

    identifier = unique_identifier("na-test-atomic")
    installed.append(identifier)
    old, new = _two_versions(identifier)
    install_files(old, identifier)
    folder = installed_plugin_path(identifier)
    _kill_at_each_file(identifier, folder, old, new, install=True)
    assert not [p for p in folder.parent.glob(f".{identifier}*")]
    model = brainscore_vision.load_model(identifier)
    assert dict(model.layer_model.region_layer_map) == {"V4": "layer2", "IT": "avgpool"}


def test_install_is_a_copy_and_replaces_an_old_symlink(tmp_path, installed):
    import brainscore_vision

    from neuroalign.brainscore import PluginExistsError, install_plugin, write_plugin
    from neuroalign.brainscore.plugin import installed_plugin_path
    from neuroalign.extract import load_model

    identifier = unique_identifier("na-test-copy")
    installed.append(identifier)
    loaded = load_model("resnet18")
    source = write_plugin(loaded, identifier, tmp_path / "a")
    link = installed_plugin_path(identifier)
    link.symlink_to(source, target_is_directory=True)  # how older neuroalign installed plugins
    with pytest.raises(PluginExistsError, match="--force"):
        install_plugin(write_plugin(loaded, identifier, tmp_path / "b", {"IT": "layer3"}))
    install_plugin(source, force=True)
    assert link.is_dir() and not link.is_symlink()
    import shutil

    shutil.rmtree(tmp_path / "a")  # deleting the source breaks nothing
    assert brainscore_vision.load_model(identifier).identifier == identifier
    assert install_plugin(tmp_path / "b" / identifier, force=True) == link
