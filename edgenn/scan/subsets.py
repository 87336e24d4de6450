"""K training subsets of one size, drawn from the rows of a split's training (or validation) part.

Per class, the rows are permuted once (a generator from the recipe seed) and laid on a circle; fold k takes the
``n_c`` rows after position ``floor(k * N_c / K)``. When ``K * n_c <= N_c`` the K windows do not meet, so the folds
are disjoint; otherwise they overlap as little as K evenly spaced windows can, every row is used at most
``ceil(K * n_c / N_c)`` times, and ``FoldSubsets.max_shared`` says how many rows two folds have in common. Sizes
share the permutation, so within one fold a smaller subset is a prefix of a larger one (per class) and the curve
moves by the added jets, not by a new draw. Class proportions follow the part being drawn from (largest
remainder), so every subset is stratified.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.errors import InvalidInputError


@dataclass(frozen=True, eq=False)
class FoldSubsets:
    rows: tuple[np.ndarray, ...]  # one sorted array of dataset row indices per fold
    size: int

    @property
    def disjoint(self) -> bool:
        return self.max_shared == 0

    @property
    def max_shared(self) -> int:
        """The most rows any two folds have in common."""
        sets = [set(r.tolist()) for r in self.rows]
        return max((len(a & b) for i, a in enumerate(sets) for b in sets[i + 1:]), default=0)


def class_quotas(counts: np.ndarray, size: int) -> np.ndarray:
    """``size`` split over classes in proportion to ``counts`` (largest remainder; sums to ``size`` exactly)."""
    counts = np.asarray(counts, dtype=np.int64)
    exact = counts * size / counts.sum()
    quota = np.floor(exact).astype(np.int64)
    for k in np.argsort(-(exact - quota), kind="stable")[: size - int(quota.sum())]:
        quota[k] += 1
    return np.minimum(quota, counts)


def permuted_by_class(rows: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> dict[int, np.ndarray]:
    """Each class's rows (dataset indices) in one seeded order; ``labels`` are the labels of ``rows``."""
    return {int(c): rng.permutation(rows[labels == c]) for c in np.unique(labels)}


def fold_subsets(order: dict[int, np.ndarray], size: int, folds: int, *, what: str = "training split") -> FoldSubsets:
    """K stratified subsets of ``size`` rows from the per-class ``order`` (``permuted_by_class``)."""
    classes = sorted(order)
    counts = np.array([len(order[c]) for c in classes])
    total = int(counts.sum())
    if size > total:
        raise InvalidInputError(f"--train-sizes {size}: larger than the {what} ({total:,} jets).",
                                fix=f"use sizes up to {total}, or more jets (a larger dataset or a smaller "
                                    "data.test_fraction / data.val_fraction).")
    quota = class_quotas(counts, size)
    if (quota == 0).any():
        raise InvalidInputError(f"--train-sizes {size}: too few jets to give each of the {len(classes)} classes one.",
                                fix=f"use sizes of at least {len(classes) * 2}.")
    picked = []
    for k in range(folds):
        parts = []
        for c, n_c, q in zip(classes, counts, quota):
            start = (k * int(n_c)) // folds
            parts.append(order[c][(start + np.arange(q)) % n_c])
        picked.append(np.sort(np.concatenate(parts)))
    return FoldSubsets(tuple(picked), size)
