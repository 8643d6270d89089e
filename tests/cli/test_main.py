"""`python -m neuroalign.cli` runs the command line (neuroalign/cli/__main__.py)."""

from __future__ import annotations

import subprocess
import sys


def test_console_script_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "neuroalign.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "0.1.0"
