"""Every kind of model spec neuroalign can load: one registry entry per kind (like timm's).

A *model spec* is a short string naming a network and its weights. The kinds, tried in order:

====================  ==============================  =============================================
spec                  kind                            weights
====================  ==============================  =============================================
``timm:NAME:TAG``     ``timm-pretrained``             timm's pretrained ``NAME.TAG`` (HF hub cache)
``timm:NAME``         ``timm``                        RANDOM init (seed 0)
``neuroalign:NAME``   ``neuroalign``                  a neuroalign backbone, RANDOM init (seed 0)
``PATH.pt``           ``checkpoint``                  a neuroalign training checkpoint
``NAME:WEIGHTS``      ``torchvision-pretrained``      torchvision's ``WEIGHTS`` (torch hub cache)
``NAME``              ``torchvision``                 RANDOM init (seed 0), NOT pretrained
====================  ==============================  =============================================

``resnet18`` is therefore a randomly initialised ResNet-18 (Brain-Score's ``resnet18`` is the
pretrained one: write ``resnet18:IMAGENET1K_V1``). Each entry (:class:`ModelKind`) holds how to
recognise its specs, its factory (spec -> :class:`BuiltModel`: the module, the preprocessing the
weights were made for, how to rebuild it elsewhere), how to tell whether it can load offline
(weights already in the cache) and the names it offers (:func:`list_models`).

Pretrained weights come through the libraries' own loaders: torchvision's weights API (which
reads ``$TORCH_HOME/hub/checkpoints/<file>``, downloading it there if absent) and timm (which
reads the Hugging Face cache, ``$HF_HOME/hub``). Set ``NEUROALIGN_OFFLINE=1`` (or
``HF_HUB_OFFLINE=1`` for timm) to never download: a missing file then fails at once with its URL
and the place to put it. torch hub checks the hash prefix in a weights file's name only while
downloading; a file already in the cache is trusted, so neuroalign checks it again and warns
(:class:`UnverifiedWeightsWarning`) when it is not the published file.
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import os
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from neuroalign.errors import DataError, DownloadError
from neuroalign.preprocessing import Preprocessing

__all__ = [
    "MODEL_KINDS",
    "BuiltModel",
    "ModelKind",
    "RandomWeightsWarning",
    "UnverifiedWeightsWarning",
    "available_offline",
    "list_models",
    "model_kind",
    "model_table",
    "offline_mode",
]

CHECKPOINT_SUFFIXES: tuple[str, ...] = (".pt", ".pth", ".ckpt")


class RandomWeightsWarning(UserWarning):
    """A spec names an architecture with random weights (not the pretrained network)."""


class UnverifiedWeightsWarning(UserWarning):
    """A cached weights file is not the file its publisher's hash names."""


@dataclass
class BuiltModel:
    """What a kind's factory returns.

    Attributes:
        module: the network (eval mode is set by :func:`neuroalign.extract.load_model`).
        preprocessing: what its weights expect (ImageNet evaluation transform by default).
        identifier: a readable name for outputs.
        weights: one sentence saying which weights these are.
        pretrained: False for random initialisation.
        source: how to rebuild the same network elsewhere (library, arch, weights tag...);
            written into Brain-Score plugins.
        weights_file: the file the weights were read from (checkpoint or cached download).
        metadata: a checkpoint's metadata (``config``, ``epoch``...), else extra facts.
        file_sha256: sha256 of ``weights_file`` when the factory already computed it.
    """

    module: nn.Module
    preprocessing: Preprocessing
    identifier: str
    weights: str
    pretrained: bool
    source: dict[str, Any]
    weights_file: Path | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    file_sha256: str | None = None


@dataclass(frozen=True)
class ModelKind:
    """One kind of model spec: its grammar, its factory and its offline check.

    Attributes:
        name: the kind's name (``"torchvision-pretrained"``...).
        grammar: the spec's form (``"NAME:WEIGHTS"``).
        description: one line for ``--help`` and ``--model list``.
        matches: spec -> whether it is of this kind (tried in :data:`MODEL_KINDS` order).
        build: spec -> :class:`BuiltModel` (raises ``ValueError`` / ``DownloadError``).
        offline: spec -> ``(loads without network, why)``.
        names: the specs this kind offers (for :func:`list_models`; empty if not listable).
        example: a spec of this kind.
    """

    name: str
    grammar: str
    description: str
    matches: Callable[[str], bool]
    build: Callable[[str], BuiltModel]
    offline: Callable[[str], tuple[bool, str]]
    names: Callable[[], list[str]]
    example: str


