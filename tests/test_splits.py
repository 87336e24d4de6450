"""The split record: drawn once, saved with the model, read back by every later stage as the same rows."""

import numpy as np
import pytest

from edgenn.errors import InvalidInputError
from edgenn.splits import SplitRecord


def test_draw_is_stratified_disjoint_and_complete():
    labels = np.repeat([0, 1, 2], [100, 50, 10])
    s = SplitRecord.draw(labels, 0.2, 0.3, seed=7)
    rows = np.concatenate([s.train, s.val, s.test])
    assert sorted(rows.tolist()) == list(range(len(labels)))
    for k, n in ((0, 100), (1, 50), (2, 10)):
        assert np.sum(labels[s.test] == k) == round(n * 0.3) and np.sum(labels[s.val] == k) == round(n * 0.2)
    other = SplitRecord.draw(labels, 0.2, 0.3, seed=8)
    assert not np.array_equal(s.test, other.test)


def test_save_load_round_trip_and_dataset_check(tmp_path):
    labels = np.random.default_rng(0).integers(0, 5, 300)
    s = SplitRecord.draw(labels, 0.25, 0.25, seed=3)
    s.save(tmp_path / "splits.npz")
    back = SplitRecord.load(tmp_path / "splits.npz")
    for part in ("train", "val", "test"):
        assert np.array_equal(getattr(back, part), getattr(s, part))
    assert (back.num_rows, back.labels_hash, back.seed) == (300, s.labels_hash, 3)
    back.check_matches(labels, "data")
    with pytest.raises(InvalidInputError, match="not the one this model was split on"):
        back.check_matches(labels[:-1], "data")
    changed = labels.copy()
    changed[0] = (changed[0] + 1) % 5
    with pytest.raises(InvalidInputError):
        back.check_matches(changed, "data")
    assert list(tmp_path.iterdir()) == [tmp_path / "splits.npz"]  # no temporary file left beside it
