"""Brain-Score's own benchmarks (``MajajHong2015public.V4-pls``, ...), run through brainscore_vision.

Their data lives in Brain-Score's S3 storage and is cached under ``$BRAINIO_HOME``
(default ``~/.brainio``); Brain-Score's loader honours ``AWS_ENDPOINT_URL_S3``, so a local S3
mirror works too. Loading is lazy and failures become a :class:`~neuroalign.errors.DataError`
that says what was tried and what to do. A neuroalign model is wrapped as a Brain-Score
``BrainModel`` (:func:`neuroalign.brainscore.build_brain_model`) that commits the requested
layer to the benchmark's region; registered Brain-Score models load by identifier.

Brain-Score keys its result cache (``result_caching``) only on identifiers: the model identifier
used here includes the layer and the weights' hash so that different models never collide.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from neuroalign.errors import DataError

__all__ = [
    "BRAINSCORE_BENCHMARKS",
    "brain_model_for",
    "brainscore_data_cached",
    "brainscore_registered",
    "check_brainscore_data",
    "load_brain_model",
    "load_brainscore_benchmark",
    "score_layers_with_brainscore",
    "score_with_brainscore",
]

#: Public Brain-Score neural benchmarks neuroalign knows the data files of:
#: identifier -> (region, the data identifier fragment of its cached assembly file).
BRAINSCORE_BENCHMARKS: dict[str, tuple[str, str]] = {
    "MajajHong2015public.V4-pls": ("V4", "MajajHong2015_public"),
    "MajajHong2015public.IT-pls": ("IT", "MajajHong2015_public"),
    "FreemanZiemba2013public.V1-pls": ("V1", "FreemanZiemba2013_public"),
    "FreemanZiemba2013public.V2-pls": ("V2", "FreemanZiemba2013_public"),
}


def _brainio_home() -> Path:
    return Path(os.path.expanduser(os.environ.get("BRAINIO_HOME", "~/.brainio")))


def brainscore_data_cached(identifier: str) -> bool:
    """Whether the assembly of Brain-Score benchmark ``identifier`` is reachable offline.

    True when its assembly file is in Brain-Score's local cache (``$BRAINIO_HOME``) or when
    ``AWS_ENDPOINT_URL_S3`` points Brain-Score's loader at a mirror.
    """
    if os.environ.get("AWS_ENDPOINT_URL_S3"):
        return True
    fragment = BRAINSCORE_BENCHMARKS.get(identifier, (None, identifier.split(".")[0]))[1]
    home = _brainio_home()
    return home.is_dir() and any(home.rglob(f"assy_*{fragment}*.nc"))


def check_brainscore_data(identifier: str) -> str:
    """Where benchmark ``identifier``'s data comes from; :class:`DataError` when not offline."""
    if not brainscore_data_cached(identifier):
        raise DataError(
            f"the data of Brain-Score benchmark {identifier} is not in Brain-Score's local "
            f"cache ({_brainio_home()}) and no S3 mirror is set (AWS_ENDPOINT_URL_S3)"
        )
    return "Brain-Score's local cache / S3 mirror"


def brainscore_registered(kind: str, identifier: str) -> bool:
    """Whether an installed Brain-Score plugin registers ``identifier`` (``kind``: ``"models"``
    or ``"benchmarks"``), found the way ``brainscore_vision.load_*`` finds it."""
    from brainscore_core.plugin_management.import_plugin import ImportPlugin

    try:
        ImportPlugin("brainscore_vision", kind, identifier)
    except AssertionError:  # "No registrations found" / more than one
        return False
    return True


def load_brain_model(identifier: str) -> Any:
    """``brainscore_vision.load_model(identifier)``; a one-line :class:`DataError` when no
    installed plugin registers ``identifier``."""
    os.environ.setdefault("BS_INSTALL_DEPENDENCIES", "no")
    if not brainscore_registered("models", identifier):
        from neuroalign.brainscore import brainscore_plugins_dir

        raise DataError(
            f"{identifier!r} is not a registered Brain-Score model: no plugin in "
            f"{brainscore_plugins_dir('models')} registers it (install one with `neuroalign register "
            f"--install`)"
        )
    import brainscore_vision

    return brainscore_vision.load_model(identifier)