def offline_mode(hf: bool = False) -> bool:
    """Whether downloads are off: ``NEUROALIGN_OFFLINE`` (and ``HF_HUB_OFFLINE`` for timm)."""
    keys = ("NEUROALIGN_OFFLINE", "HF_HUB_OFFLINE") if hf else ("NEUROALIGN_OFFLINE",)
    return any(os.environ.get(k, "").strip().lower() in ("1", "true", "yes", "on") for k in keys)


@contextlib.contextmanager
def _seeded(seed: int):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def _random_note(spec: str, pretrained_hint: str) -> str:
    return (
        f"{spec!r} has RANDOM weights (torch.manual_seed(0)), it is NOT the pretrained network "
        f"(Brain-Score's {spec.split(':')[-1]!r} is pretrained); {pretrained_hint}"
    )


# --------------------------------------------------------------------------------------------
# torchvision: NAME (random) and NAME:WEIGHTS (pretrained, torch hub cache)
# --------------------------------------------------------------------------------------------


@functools.cache
def _torchvision_archs() -> tuple[str, ...]:
    import torchvision

    return tuple(sorted(torchvision.models.list_models(module=torchvision.models)))


def _is_torchvision_arch(spec: str) -> bool:
    return ":" not in spec and spec in _torchvision_archs()


def _build_torchvision(spec: str) -> BuiltModel:
    import torchvision

    with _seeded(0):
        module = torchvision.models.get_model(spec, weights=None)
    enum = torchvision.models.get_model_weights(spec)
    tags = [w.name for w in enum]
    hint = f"pretrained: {', '.join(f'{spec}:{t}' for t in tags)}" if tags else "none published"
    return BuiltModel(
        module=module,
        preprocessing=Preprocessing(),
        identifier=spec,
        weights=f"random initialisation (torch.manual_seed(0)) of torchvision's {spec}",
        pretrained=False,
        source={"library": "torchvision", "arch": spec, "weights": None, "seed": 0},
        metadata={"warning": _random_note(spec, hint)},
    )


def _split_weights_spec(spec: str) -> tuple[str, str]:
    name, _, tag = spec.partition(":")
    return name, tag.split(".")[-1]  # "ResNet18_Weights.IMAGENET1K_V1" -> "IMAGENET1K_V1"


def _is_torchvision_weights(spec: str) -> bool:
    return spec.count(":") == 1 and _split_weights_spec(spec)[0] in _torchvision_archs()


def _torchvision_weights(spec: str) -> Any:
    """The torchvision ``WeightsEnum`` member a ``NAME:WEIGHTS`` spec names (ValueError lists
    the valid ones)."""
    import torchvision

    name, tag = _split_weights_spec(spec)
    enum = torchvision.models.get_model_weights(name)
    valid = [w.name for w in enum]
    if tag == "DEFAULT" and valid:
        return enum.DEFAULT
    if tag not in valid:
        listed = ", ".join(f"{name}:{t}" for t in [*valid, "DEFAULT"]) if valid else "none"
        raise ValueError(f"unknown weights {tag!r} for torchvision {name}; valid: {listed}")
    return enum[tag]


def torch_hub_file(url: str) -> Path:
    """Where torch hub caches the file of ``url``: ``$TORCH_HOME/hub/checkpoints/<name>``."""
    from urllib.parse import urlparse

    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(urlparse(url).path)


def _how_to_get(url: str, target: Path) -> str:
    return f"download {url} and save it as {target} (or run once with internet access)"


def _check_hash_prefix(path: Path) -> tuple[bool | None, str]:
    """``(matches, sha256)`` of a cached file against the hash prefix in its name (torch hub's
    ``name-<sha256 prefix>.ext`` convention); ``matches`` is None when the name has none."""
    from neuroalign.io import sha256_file

    digest = sha256_file(path)
    found = re.search(r"-([a-f0-9]{6,})\.", path.name)
    return (digest.startswith(found.group(1)) if found else None), digest


