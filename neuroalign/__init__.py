"""neuroalign: how well do self-supervised vision networks match the visual cortex?

Pipeline stages, one sub-package each: ``data`` (data sets and neural recordings),
``losses`` and ``models`` and ``train`` (self-supervised training), ``extract`` (layer
activations as xarray), ``brainscore`` (Brain-Score models and benchmarks), ``encoding``
(neural predictivity), ``rsa`` (representational similarity), ``geometry`` (manifold geometry).

Importing neuroalign makes ``import torchvision`` work next to a CPU build of torch (see
``neuroalign._torchvision_compat``).
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]


def _prepare_torchvision() -> None:
    try:
        import torch  # noqa: F401
    except ImportError:  # torch-free uses (e.g. reading data) still work
        return
    from neuroalign._torchvision_compat import import_torchvision

    import_torchvision()


_prepare_torchvision()
