"""Package attributes imported on first use (PEP 562), so that importing a package is cheap.

A package whose modules need torch (``neuroalign.rsa``, ``neuroalign.geometry``) also holds
torch-free ones (its config); ``from neuroalign.geometry.config import GeometryConfig``, as
the command line does to build ``--help``, must not pay for torch. Such a package's
``__init__.py`` lists where each public name lives and hands that table to :func:`lazy_exports`::

    __getattr__, __dir__, __all__ = lazy_exports(__name__, {
        "dimension": ("effective_rank", "participation_ratio"),
        "capacity": ("manifold_capacity",),
    })

``from neuroalign.geometry import participation_ratio`` then imports
``neuroalign.geometry.dimension`` at that moment, and only then.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, modules: Mapping[str, Sequence[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``(__getattr__, __dir__, __all__)`` for ``package``.

    Args:
        package: the package's ``__name__``.
        modules: sub-module name (relative to ``package``) -> the public names it defines.
    """
    where = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{where[name]}"), name)
        setattr(sys.modules[package], name, value)  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(where))

    return __getattr__, __dir__, sorted(where)
