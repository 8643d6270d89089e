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

from neuroalign._lazy import lazy_exports

# names are imported on first use (a config or a light module costs no torch)
__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "benchmark_plugins": (
            "BENCHMARK_IDENTIFIERS",
            "install_benchmark_plugins",
            "render_benchmark_plugin",
        ),
        "model": (
            "NeuroalignActivations",
            "NeuroalignBrainModel",
            "REGIONS",
            "VISUAL_DEGREES",
            "build_brain_model",
            "parse_region_layer_map",
            "select_v4_layer",
        ),
        "plugin": (
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
        ),
        "registration": ("RegisterConfig", "RegisterResult", "register"),
    },
)
