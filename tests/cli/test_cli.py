"""The command line: every sub-command has --help (fast, each default once); data list/fetch."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys

import pytest

from neuroalign.cli import SUBCOMMANDS, build_parser, main

#: Commands whose options still import torch when built: their configs live in packages whose
#: ``__init__`` imports torch (neuroalign.train). Strict: when one becomes lazy, this fails
#: until it is taken off the list.


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


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_help_shows_each_default_once(name):
    sub = _subparsers(build_parser([name]))[name]
    formatter = sub._get_formatter()
    for action in sub._actions:
        if action.help and action.help is not argparse.SUPPRESS:
            text = formatter._expand_help(action)
            assert text.lower().count("default") <= 1, f"{name} {action.option_strings}: {text}"
    assert not re.search(r"\w+Config options", sub.format_help()), "a group title leaked"


def _imported_after(code: str) -> set[str]:
    """Heavy modules imported by ``code`` in a fresh interpreter."""
    probe = (
        f"import sys\n{code}\n"
        "print('\\nHEAVY', *(m for m in ('torch', 'brainscore_vision', 'brainscore_core') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return set(out.splitlines()[-1].split()[1:])


def test_top_level_help_imports_neither_torch_nor_brainscore():
    code = (
        "from neuroalign.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    )
    assert _imported_after(code) == set()


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_building_a_command_imports_neither_torch_nor_brainscore(name):
    code = f"from neuroalign.cli import build_parser\nbuild_parser([{name!r}])"
    assert _imported_after(code) == set()


def test_brainscore_slots_warning_is_filtered():
    code = (
        "import warnings\nwarnings.simplefilter('default')\nimport neuroalign\n"
        "import brainscore_core.metrics"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "__slots__" not in result.stderr
    bare = subprocess.run(
        [sys.executable, "-W", "default", "-c", "import brainscore_core.metrics"],
        capture_output=True,
        text=True,
    )
    assert "should explicitly define __slots__" in bare.stderr  # what the filter removes


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
