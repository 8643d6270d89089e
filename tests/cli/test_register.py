"""`neuroalign register`: write + install a model plugin, install the benchmark plugins."""

from __future__ import annotations

import os
import uuid

from neuroalign.cli import main


def test_register_command(tmp_path, monkeypatch, capsys):
    import brainscore_vision

    from neuroalign.brainscore import installed_plugin_path, uninstall_plugin

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BS_INSTALL_DEPENDENCIES", "no")
    name = f"na-test-cli.{os.getpid()}-{uuid.uuid4().hex[:6]}"
    try:
        assert main(["register", "--model", "resnet18", "--identifier", name, "--install"]) == 0
        printed = capsys.readouterr()
        assert "WARNING: 'resnet18' has RANDOM weights" in printed.err
        folder = name.replace(".", "_")
        assert f"wrote\tmodels/{folder}" in printed.out
        assert (tmp_path / "models" / folder / "__init__.py").is_file()
        assert brainscore_vision.load_model(name).identifier == name
        # the same model again is a no-op; another model under that identifier needs --force
        assert main(["register", "--model", "resnet18", "--identifier", name, "--install"]) == 0
        assert main(["register", "--model", "resnet34", "--identifier", name, "--install"]) == 2
        assert "--force" in capsys.readouterr().err
        assert main(["register", "--identifier", name, "--install", "--force",
                     "--region-layer-map", "IT=layer3"]) == 0  # fmt: skip
        assert main(["register", "--identifier", name, "--region-layer-map", "V4=nope"]) == 2
        assert "unknown layer 'nope'" in capsys.readouterr().err
        assert main(["register", "--model", "resnet18"]) == 2
        assert "--identifier is required" in capsys.readouterr().err
    finally:
        uninstall_plugin(name)
    assert not os.path.lexists(installed_plugin_path(name))


def test_register_help_documents_benchmarks(capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["register", "--help"])
    text = capsys.readouterr().out
    assert "--benchmarks" in text and "Cowley2023.V4-pls" in text