def _build_torchvision_pretrained(spec: str) -> BuiltModel:
    import torchvision

    weights = _torchvision_weights(spec)
    name = _split_weights_spec(spec)[0]
    target = torch_hub_file(weights.url)
    if not target.is_file() and offline_mode():
        raise DownloadError(
            f"{spec}: weights file {target.name} is not in torch hub's cache and "
            f"NEUROALIGN_OFFLINE is set; {_how_to_get(weights.url, target)}"
        )
    cached_before = target.is_file()
    try:  # torchvision's own loader: weights.get_state_dict(check_hash=True) via torch hub
        module = torchvision.models.get_model(name, weights=weights)
    except Exception as err:  # URLError (no file, no network), unpickling, wrong tensors
        first = str(err).splitlines()[0] if str(err) else ""
        if not target.is_file():
            raise DownloadError(
                f"{spec}: weights file {target.name} is not in torch hub's cache and could not "
                f"be downloaded ({type(err).__name__}: {first}); {_how_to_get(weights.url, target)}"
            ) from None
        what = (
            "does not hold the weights of" if "loading state_dict" in first else "not readable as"
        )
        raise DataError(
            f"{target}: {what} {weights} ({type(err).__name__}: {first}); delete it and "
            f"{_how_to_get(weights.url, target)}"
        ) from None
    verified, digest = _check_hash_prefix(target)
    if verified is False:
        warnings.warn(
            f"{target} (sha256 {digest[:16]}...) is not the file torchvision publishes for "
            f"{weights} (its name promises sha256 {target.stem.rsplit('-', 1)[-1]}...); "
            "torch hub checks the hash only while downloading",
            UnverifiedWeightsWarning,
            stacklevel=3,
        )
    transform = weights.transforms()
    crop, resize = _first(transform.crop_size), _first(transform.resize_size)
    prep = Preprocessing(
        image_size=crop,
        resize=max(resize, crop),
        mean=tuple(transform.mean),
        std=tuple(transform.std),
    )
    interpolation = str(getattr(transform.interpolation, "value", transform.interpolation))
    _warn_interpolation(spec, interpolation)
    tag = weights.name
    return BuiltModel(
        module=module,
        preprocessing=prep,
        identifier=f"{name}-{tag}",
        weights=f"torchvision {type(weights).__name__}.{tag} ({weights.url})",
        pretrained=True,
        source={
            "library": "torchvision",
            "arch": name,
            "weights": tag,
            "url": weights.url,
            "interpolation": interpolation,
        },
        weights_file=target,
        file_sha256=digest,
        metadata={
            "weights_sha256_matches_name": verified,
            "downloaded": not cached_before,
            "interpolation": interpolation,
        },
    )


def _warn_interpolation(spec: str, interpolation: str | None) -> None:
    """neuroalign's :class:`Preprocessing` resizes bilinearly (anti-aliased); say so when the
    weights were evaluated with another interpolation."""
    if interpolation and interpolation.lower() != "bilinear":
        warnings.warn(
            f"{spec}: its weights are evaluated with {interpolation} resizing; neuroalign "
            "resizes bilinearly (anti-aliased), so inputs differ slightly from the library's",
            UserWarning,
            stacklevel=4,
        )


def _first(value: Any) -> int:
    return int(value[0] if isinstance(value, list | tuple) else value)


def _torchvision_weights_offline(spec: str) -> tuple[bool, str]:
    weights = _torchvision_weights(spec)
    target = torch_hub_file(weights.url)
    if target.is_file():
        return True, f"in torch hub's cache ({target})"
    return False, f"not cached: {_how_to_get(weights.url, target)}"


def _torchvision_weight_specs() -> list[str]:
    import torchvision

    specs = []
    for arch in _torchvision_archs():
        specs.extend(f"{arch}:{w.name}" for w in torchvision.models.get_model_weights(arch))
    return specs


# --------------------------------------------------------------------------------------------
# timm: timm:NAME (random) and timm:NAME:TAG / timm:NAME.TAG (pretrained, HF hub cache)
# --------------------------------------------------------------------------------------------


def _timm():
    try:
        import timm
    except ImportError:
        raise ValueError(
            "timm model specs need timm, which is not installed: pip install 'timm==1.0.31'"
        ) from None
    return timm


def _timm_name(spec: str) -> tuple[str, str | None]:
    """``timm:NAME[:TAG]`` or ``timm:NAME.TAG`` -> ``(NAME, TAG or None)``."""
    rest = spec.split(":", 1)[1]
    name, _, tag = rest.partition(":")
    if not tag and "." in name:
        name, tag = name.split(".", 1)
    if not name:
        raise ValueError(f"model spec {spec!r}: expected timm:NAME or timm:NAME:TAG")
    return name, tag or None


def _is_timm(spec: str, pretrained: bool) -> bool:
    return spec.startswith("timm:") and ((_timm_name(spec)[1] is not None) == pretrained)


