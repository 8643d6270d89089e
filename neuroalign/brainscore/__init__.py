"""neuroalign and Brain-Score, both ways: models as ``BrainModel`` s and self-contained model
plugins; neuroalign's benchmarks as Brain-Score benchmark plugins.

Example::

    from neuroalign.brainscore import build_brain_model, write_plugin, install_plugin
    model = build_brain_model("resnet18:IMAGENET1K_V1", "my-r18", {"V4": "layer3", "IT": "layer4"})
    model.start_recording("IT", [(70, 170)])
    assembly = model.look_at(stimulus_set)          # presentation x neuroid x time_bin
    install_plugin(write_plugin("resnet18:IMAGENET1K_V1", "my-r18", "models"))
    # now brainscore_vision.load_model("my-r18") works, without neuroalign
    install_benchmark_plugins()
    # now brainscore_vision.score("my-r18", "Cowley2023.V4-pls") works

The command line does the same with ``neuroalign register`` (:mod:`.registration`).
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> the module that defines it (imported on first use, so that importing a
#: configuration such as ``neuroalign.brainscore.registration.RegisterConfig`` stays light).
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(
        ["BENCHMARK_IDENTIFIERS", "install_benchmark_plugins", "render_benchmark_plugin"],
        "benchmark_plugins",
    ),
    **dict.fromkeys(
        [
            "DEFAULT_REGION_LAYER_MAP",
            "REGIONS",
            "VISUAL_DEGREES",
            "NeuroalignActivations",
            "NeuroalignBrainModel",
            "build_brain_model",
            "parse_region_layer_map",
            "select_v4_layer",
        ],
        "model",
    ),
    **dict.fromkeys(
        [
            "PluginExistsError",
            "brainscore_plugins_dir",
            "install_files",
            "install_plugin",
            "installed_plugin_path",
            "plugin_folder_name",
            "render_plugin",
            "uninstall_plugin",
            "validate_identifier",
            "write_plugin",
        ],
        "plugin",
    ),
    **dict.fromkeys(["RegisterConfig", "RegisterResult", "register"], "registration"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'neuroalign.brainscore' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"neuroalign.brainscore.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