def load_brainscore_benchmark(identifier: str) -> Any:
    """``brainscore_vision.load_benchmark(identifier)`` with a clear error when data is absent."""
    os.environ.setdefault("BS_INSTALL_DEPENDENCIES", "no")
    import brainscore_vision

    if not brainscore_registered("benchmarks", identifier):
        raise DataError(
            f"unknown benchmark {identifier!r}: neither neuroalign's nor one that an installed "
            f"Brain-Score plugin registers (see `neuroalign score --help` for the names)"
        )
    try:
        return brainscore_vision.load_benchmark(identifier)
    except Exception as err:  # botocore / network / registry / data-format errors
        network = (
            type(err) is Exception
            or isinstance(err, OSError)
            or any(
                type(e).__module__.split(".")[0] in ("botocore", "boto3", "urllib3", "s3transfer")
                for e in (
                    err,
                    err.__cause__,
                    *(err.args[0] if err.args and isinstance(err.args[0], list) else []),
                )
                if e is not None
            )
        )
        hint = (
            f"Its data comes from Brain-Score's S3 storage or its local cache ({_brainio_home()}): "
            "connect to the internet, set AWS_ENDPOINT_URL_S3 to an S3 mirror, or use an offline "
            "benchmark (Cowley2023.V4-ridge, Cowley2023.V4-pls, Kriegeskorte2008.IT-rsa)."
            if network
            else "Building the benchmark failed (see the cause above)."
        )
        raise DataError(
            f"Brain-Score benchmark {identifier!r} could not be loaded ({type(err).__name__}: "
            f"{str(err)[:300]}). {hint}"
        ) from err


def brain_model_for(model: Any, region: str, layer: str | None = None) -> Any:
    """A Brain-Score ``BrainModel`` for ``model`` with ``layer`` committed to ``region``.

    ``model`` is a :class:`~neuroalign.extract.LoadedModel`, a neuroalign spec (torchvision
    arch, checkpoint, ``timm:NAME``) or, failing those, a registered Brain-Score model identifier
    (``brainscore_vision.load_model``, which keeps its own layer commitments).
    """
    from neuroalign.extract import LoadedModel, load_model

    loaded = model if isinstance(model, LoadedModel) else None
    if loaded is None:
        try:
            loaded = load_model(model)
        except (ValueError, KeyError, FileNotFoundError, DataError) as err:
            if not brainscore_registered("models", str(model)):
                raise DataError(
                    f"unknown model {model!r}: not a model spec neuroalign can load ({err}) "
                    f"and not a registered Brain-Score model"
                ) from None
            return load_brain_model(str(model))
    if layer is None:
        raise ValueError(f"a layer to commit to {region} is needed for {loaded.identifier}")
    from neuroalign.brainscore import build_brain_model

    identifier = f"neuroalign-{loaded.identifier}-{loaded.weights_sha256[:12]}-{layer}"
    return build_brain_model(loaded, identifier, {region: layer}, layers=[layer])


def score_with_brainscore(benchmark: Any, model: Any, region: str, layer: str | None = None) -> Any:
    """Run ``benchmark(brain_model)`` exactly as Brain-Score's ``score()`` does."""
    brain_model = brain_model_for(model, region, layer)
    return benchmark(brain_model)


def score_layers_with_brainscore(
    benchmark: Any, identifier: str, model: Any, layers: list[str] | None
) -> Any:
    """Run Brain-Score's own benchmark on each layer (one ``BrainModel`` per layer committed to
    the benchmark's region), or once on a registered Brain-Score model's committed layer.

    Returns a :class:`~neuroalign.neural_benchmarks.base.BenchmarkResult` whose rows hold the
    raw score (``score``), Brain-Score's ceiling and its ceiled score (``explained_variance``,
    the value Brain-Score reports); intervals are not computed (NaN).
    """
    import pandas as pd

    from neuroalign.neural_benchmarks.base import CEILED_QUANTITY, BenchmarkResult

    region = BRAINSCORE_BENCHMARKS.get(identifier, (identifier.split(".")[1].split("-")[0], ""))[0]
    rows = []
    for depth, layer in enumerate(layers or [None]):
        score = score_with_brainscore(benchmark, model, region, layer)
        raw = score.attrs.get("raw")
        ceiling = score.attrs.get("ceiling")
        raw_value = float(raw) if raw is not None and getattr(raw, "size", 1) == 1 else np.nan
        rows.append(
            {
                "layer": layer or f"(committed to {region})",
                "depth": depth,
                "method": identifier.rsplit("-", 1)[-1],
                "score": raw_value,
                "error": float(score.attrs.get("error", np.nan)),
                "ci_low": np.nan,
                "ci_high": np.nan,
                "ceiling": float(ceiling) if ceiling is not None else np.nan,
                "ceiling_error": np.nan,
                "explained_variance": float(score),
                "ev_ci_low": np.nan,
                "ev_ci_high": np.nan,
                "train_score": np.nan,
                "selected": False,
            }
        )
    table = pd.DataFrame(rows)
    meta = {
        "benchmark": identifier,
        "scored_by": "brainscore_vision (its own benchmark, metric, ceiling and preprocessing)",
        "ceiled_score": CEILED_QUANTITY,
        "interval": "none (Brain-Score's error is the SEM over its splits)",
    }
    selected = {"layer": None, "score": np.nan, "explained_variance": np.nan, "how": "none"}
    return BenchmarkResult(identifier, table, table.assign(session=""), selected, meta)
