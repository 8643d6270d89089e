"""The README stays true: its commands parse, its library names exist, its snippet runs."""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path

import pytest

from neuroalign.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def code_blocks(language: str) -> list[str]:
    """The fenced code blocks of the README in ``language``."""
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def shell_commands() -> list[list[str]]:
    """Every command line of the README's bash blocks and the ``$ `` lines of its console
    blocks, split as a shell would (comments and leading ``VAR=value`` settings off)."""
    lines = [line for b in code_blocks("bash") for line in b.replace("\\\n", " ").splitlines()]
    for block in code_blocks("console"):
        lines += [line[2:] for line in block.splitlines() if line.startswith("$ ")]
    commands = []
    for line in lines:
        words = shlex.split(line, comments=True)
        while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
            words = words[1:]
        if words:
            commands.append(words)
    return commands


NEUROALIGN_COMMANDS = [words[1:] for words in shell_commands() if words[0] == "neuroalign"]


def test_the_readme_has_commands_to_check():
    assert len(NEUROALIGN_COMMANDS) >= 15
    assert shell_commands()[:2] == [["make", "demo"], ["make", "test"]]


@pytest.mark.parametrize("argv", NEUROALIGN_COMMANDS, ids=" ".join)
def test_every_neuroalign_command_parses(argv):
    args = build_parser().parse_args(argv)
    assert callable(args.func)


def test_make_targets_and_scripts_exist():
    makefile = (REPO / "Makefile").read_text()
    for words in shell_commands():
        if words[0] == "make":
            target = words[1]
            assert re.search(rf"^{target}:", makefile, flags=re.M), f"make {target}"
        if words[0] == "python" and words[1].endswith(".py"):
            assert (REPO / words[1]).is_file(), words[1]
    for target in re.findall(r"`make (\w+)", README):
        assert re.search(rf"^{target}:", makefile, flags=re.M), f"make {target}"


def resolve(dotted: str):
    """Import ``neuroalign.a.b.Name.attr`` by the longest importable module prefix."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ModuleNotFoundError(dotted)


LIBRARY_NAMES = sorted(set(re.findall(r"`(neuroalign\.[\w.]+)", README)))


@pytest.mark.parametrize("dotted", LIBRARY_NAMES)
def test_every_library_name_in_the_readme_exists(dotted):
    assert resolve(dotted) is not None


def test_the_python_snippet_runs(shared_data):
    for block in code_blocks("python"):
        namespace: dict = {}
        exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["v4"].dims == ("presentation", "neuroid")
    assert len(namespace["k92"].stimulus_set) == 92


#: README commands quick enough to run in every test session (the others are run from a fresh
#: clone before a release; their parsing is checked above).
FAST_COMMANDS = [["data", "list"], ["data", "fetch", "cowley2023"]]


@pytest.mark.parametrize("argv", FAST_COMMANDS, ids=" ".join)
def test_fast_readme_commands_run(argv, shared_data):
    import subprocess
    import sys

    assert argv in NEUROALIGN_COMMANDS, "the README no longer shows this command"
    done = subprocess.run(
        [sys.executable, "-m", "neuroalign", *argv], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "cowley2023" in done.stdout
