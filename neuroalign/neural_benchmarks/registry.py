"""Named benchmarks and region aliases.

``load_benchmark(name)`` accepts a neuroalign benchmark (runs offline on the mirrored data),
a Brain-Score benchmark identifier (:mod:`neuroalign.neural_benchmarks.passthrough`), or a region
alias ``V1``/``V2``/``V4``/``IT`` that resolves to the first benchmark of its list whose data is
reachable offline (:data:`ALIASES`), and says which it chose.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from neuroalign.errors import DataError
from neuroalign.neural_benchmarks.cowley2023 import Cowley2023V4
from neuroalign.neural_benchmarks.kriegeskorte2008 import Kriegeskorte2008IT
from neuroalign.neural_benchmarks.passthrough import (
    BRAINSCORE_BENCHMARKS,
    brainscore_data_cached,
    load_brainscore_benchmark,
)

__all__ = ["ALIASES", "BENCHMARKS", "list_benchmarks", "load_benchmark", "resolve_benchmark"]

#: neuroalign's own benchmarks: identifier -> factory(**kwargs).
BENCHMARKS: dict[str, Callable[..., Any]] = {
    "Cowley2023.V4-ridge": lambda **kw: Cowley2023V4("ridge", **kw),
    "Cowley2023.V4-pls": lambda **kw: Cowley2023V4("pls", **kw),
    "Kriegeskorte2008.IT-rsa": lambda **kw: Kriegeskorte2008IT(**kw),
}

#: Region alias -> candidates, best first.
ALIASES: dict[str, tuple[str, ...]] = {
    "V4": ("Cowley2023.V4-ridge", "MajajHong2015public.V4-pls"),
    "IT": ("Kriegeskorte2008.IT-rsa", "MajajHong2015public.IT-pls"),
    "V1": ("FreemanZiemba2013public.V1-pls",),
    "V2": ("FreemanZiemba2013public.V2-pls",),
}

_KWARGS = {
    "Cowley2023.V4-ridge": {"root", "sessions", "n_splits", "test_size", "seed", "n_boot"},
    "Cowley2023.V4-pls": {"root", "sessions", "n_splits", "test_size", "seed", "n_boot"},
    "Kriegeskorte2008.IT-rsa": {"root", "n_boot", "seed"},
}


def list_benchmarks() -> list[str]:
    """Every benchmark name and alias this registry knows."""
    return [*BENCHMARKS, *BRAINSCORE_BENCHMARKS, *ALIASES]


def _available(identifier: str, root: Any = None) -> tuple[bool, str]:
    if identifier in BENCHMARKS:
        try:
            if identifier.startswith("Cowley2023"):
                from neuroalign.data import cowley2023_sessions

                ok = bool(cowley2023_sessions(root))
            else:
                from neuroalign.data import load_kriegeskorte2008

                ok = load_kriegeskorte2008(root) is not None
            return ok, "neuroalign data (mirror / data home)"
        except Exception as err:  # data absent, no mirror, no network
            return False, f"its data is not reachable ({type(err).__name__}: {err})"
    if brainscore_data_cached(identifier):
        return True, "Brain-Score's local cache / S3 mirror"
    return False, "its Brain-Score data is not in the local cache and no S3 mirror is set"


def resolve_benchmark(name: str, root: Any = None) -> tuple[str, str]:
    """``(identifier, message)`` for a benchmark name or region alias (message says why)."""
    if name in BENCHMARKS or name in BRAINSCORE_BENCHMARKS:
        return name, f"benchmark {name}"
    key = name.upper() if name.upper() in ALIASES else name
    if key in ALIASES:
        reasons = []
        for candidate in ALIASES[key]:
            ok, why = _available(candidate, root)
            if ok:
                return candidate, f"alias {key} -> {candidate} (first available offline: {why})"
            reasons.append(f"{candidate}: {why}")
        raise DataError(
            f"no benchmark for {key} can run offline; tried "
            + "; ".join(reasons)
            + ". Connect to the internet or set AWS_ENDPOINT_URL_S3 for Brain-Score's data."
        )
    if "." in name and "-" in name:  # any other Brain-Score identifier
        return name, f"Brain-Score benchmark {name}"
    raise ValueError(f"unknown benchmark {name!r}; known: {', '.join(list_benchmarks())}")


def load_benchmark(name: str, **kwargs: Any) -> Any:
    """A benchmark object for a name or alias (kwargs go to neuroalign benchmarks only).

    Unknown keyword arguments for the chosen benchmark are ignored (e.g. ``sessions`` for
    the RSA benchmark), so one call works for every alias.
    """
    identifier, _ = resolve_benchmark(name, kwargs.get("root"))
    if identifier in BENCHMARKS:
        allowed = _KWARGS[identifier]
        return BENCHMARKS[identifier](**{k: v for k, v in kwargs.items() if k in allowed})
    return load_brainscore_benchmark(identifier)
