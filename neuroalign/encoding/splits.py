"""Cross-validation splits over stimuli, exactly as Brain-Score draws them.

Brain-Score (``brainscore_vision.metric_helpers.transformations.Split``) draws 10 random
90 % / 10 % splits of the stimuli with scikit-learn's ``ShuffleSplit`` (``StratifiedShuffleSplit``
over ``object_name`` where the data has objects), ``random_state=1``. The indices returned here
are positions in the *responses'* presentation order, which is the order Brain-Score splits.
With ``seed=1`` (:data:`BRAINSCORE_SEED`) the splits are Brain-Score's own.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit

from neuroalign.defaults import BRAINSCORE_SEED
from neuroalign.errors import DataError

__all__ = ["BRAINSCORE_SEED", "shuffle_splits"]


def shuffle_splits(
    n_stimuli: int,
    n_splits: int = 10,
    test_size: float = 0.1,
    seed: int = BRAINSCORE_SEED,
    stratify: Any = None,
    min_train: int = 3,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``n_splits`` random (train, test) index pairs over ``n_stimuli`` stimuli.

    Args:
        n_stimuli: number of stimuli (presentations after alignment).
        n_splits: number of random splits (Brain-Score: 10).
        test_size: held-out fraction (Brain-Score: 0.1, given as ``train_size=0.9``).
        seed: ``random_state`` of the splitter (Brain-Score: 1).
        stratify: optional (n_stimuli,) labels (e.g. ``object_name``) to balance in every split.
        min_train: fewest training stimuli accepted.

    Returns:
        A list of ``(train_idx, test_idx)`` int arrays.
    """
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be a fraction in (0, 1), got {test_size}")
    if n_splits < 1:
        raise ValueError(f"n_splits must be >= 1, got {n_splits}")
    n_train = int(np.floor((1.0 - test_size) * n_stimuli))
    n_test = n_stimuli - n_train
    if n_test < 2 or n_train < min_train:
        raise DataError(
            f"too few stimuli for {n_splits} splits with test_size={test_size}: {n_stimuli} stimuli "
            f"give {n_train} train / {n_test} test (need >= {min_train} train and >= 2 test)"
        )
    dummy = np.zeros(n_stimuli)
    if stratify is not None:
        labels = np.asarray(stratify)
        if labels.shape != (n_stimuli,):
            raise DataError(f"stratify labels have shape {labels.shape}, expected ({n_stimuli},)")
        splitter = StratifiedShuffleSplit(
            n_splits=n_splits, train_size=1.0 - test_size, random_state=seed
        )
        return [(tr, te) for tr, te in splitter.split(dummy, labels)]
    splitter = ShuffleSplit(n_splits=n_splits, train_size=1.0 - test_size, random_state=seed)
    return [(tr, te) for tr, te in splitter.split(dummy)]