def _timm_preprocessing(cfg: Any) -> Preprocessing:
    size = int(cfg["input_size"][-1])
    crop_pct = float(cfg.get("crop_pct") or 1.0)
    return Preprocessing(
        image_size=size,
        resize=max(size, round(size / crop_pct)),
        mean=tuple(cfg["mean"]),
        std=tuple(cfg["std"]),
    )


def _build_timm(spec: str) -> BuiltModel:
    timm = _timm()
    name, _ = _timm_name(spec)
    if name not in timm.list_models():
        raise ValueError(f"{spec}: timm has no architecture {name!r} (see timm.list_models())")
    with _seeded(0):
        module = timm.create_model(name, pretrained=False)
    cfg = timm.data.resolve_data_config({}, model=module)
    tags = timm.list_pretrained(f"{name}.*")
    hint = f"pretrained: {', '.join('timm:' + t.replace('.', ':', 1) for t in tags[:5])}"
    return BuiltModel(
        module=module,
        preprocessing=_timm_preprocessing(cfg),
        identifier=spec.replace(":", "-"),
        weights=f"random initialisation (torch.manual_seed(0)) of timm's {name}",
        pretrained=False,
        source={"library": "timm", "arch": name, "tag": None, "seed": 0},
        metadata={"warning": _random_note(spec, hint if tags else "none published")},
    )


def _timm_pretrained_cfg(spec: str) -> tuple[str, Any]:
    timm = _timm()
    name, tag = _timm_name(spec)
    full = f"{name}.{tag}"
    if full not in timm.list_pretrained(f"{name}.*"):
        valid = [t.split(".", 1)[1] for t in timm.list_pretrained(f"{name}.*")]
        listed = ", ".join(f"timm:{name}:{t}" for t in valid) if valid else "none"
        raise ValueError(f"unknown timm weights {tag!r} for {name}; valid: {listed}")
    return full, timm.models.get_pretrained_cfg(full)


def _timm_cached_file(cfg: Any) -> tuple[Path | None, str, Path]:
    """``(cached file or None, its URL, where it belongs)`` for timm's pretrained weights."""
    if cfg.hf_hub_id:
        from huggingface_hub import constants, try_to_load_from_cache

        repo, _, revision = cfg.hf_hub_id.partition("@")
        names = [cfg.hf_hub_filename] if cfg.hf_hub_filename else []
        names += ["model.safetensors", "pytorch_model.bin"]
        for filename in names:
            found = try_to_load_from_cache(repo, filename, revision=revision or None)
            if isinstance(found, str):
                return Path(found), f"https://huggingface.co/{repo}", Path(found)
        folder = Path(constants.HF_HUB_CACHE) / f"models--{repo.replace('/', '--')}"
        return None, f"https://huggingface.co/{repo}/resolve/main/{names[0]}", folder
    target = torch_hub_file(cfg.url)
    return (target if target.is_file() else None), cfg.url, target


def _timm_how_to_get(cfg: Any, url: str, where: Path) -> str:
    if cfg.hf_hub_id:
        repo = cfg.hf_hub_id.partition("@")[0]
        return (
            f"run `hf download {repo}` where there is internet (or download {url}) and copy the "
            f"Hugging Face cache folder {where.name} into {where.parent} ($HF_HOME/hub)"
        )
    return _how_to_get(url, where)


def _build_timm_pretrained(spec: str) -> BuiltModel:
    timm = _timm()
    full, cfg = _timm_pretrained_cfg(spec)
    cached, url, where = _timm_cached_file(cfg)
    if cached is None and offline_mode(hf=True):
        raise DownloadError(
            f"{spec}: timm weights {full} are not in the cache and downloads are off "
            f"(NEUROALIGN_OFFLINE / HF_HUB_OFFLINE); {_timm_how_to_get(cfg, url, where)}"
        )
    overlay = {"file": str(cached)} if cached is not None and cfg.hf_hub_id else None
    try:  # timm's own loader (from the cached file when there is one)
        module = timm.create_model(full, pretrained=True, pretrained_cfg_overlay=overlay)
    except (OSError, ValueError, RuntimeError) as err:
        if cached is None:
            raise DownloadError(
                f"{spec}: timm weights {full} are not in the cache and could not be "
                f"downloaded ({type(err).__name__}: {str(err).splitlines()[0]}); "
                f"{_timm_how_to_get(cfg, url, where)}"
            ) from None
        raise DataError(
            f"{cached}: not readable as timm weights of {full} ({type(err).__name__}: "
            f"{str(err).splitlines()[0]})"
        ) from None
    data_cfg = timm.data.resolve_data_config({}, model=module)
    _warn_interpolation(spec, data_cfg.get("interpolation"))
    if cached is None:
        cached, _, _ = _timm_cached_file(cfg)
    return BuiltModel(
        module=module,
        preprocessing=_timm_preprocessing(data_cfg),
        identifier=f"timm-{full}",
        weights=f"timm pretrained {full} ({cfg.hf_hub_id or cfg.url})",
        pretrained=True,
        source={
            "library": "timm",
            "arch": cfg.architecture,
            "tag": cfg.tag,
            "hf_hub_id": cfg.hf_hub_id,
            "url": cfg.url or None,
            "interpolation": data_cfg.get("interpolation"),
        },
        weights_file=cached,
        metadata={"interpolation": data_cfg.get("interpolation")},
    )


