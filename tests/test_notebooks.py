"""Every notebook in ``notebooks/`` runs end to end (CI size) and is committed without outputs.

The notebooks are executed with nbclient in a fresh kernel ("python3", which ipykernel in the
project's virtual environment registers to that interpreter) with
``NEUROALIGN_NOTEBOOK_SMALL=1`` and a temporary working directory, so a broken notebook fails the
build and nothing is written into the repository.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def test_there_are_notebooks() -> None:
    names = {p.stem for p in NOTEBOOKS}
    assert {"01_submanifold_geometry", "02_rsa_it", "03_v4_predictivity"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_is_committed_clean(path: Path) -> None:
    """No outputs or execution counts in the repository; a tagged parameters cell comes first."""
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{path.name} has no code cells"
    for cell in code:
        assert cell.outputs == [], f"{path.name}: a cell has outputs (clear them)"
        assert cell.execution_count is None, f"{path.name}: a cell has an execution count"
    assert nb.cells[0].cell_type == "markdown", f"{path.name}: start with a markdown intro"
    assert "parameters" in code[0].metadata.get("tags", []), f"{path.name}: no parameters cell"
    assert "NEUROALIGN_NOTEBOOK_SMALL" in code[0].source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_code_compiles(path: Path) -> None:
    """Every code cell is valid Python (a fast check that runs even with ``-m "not slow"``)."""
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        compile(cell.source, f"{path.name}[code cell {i}]", "exec")


def _kernel_python(kernel_name: str) -> str | None:
    from jupyter_client.kernelspec import KernelSpecManager

    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except Exception:
        return None
    return spec.argv[0] if spec.argv else None


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_executes(path: Path, tmp_path: Path, shared_data: Path, monkeypatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")

    # The kernel inherits this environment: CI size, the data mirror (tests/conftest.py sets it),
    # and Jupyter's inline matplotlib backend (conftest's "Agg" would drop every figure).
    monkeypatch.setenv("NEUROALIGN_NOTEBOOK_SMALL", "1")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("PYTHONWARNINGS", "ignore")
    # A kernelspec whose command is a bare "python" (ipykernel's own) is started by
    # jupyter_client with the running interpreter (sys.executable); any other command must be
    # the interpreter of this environment, the one that has neuroalign installed.
    kernel_python = _kernel_python("python3")
    if kernel_python not in (None, "python", "python3") and Path(kernel_python).exists():
        assert Path(kernel_python).resolve().parent == Path(sys.executable).resolve().parent, (
            f"kernel 'python3' runs {kernel_python}, not {sys.executable}: "
            "`python -m ipykernel install --sys-prefix` in the project's environment"
        )

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    start = time.perf_counter()
    client.execute(env=dict(os.environ))
    elapsed = time.perf_counter() - start
    print(f"{path.name}: executed in {elapsed:.1f} s")

    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.get("output_type") == "error"
    ]
    assert not errors
    figures = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if "image/png" in out.get("data", {})
    ]
    assert len(figures) >= 3, f"{path.name} rendered only {len(figures)} figures"
    # every notebook writes its tables into its own folder under the working directory
    written = [p for p in tmp_path.rglob("*.csv")]
    assert written, f"{path.name} wrote no CSV tables into its working directory"
    assert not any((REPO / "notebooks").glob("outputs_*")), "a notebook wrote into the repository"
