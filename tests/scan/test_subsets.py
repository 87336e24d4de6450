"""K stratified training subsets per size: disjoint where the rows allow, nested across sizes, overlap measured."""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.errors import InvalidInputError
from edgenn.scan.subsets import class_quotas, fold_subsets, permuted_by_class

# an unbalanced 3-class part of a split: dataset rows 1000.. with 500 / 300 / 200 rows per class
ROWS = np.arange(1000, 2000)
LABELS = np.r_[np.zeros(500, int), np.ones(300, int), np.full(200, 2)]


def _order(seed=3):
    return permuted_by_class(ROWS, LABELS, np.random.default_rng(seed))


def _labels_of(rows):
    return LABELS[rows - 1000]


def test_quotas_sum_to_the_size_in_class_proportion():
    for size in (1, 7, 10, 333, 999, 1000):
        q = class_quotas(np.array([500, 300, 200]), size)
        assert q.sum() == size and np.all(np.abs(q - np.array([0.5, 0.3, 0.2]) * size) < 1)


def test_folds_are_disjoint_stratified_and_drawn_from_the_part():
    subsets = fold_subsets(_order(), 300, 3)  # 3 x 300 <= 1000
    assert subsets.disjoint and len(subsets.rows) == 3
    for rows in subsets.rows:
        assert len(rows) == len(np.unique(rows)) == 300 and np.isin(rows, ROWS).all()
        assert np.bincount(_labels_of(rows)).tolist() == [150, 90, 60]


def test_smaller_sizes_are_prefixes_of_larger_ones_within_a_fold():
    order = _order()
    small, large = fold_subsets(order, 100, 3), fold_subsets(order, 300, 3)
    for a, b in zip(small.rows, large.rows):
        assert np.isin(a, b).all()
    assert not np.array_equal(small.rows[0], small.rows[1])


def test_oversubscribed_folds_overlap_as_little_as_the_rows_allow():
    subsets = fold_subsets(_order(), 600, 3)  # 3 x 600 > 1000: some rows in two folds
    assert not subsets.disjoint
    # consecutive windows on a circle of N rows: two folds share at most size - N/K rows (per class, rounded)
    assert 0 < subsets.max_shared <= 600 - 1000 // 3 + 3
    uses = np.bincount(np.concatenate(subsets.rows) - 1000, minlength=1000)
    assert uses.min() >= 1 and uses.max() <= 2  # every row used, none more than ceil(3 * 600 / 1000) times


def test_same_seed_same_subsets_other_seed_other_subsets():
    a, b, c = fold_subsets(_order(3), 200, 2), fold_subsets(_order(3), 200, 2), fold_subsets(_order(4), 200, 2)
    assert all(np.array_equal(x, y) for x, y in zip(a.rows, b.rows))
    assert not np.array_equal(a.rows[0], c.rows[0])


def test_a_size_larger_than_the_part_is_refused_with_the_largest_allowed():
    with pytest.raises(InvalidInputError, match=r"larger than the training split \(1,000 jets\).*up to 1000"):
        fold_subsets(_order(), 1001, 2)
    with pytest.raises(InvalidInputError, match="each of the 3 classes"):
        fold_subsets(_order(), 2, 2)
