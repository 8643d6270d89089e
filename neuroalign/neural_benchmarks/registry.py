"""Named benchmarks, one registry entry each, and region aliases (in the manner of timm's).

Every benchmark has one :class:`BenchmarkEntry`: its identifier, its factory, the fixed
arguments it is built with, a one-line summary, and ``check(root)``, which says where its data
comes from or raises the loader's own error (naming the folder and what was found there).
The keyword options a benchmark accepts are read from its factory's signature.

* :func:`list_benchmarks` -- every registered name (and the aliases);
* :func:`resolve_benchmark` -- a name or a region alias -> an identifier and a sentence saying
  how it was chosen (printed by ``neuroalign score``);
* :func:`load_benchmark` -- the benchmark object.

Aliases (:data:`ALIASES`) name a region; they resolve to the first candidate whose data is
reachable offline. ``V4`` is ``Cowley2023.V4-pls`` first, the Brain-Score-comparable metric.
With ``root`` (``--data-root``) given, an alias resolves to neuroalign's own benchmark for that
region (the folder is for its data) and a folder that does not hold the data is an error in
the loader's words.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from neuroalign.errors import DataError
from neuroalign.neural_benchmarks.cowley2023 import Cowley2023V4
from neuroalign.neural_benchmarks.kriegeskorte2008 import Kriegeskorte2008IT
from neuroalign.neural_benchmarks.passthrough import (
    BRAINSCORE_BENCHMARKS,
    check_brainscore_data,
    load_brainscore_benchmark,
)

__all__ = [
    "ALIASES",
    "BenchmarkEntry",
    "benchmark_entry",
    "list_benchmarks",
    "load_benchmark",
    "register_benchmark",
    "resolve_benchmark",
]


@dataclass(frozen=True)
class BenchmarkEntry:
    """One registered benchmark.

    Attributes:
        identifier: the name users type (``Cowley2023.V4-pls``).
        factory: builds the benchmark (``factory(**args, **options)``).
        args: fixed arguments of the factory for this entry (e.g. ``method="pls"``).
        check: ``check(root)`` -> where the data comes from; raises ``DataError`` (with the
            loader's message) when it cannot be reached.
        summary: one line for listings and ``--help``.
        neuroalign: whether neuroalign scores it itself (``--data-root`` applies), or
            Brain-Score does.
    """

    identifier: str
    factory: Callable[..., Any]
    check: Callable[[Any], str]
    summary: str
    args: Mapping[str, Any] = field(default_factory=dict)
    neuroalign: bool = True

    def options(self) -> tuple[str, ...]:
        """The keyword options the factory accepts beyond :attr:`args`."""
        params = inspect.signature(self.factory).parameters
        return tuple(name for name in params if name not in self.args and name != "self")

    def create(self, **options: Any) -> Any:
        """The benchmark; options it does not take (e.g. ``sessions`` for RSA) are ignored."""
        accepted = set(self.options())
        return self.factory(**self.args, **{k: v for k, v in options.items() if k in accepted})


_REGISTRY: dict[str, BenchmarkEntry] = {}


def register_benchmark(entry: BenchmarkEntry) -> BenchmarkEntry:
    """Add ``entry`` to the registry (an identifier can be registered once)."""
    if entry.identifier in _REGISTRY:
        raise ValueError(f"benchmark {entry.identifier!r} is already registered")
    _REGISTRY[entry.identifier] = entry
    return entry


register_benchmark(
    BenchmarkEntry(
        "Cowley2023.V4-pls",
        Cowley2023V4,
        Cowley2023V4.check_data,
        "macaque V4, 25-component PLS: Brain-Score's V4 metric, numbers comparable to Brain-Score",
        {"method": "pls"},
    )
)
register_benchmark(
    BenchmarkEntry(
        "Cowley2023.V4-ridge",
        Cowley2023V4,
        Cowley2023V4.check_data,
        "macaque V4, ridge with one alpha per neuron (exact LOO): a regularised map that uses "
        "every feature (often higher on wide layers); not Brain-Score's metric",
        {"method": "ridge"},
    )
)
register_benchmark(
    BenchmarkEntry(
        "Kriegeskorte2008.IT-rsa",
        Kriegeskorte2008IT,
        Kriegeskorte2008IT.check_data,
        "monkey and human IT, RSA (Spearman r of correlation-distance RDMs), 92 images",
    )
)
for _identifier, (_region, _fragment) in BRAINSCORE_BENCHMARKS.items():
    register_benchmark(
        BenchmarkEntry(
            _identifier,
            functools.partial(load_brainscore_benchmark, _identifier),
            lambda root, _id=_identifier: check_brainscore_data(_id),
            f"Brain-Score's {_region} benchmark (its data: Brain-Score's cache or an S3 mirror)",
            neuroalign=False,
        )
    )

#: Region alias -> candidates, best first.
ALIASES: dict[str, tuple[str, ...]] = {
    "V4": ("Cowley2023.V4-pls", "MajajHong2015public.V4-pls"),
    "IT": ("Kriegeskorte2008.IT-rsa", "MajajHong2015public.IT-pls"),
    "V1": ("FreemanZiemba2013public.V1-pls",),
    "V2": ("FreemanZiemba2013public.V2-pls",),
}


def benchmark_entry(identifier: str) -> BenchmarkEntry:
    """The registry entry of ``identifier`` (``KeyError`` if not registered)."""
    return _REGISTRY[identifier]


def list_benchmarks(aliases: bool = True) -> list[str]:
    """Every registered benchmark name, then (by default) the region aliases."""
    return [*_REGISTRY, *(ALIASES if aliases else ())]


def resolve_benchmark(name: str, root: Any = None) -> tuple[str, str]:
    """``(identifier, message)`` for a benchmark name or region alias (the message says how)."""
    if name in _REGISTRY:
        entry = _REGISTRY[name]
        if root is not None and entry.neuroalign:
            return name, f"benchmark {name} ({entry.check(root)})"  # the loader's error if not
        return name, f"benchmark {name}"
    key = name.upper() if name.upper() in ALIASES else name
    if key in ALIASES:
        candidates = [_REGISTRY[c] for c in ALIASES[key]]
        if root is not None:  # --data-root is the folder of neuroalign's own data
            entry = next(e for e in candidates if e.neuroalign)
            where = entry.check(root)  # raises the loader's error, naming the folder
            return entry.identifier, f"alias {key} -> {entry.identifier} ({where})"
        reasons = []
        for entry in candidates:
            try:
                where = entry.check(None)
            except (DataError, OSError) as err:
                reasons.append(f"{entry.identifier}: {err}")
                continue
            others = [c for c in _REGISTRY if c.split("-")[0] == entry.identifier.split("-")[0]]
            also = [c for c in others if c != entry.identifier]
            hint = f"; also: {', '.join(also)}" if also else ""
            return entry.identifier, (
                f"alias {key} -> {entry.identifier} ({entry.summary}; data: {where}{hint})"
            )
        raise DataError(f"no benchmark for {key} can run offline; tried " + "; ".join(reasons))
    if "." in name and "-" in name:  # any other Brain-Score identifier
        return name, f"Brain-Score benchmark {name} (loaded through brainscore_vision)"
    raise ValueError(f"unknown benchmark {name!r}; known: {', '.join(list_benchmarks())}")


def load_benchmark(name: str, **options: Any) -> Any:
    """A benchmark object for a name or alias.

    ``options`` go to neuroalign's benchmarks; those a benchmark does not take are ignored
    (e.g. ``sessions`` for the RSA benchmark), so one call works for every alias.
    """
    identifier, _ = resolve_benchmark(name, options.get("root"))
    if identifier in _REGISTRY:
        return _REGISTRY[identifier].create(**options)
    return load_brainscore_benchmark(identifier)
