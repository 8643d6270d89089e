"""ResNet backbones (He et al. 2016, "Deep Residual Learning for Image Recognition").

The networks are torchvision's ResNet-18/34/50 with random initialisation (weights are never
downloaded). Module names are torchvision's (``conv1, bn1, relu, maxpool, layer1..layer4,
avgpool``) so that layer names used for activation extraction match other tools; ``fc`` is
replaced by :class:`torch.nn.Identity`, so the output is the pooled feature vector
(B, 512) for ResNet-18/34 and (B, 2048) for ResNet-50.

The CIFAR stem (used by SimCLR's and CLAMP's CIFAR-10 recipes) replaces the 7x7 stride-2
``conv1`` by a 3x3 stride-1 convolution and drops the max-pool, so 32x32 images keep a 4x4 map
at ``layer4`` instead of 1x1.
"""

from __future__ import annotations

from torch import nn

__all__ = ["FEATURE_DIMS", "resnet_backbone"]

#: Width of the pooled features of each architecture.
FEATURE_DIMS: dict[str, int] = {"resnet18": 512, "resnet34": 512, "resnet50": 2048}


def resnet_backbone(
    name: str, *, cifar_stem: bool = False, zero_init_residual: bool = False
) -> nn.Module:
    """A randomly initialised torchvision ResNet whose ``fc`` is an identity.

    Args:
        name: ``"resnet18"``, ``"resnet34"`` or ``"resnet50"``.
        cifar_stem: 3x3 stride-1 ``conv1`` and no max-pool (for 32x32 images).
        zero_init_residual: zero the last BN of each residual block (Goyal et al. 2017).

    Returns:
        a module mapping images (B, 3, H, W) to features (B, FEATURE_DIMS[name]); it carries
        ``feature_dim`` and ``arch`` attributes.
    """
    import torchvision

    if name not in FEATURE_DIMS:
        raise ValueError(f"unknown ResNet {name!r}; valid: {sorted(FEATURE_DIMS)}")
    model = getattr(torchvision.models, name)(weights=None, zero_init_residual=zero_init_residual)
    if cifar_stem:
        model.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
        nn.init.kaiming_normal_(model.conv1.weight, mode="fan_out", nonlinearity="relu")
        model.maxpool = nn.Identity()
    model.fc = nn.Identity()
    model.feature_dim = FEATURE_DIMS[name]
    model.arch = name
    return model
