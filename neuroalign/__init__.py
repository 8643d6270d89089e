"""neuroalign: how well do self-supervised vision networks match the visual cortex?

Pipeline stages, one sub-package each: ``data`` (data sets and neural recordings),
``losses``, ``backbones`` and ``train`` (self-supervised training), ``extract`` (layer
activations as xarray), ``brainscore`` (Brain-Score models and plugins), ``neural_benchmarks``
(V4 / IT benchmarks), ``encoding`` (neural predictivity), ``rsa`` (representational
similarity), ``geometry`` (manifold geometry). Importing the package itself imports nothing
heavy (no torch), so ``neuroalign --help`` is instant.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
