"""The cross-validation splits are Brain-Score's (scikit-learn's ShuffleSplit)."""

from __future__ import annotations

import numpy as np

from neuroalign.encoding import shuffle_splits


def test_splits_are_brainscore_shufflesplit():
    from sklearn.model_selection import ShuffleSplit

    ours = shuffle_splits(1200, seed=1)
    ref = list(ShuffleSplit(n_splits=10, train_size=0.9, random_state=1).split(np.zeros(1200)))
    assert len(ours) == 10
    for (a, b), (c, d) in zip(ours, ref):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
