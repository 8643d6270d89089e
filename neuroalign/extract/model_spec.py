"""Build a network from a short *spec* string, with the preprocessing it was trained with.

A spec is one of

* a torchvision architecture name (``"resnet18"``, ``"resnet50"``, ``"alexnet"``, ...): the
  torchvision model (classifier included, so ``fc`` gives logits) with random weights drawn
  under ``torch.manual_seed(0)``, so the same spec always gives the same weights;
* ``"neuroalign:NAME"``: a backbone from ``neuroalign.backbones.create_model`` (random init, seed 0);
* the path of a neuroalign checkpoint (``*.pt``; see ``neuroalign.backbones.load_checkpoint``): the
  trained :class:`~neuroalign.backbones.SSLModel` (``backbone`` + ``head``) with the preprocessing
  stored in the checkpoint;
* ``"timm:NAME"``: a timm model (random init, seed 0) when timm is installed.

Layer names are PyTorch module names (``model.named_modules()``), e.g. ``"layer3"`` or
``"layer4.1.conv2"``. For checkpoints the backbone prefix may be left out: ``"layer3"`` resolves
to ``"backbone.layer3"``.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from neuroalign.defaults import DEFAULT_LAYERS
from neuroalign.preprocessing import Preprocessing

__all__ = ["LoadedModel", "load_model", "state_dict_sha256"]


@dataclass
class LoadedModel:
    """A network ready for extraction: eval mode, with its identity and preprocessing.

    Attributes:
        model: the ``nn.Module`` (eval mode, on ``device``).
        identifier: a readable name (the spec, or the checkpoint's file name).
        preprocessing: the :class:`Preprocessing` the model was trained with.
        weights_sha256: sha256 over the model's state dict (names, dtypes, shapes, bytes);
            equal weights give equal digests whatever file they came from.
        spec: the spec string it was built from.
        metadata: the checkpoint's metadata (``config``, ``epoch``, ...); empty otherwise.
        file_sha256: sha256 of the checkpoint file, or ``None`` for built models.
    """

    model: nn.Module
    identifier: str
    preprocessing: Preprocessing
    weights_sha256: str
    spec: str
    metadata: dict = field(default_factory=dict)
    file_sha256: str | None = None

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


@contextlib.contextmanager
def _seeded(seed: int):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def _torchvision_model(name: str) -> nn.Module:
    import torchvision

    available = set(torchvision.models.list_models(module=torchvision.models))
    if name not in available:
        raise ValueError(
            f"unknown model spec {name!r}: not a torchvision architecture, a 'neuroalign:NAME' "
            f"or 'timm:NAME' spec, nor an existing checkpoint file. torchvision has e.g. "
            f"{', '.join(sorted(a for a in available if a.startswith('resnet')))}"
        )
    with _seeded(0):
        return torchvision.models.get_model(name, weights=None)


def _neuroalign_model(name: str) -> nn.Module:
    from neuroalign.backbones import create_model

    with _seeded(0):
        return create_model(name)


def _timm_model(name: str) -> tuple[nn.Module, Preprocessing]:
    try:
        import timm
    except ImportError:
        raise ValueError(f"spec 'timm:{name}' needs timm: pip install timm") from None
    with _seeded(0):
        model = timm.create_model(name, pretrained=False)
    cfg = timm.data.resolve_data_config({}, model=model)
    size = int(cfg["input_size"][-1])
    prep = Preprocessing(
        image_size=size,
        resize=round(size / cfg.get("crop_pct", 0.875)),
        mean=tuple(cfg["mean"]),
        std=tuple(cfg["std"]),
    )
    return model, prep


def _checkpoint_model(path: Path) -> tuple[nn.Module, Preprocessing, dict]:
    from neuroalign.backbones import load_checkpoint

    model, metadata = load_checkpoint(path, map_location="cpu")
    prep_dict = metadata.get("preprocessing")
    prep = Preprocessing.from_dict(prep_dict) if prep_dict else Preprocessing()
    return model, prep, dict(metadata)


def load_model(spec: str, device: str | torch.device = "cpu") -> LoadedModel:
    """Build the network named by ``spec`` (see the module docstring), in eval mode on ``device``.

    Example::

        >>> lm = load_model("resnet18")
        >>> lm.layer_names()[:4]
        ['conv1', 'bn1', 'relu', 'maxpool']
    """
    from neuroalign.io import sha256_file

    spec = str(spec)
    metadata: dict = {}
    file_sha = None
    path = Path(spec).expanduser()
    if spec.startswith("timm:"):
        model, prep = _timm_model(spec.split(":", 1)[1])
        identifier = spec.replace(":", "-")
    elif spec.startswith("neuroalign:"):
        model, prep = _neuroalign_model(spec.split(":", 1)[1]), Preprocessing()
        identifier = spec.replace(":", "-")
    elif path.suffix in (".pt", ".pth", ".ckpt") or path.is_file():
        if not path.is_file():
            raise FileNotFoundError(f"checkpoint not found: {path}")
        model, prep, metadata = _checkpoint_model(path)
        identifier = path.stem
        file_sha = sha256_file(path)
    else:
        model, prep = _torchvision_model(spec), Preprocessing()
        identifier = spec
    model.eval().to(device)
    return LoadedModel(
        model=model,
        identifier=identifier,
        preprocessing=prep,
        weights_sha256=state_dict_sha256(model),
        spec=spec,
        metadata=metadata,
        file_sha256=file_sha,
    )
