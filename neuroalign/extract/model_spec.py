"""A network ready for extraction (:class:`LoadedModel`) and :func:`load_model` for a spec.

:func:`load_model` builds the network a *model spec* names -- ``resnet18`` (torchvision, RANDOM
weights), ``resnet18:IMAGENET1K_V1`` (torchvision's pretrained weights), ``timm:NAME[:TAG]``,
``neuroalign:NAME`` or a checkpoint ``PATH.pt``; the grammar and the factories live in
:mod:`neuroalign.extract.model_registry` -- and :meth:`LoadedModel.from_module` wraps any
``torch.nn.Module`` with its :class:`~neuroalign.preprocessing.Preprocessing`.

Layer names are PyTorch module names (``model.named_modules()``), e.g. ``"layer3"`` or
``"layer4.1.conv2"``. For checkpoints the backbone prefix may be left out: ``"layer3"`` resolves
to ``"backbone.layer3"``.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from neuroalign.defaults import DEFAULT_LAYERS
from neuroalign.extract.model_registry import RandomWeightsWarning, model_kind
from neuroalign.preprocessing import Preprocessing

__all__ = ["LoadedModel", "load_model", "state_dict_sha256"]


@dataclass
class LoadedModel:
    """A network ready for extraction: eval mode, with its identity and preprocessing.

    Attributes:
        model: the ``nn.Module`` (eval mode, on ``device``).
        identifier: a readable name (the spec, or the checkpoint's file name).
        preprocessing: the :class:`Preprocessing` its weights expect.
        weights_sha256: sha256 over the model's state dict (names, dtypes, shapes, bytes);
            equal weights give equal digests whatever file they came from.
        spec: the spec string it was built from.
        metadata: the checkpoint's metadata (``config``, ``epoch``, ...); facts about the
            weights file otherwise.
        file_sha256: sha256 of the file the weights were read from (checkpoint or cached
            pretrained weights), or ``None`` for built models.
        kind: the registry entry it came from (``"torchvision-pretrained"``, ``"checkpoint"``...;
            ``"module"`` for :meth:`from_module`).
        weights: one sentence naming the weights ("random initialisation ...", "torchvision
            ResNet18_Weights.IMAGENET1K_V1 (...)").
        pretrained: False for randomly initialised networks.
        source: how to rebuild the network elsewhere (library, arch, weights tag...).
        weights_file: the file the weights were read from, or ``None``.
    """

    model: nn.Module
    identifier: str
    preprocessing: Preprocessing
    weights_sha256: str
    spec: str
    metadata: dict = field(default_factory=dict)
    file_sha256: str | None = None
    kind: str = "module"
    weights: str = ""
    pretrained: bool = True
    source: dict = field(default_factory=dict)
    weights_file: Path | None = None

    @classmethod
    def from_module(
        cls,
        module: nn.Module,
        preprocessing: Preprocessing,
        identifier: str,
        *,
        weights: str = "weights given from Python",
        device: str | torch.device | None = None,
    ) -> LoadedModel:
        """Wrap any ``nn.Module`` (switched to eval mode) with the preprocessing it expects.

        Example::

            >>> net = torchvision.models.resnet18()
            >>> lm = LoadedModel.from_module(net, Preprocessing(), "my-resnet18")
        """
        if not isinstance(module, nn.Module):
            raise ValueError(f"module must be a torch.nn.Module, got {type(module).__name__}")
        if not isinstance(preprocessing, Preprocessing):
            raise ValueError(
                f"preprocessing must be a neuroalign Preprocessing, got {type(preprocessing).__name__}"
            )
        module.eval()
        if device is not None:
            module.to(device)
        return cls(
            model=module,
            identifier=str(identifier),
            preprocessing=preprocessing,
            weights_sha256=state_dict_sha256(module),
            spec=str(identifier),
            kind="module",
            weights=weights,
            source={"library": "python", "class": type(module).__qualname__},
        )

    @property
    def warning(self) -> str | None:
        """The loud notice of a randomly initialised network (None for real weights)."""
        return self.metadata.get("warning") if not self.pretrained else None

    def layer_names(self) -> list[str]:
        """All module names that can be hooked, in definition order (the root excluded)."""
        return [name for name, _ in self.model.named_modules() if name]

    def default_layers(self, candidates: tuple[str, ...] = DEFAULT_LAYERS) -> list[str]:
        """The ``candidates`` this model has (a checkpoint's ``backbone.`` prefix is implied),
        in the given order; a model with none of them gives its top-level modules."""
        names = dict(self.model.named_modules())
        chosen = [n for n in candidates if n in names or f"backbone.{n}" in names]
        if chosen:
            return chosen
        top = [n for n in self.layer_names() if "." not in n]
        return top or self.layer_names()[-1:]

    def resolve_layer(self, name: str) -> str:
        """The module name ``name`` refers to; raises ``ValueError`` listing valid names."""
        names = dict(self.model.named_modules())
        if name and name in names:
            return name
        if f"backbone.{name}" in names:
            return f"backbone.{name}"
        top = [n for n in self.layer_names() if n.count(".") <= 1]
        raise ValueError(
            f"unknown layer {name!r} for model {self.identifier}; valid layers include: "
            f"{', '.join(top)} (see `neuroalign extract --model {self.spec} --layers list`)"
        )

    def get_module(self, name: str) -> nn.Module:
        return dict(self.model.named_modules())[self.resolve_layer(name)]


def state_dict_sha256(model: nn.Module) -> str:
    """sha256 of a module's state dict: parameter names, dtypes, shapes and raw bytes."""
    digest = hashlib.sha256()
    for key, tensor in sorted(model.state_dict().items()):
        t = tensor.detach().cpu().contiguous()
        digest.update(f"{key}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return digest.hexdigest()


def load_model(spec: str | Any, device: str | torch.device = "cpu") -> LoadedModel:
    """Build the network named by ``spec`` (see :mod:`neuroalign.extract.model_registry`), in
    eval mode on ``device``. A randomly initialised network warns
    (:class:`~neuroalign.extract.model_registry.RandomWeightsWarning`) and says so in
    :attr:`LoadedModel.weights`.

    Raises:
        ValueError: an unknown spec, architecture or weights name (the valid ones listed), or a
            timm spec without timm installed.
        DownloadError: pretrained weights neither cached nor downloadable (the message gives
            the URL and the file to put there).

    Example::

        >>> lm = load_model("resnet18:IMAGENET1K_V1")    # torchvision weights, torch hub cache
        >>> lm.layer_names()[:4]
        ['conv1', 'bn1', 'relu', 'maxpool']
    """
    from neuroalign.io import sha256_file

    spec = str(spec)
    kind = model_kind(spec)
    built = kind.build(spec)
    if not built.pretrained:
        warnings.warn(built.metadata["warning"], RandomWeightsWarning, stacklevel=2)
    built.module.eval().to(device)
    file_sha = built.file_sha256
    if file_sha is None and built.weights_file is not None and Path(built.weights_file).is_file():
        file_sha = sha256_file(built.weights_file)
    return LoadedModel(
        model=built.module,
        identifier=built.identifier,
        preprocessing=built.preprocessing,
        weights_sha256=state_dict_sha256(built.module),
        spec=spec,
        metadata=built.metadata,
        file_sha256=file_sha,
        kind=kind.name,
        weights=built.weights,
        pretrained=built.pretrained,
        source=built.source,
        weights_file=built.weights_file,
    )
