"""The parser (neuroalign/cli/__init__.py): every sub-command has --help, each default shown
once, and building it imports neither torch nor Brain-Score."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys

import pytest

from neuroalign.cli import SUBCOMMANDS, build_parser, main


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
