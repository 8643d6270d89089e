"""neuroalign: how well do self-supervised vision networks match the visual cortex?

Pipeline stages, one sub-package each: ``data`` (data sets and neural recordings),
``losses``, ``backbones`` and ``train`` (self-supervised training), ``extract`` (layer
activations as xarray), ``brainscore`` (Brain-Score models and plugins), ``neural_benchmarks``
(V4 / IT benchmarks), ``encoding`` (neural predictivity), ``rsa`` (representational
similarity), ``geometry`` (manifold geometry).

Importing neuroalign is cheap (no torch, so ``neuroalign --help`` is instant). It silences the
one warning every Brain-Score import prints, xarray's ``FutureWarning`` that Brain-Score's
``DataAssembly`` subclasses do not define ``__slots__`` (it concerns Brain-Score's classes and
nothing a user can act on). This is the one place it is filtered, so that commands, notebooks
and scripts alike stay quiet.
"""

from __future__ import annotations

import warnings

__version__ = "0.1.0"
__all__ = ["__version__"]

warnings.filterwarnings(
    "ignore",
    message=r"xarray subclass \w+ should explicitly define __slots__",
    category=FutureWarning,
)
