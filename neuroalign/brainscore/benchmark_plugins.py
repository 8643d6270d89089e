"""neuroalign's neural benchmarks as Brain-Score BENCHMARK plugins.

Brain-Score finds a benchmark the way it finds a model: ``brainscore_vision.load_benchmark(id)``
greps every ``brainscore_vision/benchmarks/*/__init__.py`` for ``benchmark_registry['<id>']``,
imports that folder and calls the registered factory. :func:`install_benchmark_plugins` copies
one such folder, ``brainscore_vision/benchmarks/neuroalign_benchmarks/``, whose factories build
each benchmark with :func:`neuroalign.neural_benchmarks.load_benchmark`; the recordings come from
neuroalign's data home / mirror (``$NEUROALIGN_HOME``, ``$NEUROALIGN_MIRROR``), so, once cached::

    neuroalign register --benchmarks
    python -c "import brainscore_vision as b; print(b.score('my-model', 'Cowley2023.V4-pls'))"

works offline. The folder has no ``requirements.txt``: neuroalign is not on PyPI, so Brain-Score
must not try to pip-install it; these plugins work in the environment neuroalign is installed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import neuroalign

__all__ = [
    "BENCHMARK_IDENTIFIERS",
    "BENCHMARK_PLUGIN_FOLDER",
    "install_benchmark_plugins",
    "render_benchmark_plugin",
    "uninstall_benchmark_plugins",
]

#: The benchmarks offered to Brain-Score (each built by ``load_benchmark(identifier)``).
BENCHMARK_IDENTIFIERS: tuple[str, ...] = (
    "Cowley2023.V4-pls",
    "Cowley2023.V4-ridge",
    "Kriegeskorte2008.IT-rsa",
)

#: The installed folder: ``brainscore_vision/benchmarks/<BENCHMARK_PLUGIN_FOLDER>``.
BENCHMARK_PLUGIN_FOLDER = "neuroalign_benchmarks"

_INIT = '''\
"""neuroalign's neural benchmarks as Brain-Score benchmark plugins.

Written by `neuroalign register --benchmarks` (neuroalign {version}). Each benchmark is built by
neuroalign.neural_benchmarks.load_benchmark(identifier) and reads its recordings from neuroalign's
data home / mirror ($NEUROALIGN_HOME, $NEUROALIGN_MIRROR): offline once they are cached.
"""

from brainscore_vision import benchmark_registry


def _load(identifier, **options):
    from neuroalign.neural_benchmarks import load_benchmark

    return load_benchmark(identifier, **options)


{registrations}
'''

_TEST = '''\
"""Plugin test: every registered identifier loads as a Brain-Score benchmark of that name."""

import pytest


@pytest.mark.parametrize("identifier", {identifiers!r})
def test_load(identifier):
    import brainscore_vision

    benchmark = brainscore_vision.load_benchmark(identifier)
    assert benchmark.identifier == identifier
'''


def render_benchmark_plugin(
    identifiers: Sequence[str] = BENCHMARK_IDENTIFIERS,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, str]:
    """The plugin's files (``__init__.py``, ``test.py``) registering ``identifiers``.

    ``options`` (identifier -> keyword arguments of ``load_benchmark``, e.g.
    ``{"Cowley2023.V4-pls": {"sessions": ["210305"]}}``) are written into the factory and
    override the benchmark's defaults for every Brain-Score run; the plugin's ``__init__.py``
    says so. Without them each identifier means the full benchmark.
    """
    options = dict(options or {})
    unknown = [i for i in [*identifiers, *options] if i not in BENCHMARK_IDENTIFIERS]
    if unknown or not identifiers:
        raise ValueError(
            f"unknown benchmark(s) {unknown}; neuroalign offers {', '.join(BENCHMARK_IDENTIFIERS)}"
        )
    lines = []
    for i in identifiers:
        extra = "".join(f", {k}={v!r}" for k, v in sorted(dict(options.get(i, {})).items()))
        note = "  # NOT the full benchmark: options given at install" if extra else ""
        lines.append(f"benchmark_registry['{i}'] = lambda: _load('{i}'{extra}){note}")
    return {
        "__init__.py": _INIT.format(version=neuroalign.__version__, registrations="\n".join(lines)),
        "test.py": _TEST.format(identifiers=list(identifiers)),
    }


def install_benchmark_plugins(
    identifiers: Sequence[str] = BENCHMARK_IDENTIFIERS,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    force: bool = False,
) -> Path:
    """Install (or update) the benchmark plugin folder in ``brainscore_vision/benchmarks/``
    (``options``: see :func:`render_benchmark_plugin`).

    Reinstalling the same content is a no-op; other content there (another neuroalign version,
    other options) is replaced only with ``force``. Returns the installed folder.
    """
    from neuroalign.brainscore.plugin import install_files

    files = render_benchmark_plugin(identifiers, options)
    return install_files(files, BENCHMARK_PLUGIN_FOLDER, kind="benchmarks", force=force)


def uninstall_benchmark_plugins() -> bool:
    """Remove the installed benchmark plugin folder; True if it was there."""
    from neuroalign.brainscore.plugin import uninstall_folder

    return uninstall_folder(BENCHMARK_PLUGIN_FOLDER, "benchmarks")