def _timm_pretrained_offline(spec: str) -> tuple[bool, str]:
    _, cfg = _timm_pretrained_cfg(spec)
    cached, url, where = _timm_cached_file(cfg)
    if cached is not None:
        return True, f"in the cache ({cached})"
    return False, f"not cached: {_timm_how_to_get(cfg, url, where)}"


def _timm_specs(pretrained: bool) -> list[str]:
    try:
        import timm
    except ImportError:
        return []
    if pretrained:
        return [f"timm:{n.replace('.', ':', 1)}" for n in timm.list_pretrained()]
    return [f"timm:{n}" for n in timm.list_models()]


def _timm_available(spec: str) -> tuple[bool, str]:
    try:
        _timm()
    except ValueError as err:
        return False, str(err)
    return True, "built locally (random init)"


# --------------------------------------------------------------------------------------------
# neuroalign backbones and checkpoints
# --------------------------------------------------------------------------------------------


def _build_neuroalign(spec: str) -> BuiltModel:
    from neuroalign.backbones import create_model
    from neuroalign.backbones.registry import MODELS

    name = spec.split(":", 1)[1]
    with _seeded(0):
        module = create_model(name)
    return BuiltModel(
        module=module,
        preprocessing=Preprocessing(),
        identifier=spec.replace(":", "-"),
        weights=f"random initialisation (torch.manual_seed(0)) of neuroalign's {name} backbone",
        pretrained=False,
        source={"library": "neuroalign", "arch": name, "seed": 0},
        metadata={
            "warning": _random_note(spec, f"backbones: {', '.join(sorted(MODELS))}"),
        },
    )


def _neuroalign_specs() -> list[str]:
    from neuroalign.backbones.registry import MODELS

    return [f"neuroalign:{name}" for name in sorted(MODELS)]


def _is_checkpoint(spec: str) -> bool:
    path = Path(spec).expanduser()
    return path.suffix in CHECKPOINT_SUFFIXES or path.is_file()


def _build_checkpoint(spec: str) -> BuiltModel:
    from neuroalign.backbones import load_checkpoint

    path = Path(spec).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    module, metadata = load_checkpoint(path, map_location="cpu")
    prep_dict = metadata.get("preprocessing")
    model_spec = dict(metadata.get("model_spec") or {"arch": metadata.get("arch")})
    loss = (metadata.get("config") or {}).get("loss")
    return BuiltModel(
        module=module,
        preprocessing=Preprocessing.from_dict(prep_dict) if prep_dict else Preprocessing(),
        identifier=path.stem,
        weights=f"neuroalign checkpoint {path.name} ({loss or 'unknown loss'}, epoch "
        f"{metadata.get('epoch', '?')})",
        pretrained=True,
        source={"library": "neuroalign-checkpoint", **model_spec, "loss": loss},
        weights_file=path,
        metadata=dict(metadata),
    )


def _checkpoint_offline(spec: str) -> tuple[bool, str]:
    path = Path(spec).expanduser()
    return path.is_file(), (f"file {path}" if path.is_file() else f"no file {path}")


def _always(spec: str) -> tuple[bool, str]:
    return True, "built locally (random init)"


