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

from neuroalign.errors import DataError

__all__ = [
    "BRAINSCORE_BENCHMARKS",
    "brain_model_for",
    "brainscore_data_cached",
    "load_brainscore_benchmark",
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


def load_brainscore_benchmark(identifier: str) -> Any:
    """``brainscore_vision.load_benchmark(identifier)`` with a clear error when data is absent."""
    os.environ.setdefault("BS_INSTALL_DEPENDENCIES", "no")
    import brainscore_vision

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
            else "Its data was reached but building the benchmark failed (see the cause above)."
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
            import brainscore_vision

            try:
                return brainscore_vision.load_model(model)
            except Exception as bs_err:
                raise DataError(
                    f"{model!r} is neither a neuroalign model spec ({err}) nor a loadable "
                    f"Brain-Score model ({type(bs_err).__name__}: {str(bs_err)[:200]})"
                ) from bs_err
    if layer is None:
        raise ValueError(f"a layer to commit to {region} is needed for {loaded.identifier}")
    from neuroalign.brainscore import build_brain_model

    identifier = f"neuroalign-{loaded.identifier}-{loaded.weights_sha256[:12]}-{layer}"
    return build_brain_model(loaded, identifier, {region: layer}, layers=[layer])


def score_with_brainscore(benchmark: Any, model: Any, region: str, layer: str | None = None) -> Any:
    """Run ``benchmark(brain_model)`` exactly as Brain-Score's ``score()`` does."""
    brain_model = brain_model_for(model, region, layer)
    return benchmark(brain_model)
