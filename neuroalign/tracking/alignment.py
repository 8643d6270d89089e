"""Brain alignment while a network learns: V4 predictivity and IT RSA, fast enough to repeat.

Two scores, measured on stimuli preloaded once (:class:`AlignmentProbe`: decoded and resized to
the network's input size exactly as the benchmarks' extraction does, the whole stimulus with no
crop -- Brain-Score's convention, :meth:`neuroalign.neural_benchmarks.NeuralBenchmark.preprocessing`):

- **V4 predictivity** (Cowley, Stan, Pillow & Smith 2023; SCIENCE.md section 3): the features of
  a layer to one session's images (default :data:`~neuroalign.defaults.V4_SESSION`, 640 images,
  the session with single trials) are reduced by a seeded Gaussian random projection to
  ``v4_features`` dimensions (Johnson-Lindenstrauss; the same projection at every call), then
  mapped to the neurons by ridge with a per-neuroid alpha on Brain-Score's 10 random 90/10
  splits (``random_state=1``), per-neuroid Pearson r, median over neuroids, mean over splits
  (:func:`neuroalign.encoding.score_design`). The responses and splits are prepared once. With
  the projection the cost is a forward pass plus ten small ridge fits instead of ten fits on a
  conv map of 10^4 - 10^5 features; the score is that of the projected features (it equals
  ``neuroalign score --reduce-k K`` at seed 0). Where the session has a ceiling the
  ceiled explained variance r² / ceiling is reported too.
- **IT RSA** (Kriegeskorte et al. 2008; SCIENCE.md section 4): Spearman correlation of the
  layer's RDM (1 - Pearson r over the 92 images, full features) with the monkey-IT and the
  human-IT RDM (:meth:`neuroalign.neural_benchmarks.Kriegeskorte2008IT.compare`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from neuroalign.defaults import (
    BRAINSCORE_SEED,
    TRACK_IT_LAYERS,
    TRACK_V4_FEATURES,
    TRACK_V4_LAYERS,
    V4_SESSION,
)
from neuroalign.preprocessing import Preprocessing
from neuroalign.tracking.names import metric_name, module_name

__all__ = ["AlignmentProbe", "alignment_metrics"]


def _load_images(stimulus_set: Any, ids: Sequence[str], prep: Preprocessing) -> torch.Tensor:
    """uint8 (N, 3, S, S): each stimulus file decoded and resized whole to S x S (``prep`` full
    field; PIL resampling, as :func:`neuroalign.extract.extract_activations` decodes files)."""
    from torchvision.transforms.v2 import functional as tvf

    from neuroalign.data import open_image

    return torch.stack(
        [
            tvf.pil_to_tensor(
                prep.full_field().resize_crop(open_image(stimulus_set.get_stimulus(i)))
            )
            for i in ids
        ]
    )


@dataclass(frozen=True)
class AlignmentProbe:
    """The stimuli and recordings of the alignment tracker, prepared once.

    Attributes:
        preprocessing: the network's preprocessing; the images are its input size (full field).
        v4_images: uint8 (n_v4, 3, S, S), in the order of ``v4_data``'s presentations.
        v4_data: the session's responses (:class:`neuroalign.encoding.crossval.AlignedData`).
        v4_splits: Brain-Score's (train, test) index pairs over the n_v4 images.
        v4_ceiling: the session's split-half ceiling, or ``None``.
        it_images: uint8 (92, 3, S, S) in the order of the benchmark's stimulus set.
        it_benchmark: the :class:`~neuroalign.neural_benchmarks.Kriegeskorte2008IT` benchmark.
        session: the Cowley 2023 session.
    """

    preprocessing: Preprocessing
    v4_images: torch.Tensor
    v4_data: Any
    v4_splits: list[tuple[np.ndarray, np.ndarray]] = field(repr=False)
    v4_ceiling: Any
    it_images: torch.Tensor
    it_benchmark: Any = field(repr=False)
    session: str = V4_SESSION

    @classmethod
    def load(
        cls,
        preprocessing: Preprocessing,
        *,
        session: str = V4_SESSION,
        n_v4_images: int | None = None,
        n_splits: int = 10,
        root: Any = None,
    ) -> AlignmentProbe:
        """Load the V4 session and the 92 IT images, resized whole to the network's input size.

        Args:
            preprocessing: the network's :class:`~neuroalign.preprocessing.Preprocessing`.
            session: the Cowley 2023 session.
            n_v4_images: use only the first N images of the session (no ceiling then, since
                the session's ceiling is that of all its images); None: all.
            n_splits: Brain-Score's random 90/10 splits (10).
            root: data folder (default: the neuroalign data home / mirror).
        """
        from neuroalign.encoding import prepare_responses, shuffle_splits
        from neuroalign.neural_benchmarks import Cowley2023V4, Kriegeskorte2008IT

        v4 = Cowley2023V4("ridge", [session], root=root, n_splits=n_splits)
        responses = v4.assemblies[session]
        ceiling = v4.ceilings.get(session)
        if n_v4_images is not None:
            if n_v4_images < 20:
                raise ValueError(f"n_v4_images must be >= 20 (or None), got {n_v4_images}")
            if n_v4_images < responses.sizes["presentation"]:
                responses = responses.isel(presentation=slice(0, int(n_v4_images)))
                ceiling = None
        data = prepare_responses(responses)
        splits = shuffle_splits(len(data.stimulus_ids), n_splits, 0.1, BRAINSCORE_SEED)
        v4_images = _load_images(responses.attrs["stimulus_set"], data.stimulus_ids, preprocessing)
        it = Kriegeskorte2008IT(root=root)
        it_set = it.data.stimulus_set
        it_images = _load_images(it_set, [str(s) for s in it_set["stimulus_id"]], preprocessing)
        return cls(preprocessing, v4_images, data, splits, ceiling, it_images, it, str(session))


def alignment_metrics(
    model: Any,
    probe: AlignmentProbe,
    *,
    v4_layers: Sequence[str] = TRACK_V4_LAYERS,
    it_layers: Sequence[str] = TRACK_IT_LAYERS,
    v4_features: int | None = TRACK_V4_FEATURES,
    seed: int = 0,
    preprocessing: Preprocessing | None = None,
    batch_size: int = 256,
) -> dict[str, float]:
    """V4 predictivity and IT RSA of a network's layers on the probe's stimuli.

    Args:
        model: an ``nn.Module`` or a :class:`~neuroalign.extract.LoadedModel` (``layer3`` means
            ``backbone.layer3`` on an SSLModel or checkpoint).
        probe: the preloaded :class:`AlignmentProbe`.
        v4_layers, it_layers: layers scored against V4 / IT (either may be empty).
        v4_features: random-projection size of a V4 layer (layers with at most this many
            features are used whole); None: no projection.
        seed: seed of the random projection (the same at every call).
        preprocessing: must equal the probe's (checked); default the probe's.
        batch_size: images per forward pass.

    Returns:
        ``alignment/LAYER/v4_r`` (raw ridge r), ``alignment/LAYER/v4_ev`` (r² / ceiling, with a
        ceiling), ``alignment/LAYER/it_monkey`` and ``alignment/LAYER/it_human`` (Spearman),
        and ``alignment/seconds``.
    """
    from neuroalign.encoding import Design, score_design
    from neuroalign.extract import layer_views

    if preprocessing is not None and preprocessing != probe.preprocessing:
        raise ValueError(
            f"alignment: the probe was loaded for {probe.preprocessing.describe()} but the "
            f"model uses {preprocessing.describe()}; load the probe with the model's "
            "preprocessing"
        )
    if not v4_layers and not it_layers:
        raise ValueError("alignment: name at least one V4 or IT layer")
    start = time.perf_counter()
    # the images are already S x S (full field): only the normalisation is left to do
    prep = probe.preprocessing.full_field()
    out: dict[str, float] = {}
    if v4_layers:
        names = [module_name(model, layer) for layer in v4_layers]
        feats = layer_views(
            model,
            probe.v4_images,
            names,
            preprocessing=prep,
            seed=seed,
            max_features=v4_features,
            batch_size=batch_size,
        )
        for name in names:
            X = feats[name].double().cpu().numpy()
            result = score_design(
                Design(X),
                probe.v4_data,
                "ridge",
                splits=probe.v4_splits,
                train_scores=False,
                ceiling=probe.v4_ceiling,
            )
            out[metric_name("alignment", "v4_r", name)] = float(result.center)
            if probe.v4_ceiling is not None:
                out[metric_name("alignment", "v4_ev", name)] = float(result.explained_variance)
    if it_layers:
        names = [module_name(model, layer) for layer in it_layers]
        feats = layer_views(
            model, probe.it_images, names, preprocessing=prep, batch_size=batch_size
        )
        for name in names:
            scores = probe.it_benchmark.compare(feats[name].double().cpu().numpy())
            out[metric_name("alignment", "it_monkey", name)] = scores["monkey_IT"]
            out[metric_name("alignment", "it_human", name)] = scores["human_IT"]
    out[metric_name("alignment", "seconds")] = time.perf_counter() - start
    return out
