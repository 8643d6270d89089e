"""neuroalign models as Brain-Score models: a ``BrainModel`` and the plugin writer/installer.

Example::

    from neuroalign.brainscore import build_brain_model, write_plugin, install_plugin
    model = build_brain_model("resnet18", "my-resnet18", {"V4": "layer3", "IT": "layer4"})
    model.start_recording("IT", [(70, 170)])
    assembly = model.look_at(stimulus_set)          # presentation x neuroid x time_bin
    install_plugin(write_plugin("resnet18", "my-resnet18", "models"))
    # now brainscore_vision.load_model("my-resnet18") works
"""

from __future__ import annotations

from neuroalign.brainscore.model import (
    DEFAULT_REGION_LAYER_MAP,
    REGIONS,
    VISUAL_DEGREES,
    NeuroalignActivations,
    NeuroalignBrainModel,
    build_brain_model,
    parse_region_layer_map,
    select_v4_layer,
)
from neuroalign.brainscore.plugin import (
    PluginExistsError,
    brainscore_models_dir,
    install_plugin,
    installed_plugin_path,
    uninstall_plugin,
    validate_identifier,
    write_plugin,
)

__all__ = [
    "DEFAULT_REGION_LAYER_MAP",
    "REGIONS",
    "VISUAL_DEGREES",
    "NeuroalignActivations",
    "NeuroalignBrainModel",
    "PluginExistsError",
    "brainscore_models_dir",
    "build_brain_model",
    "install_plugin",
    "installed_plugin_path",
    "parse_region_layer_map",
    "select_v4_layer",
    "uninstall_plugin",
    "validate_identifier",
    "write_plugin",
]
