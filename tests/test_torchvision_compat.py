"""``import neuroalign`` costs no torch; the first ``import torchvision`` goes through the shim."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
import neuroalign
import neuroalign._torchvision_compat as compat
assert "torch" not in sys.modules and "torchvision" not in sys.modules
calls = []
real = compat.import_torchvision
compat.import_torchvision = lambda: calls.append(1) or real()
import torchvision
import torchvision.transforms.v2
assert calls == [1], calls
assert torchvision.__file__.endswith("__init__.py") and hasattr(torchvision, "models")
assert sys.modules["torchvision"] is torchvision
assert compat._HOOK not in sys.meta_path
import importlib.util
assert importlib.util.find_spec("torchvision").origin == torchvision.__file__
print("ok")
"""


def test_first_torchvision_import_goes_through_the_shim():
    result = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