#: The registry: every kind of model spec, in the order specs are matched.
MODEL_KINDS: tuple[ModelKind, ...] = (
    ModelKind(
        name="timm-pretrained",
        grammar="timm:NAME:TAG",
        description="timm's pretrained weights NAME.TAG, through timm and the HF hub cache",
        matches=lambda s: _is_timm(s, pretrained=True),
        build=_build_timm_pretrained,
        offline=_timm_pretrained_offline,
        names=lambda: _timm_specs(pretrained=True),
        example="timm:resnet18:a1_in1k",
    ),
    ModelKind(
        name="timm",
        grammar="timm:NAME",
        description="a timm architecture with RANDOM weights (seed 0)",
        matches=lambda s: _is_timm(s, pretrained=False),
        build=_build_timm,
        offline=_timm_available,
        names=lambda: _timm_specs(pretrained=False),
        example="timm:resnet18",
    ),
    ModelKind(
        name="neuroalign",
        grammar="neuroalign:NAME",
        description="a neuroalign backbone with RANDOM weights (seed 0)",
        matches=lambda s: s.startswith("neuroalign:"),
        build=_build_neuroalign,
        offline=_always,
        names=_neuroalign_specs,
        example="neuroalign:resnet18",
    ),
    ModelKind(
        name="checkpoint",
        grammar="PATH.pt",
        description="a neuroalign training checkpoint (backbone + head, its preprocessing)",
        matches=_is_checkpoint,
        build=_build_checkpoint,
        offline=_checkpoint_offline,
        names=list,
        example="runs/train/clamp/checkpoints/last.pt",
    ),
    ModelKind(
        name="torchvision-pretrained",
        grammar="NAME:WEIGHTS",
        description="torchvision's pretrained WEIGHTS, through its weights API and torch hub",
        matches=_is_torchvision_weights,
        build=_build_torchvision_pretrained,
        offline=_torchvision_weights_offline,
        names=_torchvision_weight_specs,
        example="resnet18:IMAGENET1K_V1",
    ),
    ModelKind(
        name="torchvision",
        grammar="NAME",
        description="a torchvision architecture with RANDOM weights (seed 0), NOT pretrained",
        matches=_is_torchvision_arch,
        build=_build_torchvision,
        offline=_always,
        names=lambda: list(_torchvision_archs()),
        example="resnet18",
    ),
)


def model_kind(spec: str) -> ModelKind:
    """The registry entry whose grammar ``spec`` follows (``ValueError`` naming them all)."""
    spec = str(spec)
    for kind in MODEL_KINDS:
        if kind.matches(spec):
            return kind
    grammar = "; ".join(f"{k.grammar} (e.g. {k.example})" for k in MODEL_KINDS)
    head = spec.split(":", 1)[0]
    hint = ""
    if ":" in spec and head not in _torchvision_archs():
        hint = f" ({head!r} is not a torchvision architecture)"
    elif ":" not in spec:
        hint = " (not a torchvision architecture nor an existing checkpoint file)"
    raise ValueError(f"unknown model spec {spec!r}{hint}; model specs are: {grammar}")


def available_offline(spec: str) -> tuple[bool, str]:
    """``(True, where)`` if ``spec`` loads without network, else ``(False, how to get it)``."""
    return model_kind(spec).offline(str(spec))


def _specs(pattern: str, kind: str | None) -> Iterator[tuple[ModelKind, str]]:
    names = [k.name for k in MODEL_KINDS]
    if kind is not None and kind not in names:
        raise ValueError(f"unknown model kind {kind!r}; valid: {', '.join(names)}")
    for entry in MODEL_KINDS:
        if kind in (None, entry.name):
            yield from ((entry, s) for s in entry.names() if fnmatch.fnmatchcase(s, pattern))


def list_models(pattern: str = "*", kind: str | None = None) -> list[str]:
    """Specs neuroalign can load, filtered by a glob ``pattern`` (as ``timm.list_models``) and
    a kind name (:data:`MODEL_KINDS`). Checkpoints are files and are not listed; timm's entries
    appear when timm is installed.

    Example::

        >>> list_models("resnet18*")
        ['resnet18:IMAGENET1K_V1', 'resnet18']
    """
    return [spec for _, spec in _specs(pattern, kind)]


def model_table(pattern: str = "*", kind: str | None = None) -> list[tuple[str, str, str]]:
    """``(spec, kind, status)`` rows of :func:`list_models` (what ``neuroalign extract --model
    list`` prints); status is "cached" or "download" for pretrained weights, "local" otherwise."""
    rows = []
    for entry, spec in _specs(pattern, kind):
        if entry.name.endswith("-pretrained"):
            status = "cached" if entry.offline(spec)[0] else "download"
        else:
            status = "local"
        rows.append((spec, entry.name, status))
    return rows
