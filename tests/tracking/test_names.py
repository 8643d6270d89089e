"""Metric column names: built, parsed back, titled; layer names resolved on a model."""

from __future__ import annotations

import pytest
import torch

from neuroalign.tracking import metric_name, parse_metric_name, quantity_title
from neuroalign.tracking.names import MetricName, module_name


def test_names_round_trip_and_layers_are_shown_by_what_they_are() -> None:
    assert metric_name("packing", "neighbour_count", "output") == (
        "packing/embedding/neighbour_count"
    )
    assert metric_name("dimension", "effective_rank", "backbone") == (
        "dimension/representation/effective_rank"
    )
    assert metric_name("alignment", "v4_r", "backbone.layer3") == "alignment/layer3/v4_r"
    assert metric_name("packing", "seconds") == "packing/seconds"
    assert parse_metric_name("alignment/layer3/v4_r") == MetricName("alignment", "layer3", "v4_r")
    assert parse_metric_name("packing/seconds") == MetricName("packing", None, "seconds")
    for plain in ("loss", "knn_top1", "a//b", "a/b/c/d"):
        assert parse_metric_name(plain) is None
    with pytest.raises(ValueError, match="without '/'"):
        metric_name("packing", "a/b")


def test_titles_are_words() -> None:
    assert quantity_title("neighbour_count") == "Neighbour count"
    assert quantity_title("some_new_thing") == "Some new thing"


def test_module_name_resolves_backbone_layers(ssl_model) -> None:
    assert module_name(ssl_model, "output") == "output"
    assert module_name(ssl_model, "backbone") == "backbone"
    assert module_name(ssl_model, "layer3") == "backbone.layer3"
    assert module_name(ssl_model, "head.0") == "head.0"
    with pytest.raises(ValueError, match="unknown layer 'layer9'.*backbone.layer4"):
        module_name(ssl_model, "layer9")
    assert module_name(torch.nn.Sequential(torch.nn.Linear(2, 2)), "0") == "0"
