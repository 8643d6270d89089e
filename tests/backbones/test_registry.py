"""The backbone registry: names -> models, unknown names refused."""

from __future__ import annotations

import pytest

from neuroalign.backbones import available_models, create_model


def test_registry_lists_models_and_rejects_unknown():
    assert available_models() == ["resnet18", "resnet34", "resnet50"]
    with pytest.raises(ValueError, match="resnet18, resnet34, resnet50"):
        create_model("vgg11")
