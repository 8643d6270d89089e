"""`register` as a library call: the example plugin, checkpoints cached for their plugin."""

from __future__ import annotations

from pathlib import Path

from .conftest import make_checkpoint

REPO = Path(__file__).resolve().parents[2]


def test_the_committed_example_plugin_is_what_register_writes():
    """models/neuroalign-resnet18-random is regenerated whenever the templates change (see
    docs/DEVELOPING.md); this fails when it is stale."""
    from neuroalign.brainscore import render_plugin
    from neuroalign.brainscore.registration import DEFAULT_ORIGIN
    from neuroalign.defaults import REGION_LAYER_MAP
    from neuroalign.extract import load_model

    folder = REPO / "models" / "neuroalign-resnet18-random"
    files = render_plugin(
        load_model("resnet18"), folder.name, REGION_LAYER_MAP, origin=DEFAULT_ORIGIN
    )
    committed = {
        p.relative_to(folder).as_posix(): p.read_text()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert committed == files


def test_checkpoint_registration_caches_it_for_the_plugin(tmp_path, torch_home):
    from neuroalign.brainscore.plugin import checkpoint_cache_name
    from neuroalign.brainscore.registration import RegisterConfig, register
    from neuroalign.io import sha256_file

    ckpt = make_checkpoint(tmp_path / "clamp.pt")
    result = register(RegisterConfig(model=str(ckpt), identifier="toy.clamp", out=tmp_path / "m"))
    assert result.plugin == tmp_path / "m" / "toy_clamp" and result.installed == []
    cached = (
        torch_home / "hub" / "checkpoints" / checkpoint_cache_name("toy.clamp", sha256_file(ckpt))
    )
    assert cached.read_bytes() == ckpt.read_bytes()
    assert any("no --checkpoint-url" in note for note in result.notes)
    text = (result.plugin / "model.py").read_text()
    assert f"CHECKPOINT_FILE = {cached.name!r}" in text and "CHECKPOINT_URL = None" in text
    assert str(tmp_path) not in text  # no path of this machine in the plugin


def test_what_cannot_be_a_plugin_fails_before_the_v4_selection(tmp_path, monkeypatch):
    """--select-v4 extracts and fits every candidate layer: a wrong --checkpoint-url must be
    refused before that work, not after it."""
    import pytest

    from neuroalign.brainscore import model, registration

    def selection_must_not_run(*args, **kwargs):
        raise AssertionError("the V4 selection ran before the cheap checks")

    monkeypatch.setattr(model, "select_v4_layer", selection_must_not_run)
    cfg = registration.RegisterConfig(
        model="resnet18", identifier="toy-fail-fast", out=tmp_path, select_v4=True,
        checkpoint_url="https://example.org/resnet18.pt",
    )  # fmt: skip
    with pytest.raises(ValueError, match="--checkpoint-url is for checkpoints"):
        registration.register(cfg)
    assert not (tmp_path / "toy-fail-fast").exists()
