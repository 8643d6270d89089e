"""The command line: every sub-command has --help; data list/fetch work."""

from __future__ import annotations

import subprocess
import sys

import pytest

from neuroalign.cli import SUBCOMMANDS, main


def test_top_level_help_lists_the_pipeline(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for name in ("train", "extract", "register", "score", "geometry", "rsa", "data"):
        assert name in text


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_each_subcommand_has_help(name, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([name, "--help"])
    assert exit_info.value.code == 0
    assert "usage: neuroalign" in capsys.readouterr().out


def test_data_list_and_fetch(capsys):
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert "cowley2023" in out and "kriegeskorte2008" in out
    assert main(["data", "fetch", "kriegeskorte2008"]) == 0
    assert "92 images" in capsys.readouterr().out
    assert main(["data", "fetch", "nonsense"]) == 2


def test_console_script_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "neuroalign.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "0.1.0"
