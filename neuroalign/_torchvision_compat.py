"""Make ``import torchvision`` work next to a CPU build of torch.

PyPI ships torchvision 0.28.0 (the release paired with torch 2.13.0) only as a CUDA build. Its
compiled operators (``torchvision::nms``, ``roi_align``, ...) cannot load against the CPU build
of torch, and ``import torchvision`` then fails in ``torchvision/_meta_registrations.py`` with
``RuntimeError: operator torchvision::nms does not exist``.

neuroalign uses only torchvision's pure-Python parts (model definitions, transforms), so when,
and only when, that failure occurs we declare the missing operator *schemas* with
``torch.library`` and import again. The detection operators stay unusable (calling one raises
"no kernel"), which is what a CPU-only install of those ops would give anyway. With a matching
torch/torchvision pair (e.g. the CUDA wheels on a GPU machine) nothing here runs.

``import neuroalign`` does not import torch (commands' ``--help`` stays instant): it calls
:func:`install_import_hook`, and the first ``import torchvision`` of the process, by neuroalign
or anyone else, then runs :func:`import_torchvision`.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import re
import sys
from types import ModuleType

__all__ = ["TORCHVISION_OPS_SHIMMED", "import_torchvision", "install_import_hook"]

# Schemas of the operators torchvision's C++ library would register (torchvision/csrc/ops).
_SCHEMAS: dict[str, str] = {
    "nms": "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms": "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "roi_align": (
        "roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
        "SymInt pooled_width, int sampling_ratio, bool aligned) -> Tensor"
    ),
    "_roi_align_backward": (
        "_roi_align_backward(Tensor grad, Tensor rois, float spatial_scale, SymInt pooled_height, "
        "SymInt pooled_width, SymInt batch_size, SymInt channels, SymInt height, SymInt width, "
        "int sampling_ratio, bool aligned) -> Tensor"
    ),
    "qroi_align": (
        "qroi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
        "SymInt pooled_width, int sampling_ratio, bool aligned) -> Tensor"
    ),
    "ps_roi_align": (
        "ps_roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
        "SymInt pooled_width, int sampling_ratio) -> (Tensor, Tensor)"
    ),
    "_ps_roi_align_backward": (
        "_ps_roi_align_backward(Tensor grad, Tensor rois, Tensor channel_mapping, "
        "float spatial_scale, SymInt pooled_height, SymInt pooled_width, int sampling_ratio, "
        "SymInt batch_size, SymInt channels, SymInt height, SymInt width) -> Tensor"
    ),
    "roi_pool": (
        "roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
        "SymInt pooled_width) -> (Tensor, Tensor)"
    ),
    "_roi_pool_backward": (
        "_roi_pool_backward(Tensor grad, Tensor rois, Tensor argmax, float spatial_scale, "
        "SymInt pooled_height, SymInt pooled_width, SymInt batch_size, SymInt channels, "
        "SymInt height, SymInt width) -> Tensor"
    ),
    "ps_roi_pool": (
        "ps_roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
        "SymInt pooled_width) -> (Tensor, Tensor)"
    ),
    "_ps_roi_pool_backward": (
        "_ps_roi_pool_backward(Tensor grad, Tensor rois, Tensor channel_mapping, "
        "float spatial_scale, SymInt pooled_height, SymInt pooled_width, SymInt batch_size, "
        "SymInt channels, SymInt height, SymInt width) -> Tensor"
    ),
    "deform_conv2d": (
        "deform_conv2d(Tensor input, Tensor weight, Tensor offset, Tensor mask, Tensor bias, "
        "SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, SymInt dilation_h, "
        "SymInt dilation_w, SymInt groups, SymInt offset_groups, bool use_mask) -> Tensor"
    ),
    "_deform_conv2d_backward": (
        "_deform_conv2d_backward(Tensor grad, Tensor input, Tensor weight, Tensor offset, "
        "Tensor mask, Tensor bias, SymInt stride_h, SymInt stride_w, SymInt pad_h, "
        "SymInt pad_w, SymInt dilation_h, SymInt dilation_w, SymInt groups, "
        "SymInt offset_groups, bool use_mask) -> (Tensor, Tensor, Tensor, Tensor, Tensor)"
    ),
}
_MISSING_OP = re.compile(r"operator torchvision::(\w+) does not exist")

#: True once this module had to declare torchvision's operator schemas itself.
TORCHVISION_OPS_SHIMMED = False
_library = None  # keeps the torch.library.Library alive for the process


def _forget_partial_import() -> None:
    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]


def _declare_all_schemas() -> None:
    global _library, TORCHVISION_OPS_SHIMMED
    import torch

    if _library is None:
        _library = torch.library.Library("torchvision", "FRAGMENT")
    for name, schema in _SCHEMAS.items():
        if not _op_exists(name):
            _library.define(schema)
    TORCHVISION_OPS_SHIMMED = True


def _op_exists(name: str) -> bool:
    import torch

    try:
        getattr(torch.ops.torchvision, name).default  # noqa: B018
    except (AttributeError, RuntimeError):
        return False
    return True


def import_torchvision() -> ModuleType:
    """Import and return ``torchvision``, declaring its C++ op schemas only if they fail to load."""
    if "torchvision" in sys.modules and hasattr(sys.modules["torchvision"], "models"):
        return sys.modules["torchvision"]
    try:
        import torchvision
    except RuntimeError as err:
        if not _MISSING_OP.search(str(err)):
            raise
        _forget_partial_import()
        _declare_all_schemas()
        import torchvision
    return torchvision


class _FirstImport(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finder + loader that routes the first ``import torchvision`` to :func:`import_torchvision`.

    The module it creates is a placeholder: ``exec_module`` removes it, takes itself off
    ``sys.meta_path`` and imports torchvision for real, whose module then replaces the
    placeholder in ``sys.modules`` (the import system returns what ``sys.modules`` holds).
    """

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "torchvision":
            return None
        real = importlib.machinery.PathFinder.find_spec(fullname, path)
        if real is None:
            return None
        return importlib.util.spec_from_loader(fullname, self, origin=real.origin)

    def create_module(self, spec):
        return None  # the default (empty) module, replaced in exec_module

    def exec_module(self, module: ModuleType) -> None:
        uninstall_import_hook()
        del sys.modules[module.__name__]
        import_torchvision()


_HOOK = _FirstImport()


def install_import_hook() -> None:
    """Make the first ``import torchvision`` go through :func:`import_torchvision` (idempotent)."""
    if "torchvision" not in sys.modules and _HOOK not in sys.meta_path:
        sys.meta_path.insert(0, _HOOK)


def uninstall_import_hook() -> None:
    if _HOOK in sys.meta_path:
        sys.meta_path.remove(_HOOK)
