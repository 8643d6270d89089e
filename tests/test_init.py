"""``import neuroalign`` is cheap (no torch, no torchvision, no Brain-Score) and silences
Brain-Score's ``__slots__`` warning."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
import neuroalign
heavy = sorted(m for m in ("torch", "torchvision", "brainscore_vision", "xarray") if m in sys.modules)
assert not heavy, heavy
print(neuroalign.__version__)
"""


def test_importing_the_package_imports_nothing_heavy():
    result = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == __import__("neuroalign").__version__


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
