"""Cycle timing: how a latency and an II are read off a cycle-by-cycle output trace (the Verilator run itself is
tested on a real design in test_rtl.py and test_rtl_sets.py)."""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.errors import InvalidInputError
from edgenn.exporters.cycle_timing import first_matching_offset, measure_timing


def _trace(expected: np.ndarray, latency: int, ii: int, tail: int = 5) -> np.ndarray:
    """What a pipeline of ``latency`` cycles shows when row r enters at cycle r * ii: zeros until filled, each
    result held until the next one arrives."""
    out = np.zeros((len(expected) * ii + latency + tail, expected.shape[1]))
    for r, row in enumerate(expected):
        out[r * ii + latency:] = row
    return out


def test_the_offset_found_is_the_pipeline_latency_and_no_other():
    expected = np.random.default_rng(0).integers(-8, 8, (50, 3)).astype(float)
    for latency in (0, 1, 4, 9):
        trace = _trace(expected, latency, 1)
        assert first_matching_offset(trace, expected, 1, 20) == latency
    assert first_matching_offset(_trace(expected, 4, 1), expected, 1, 3) is None  # beyond the search bound


def test_a_design_that_takes_a_row_every_two_cycles_fails_ii_1_and_passes_ii_2():
    expected = np.random.default_rng(1).integers(-8, 8, (40, 2)).astype(float)
    slow = _trace(expected, 3, 2)
    assert first_matching_offset(slow, expected, 2, 10) == 3
    # sampled as if rows came every cycle, only row 0 lines up: no single offset fits every row
    assert first_matching_offset(slow, expected, 1, 10) is None


def test_rows_that_cannot_pin_a_latency_down_are_refused():
    xq = np.zeros((10, 4))
    with pytest.raises(InvalidInputError, match="distinct expected outputs"):
        measure_timing("unused.so", ".", None, xq, np.ones((10, 2)), 5.0)  # refused before any simulation
    with pytest.raises(InvalidInputError, match="1 rows"):
        measure_timing("unused.so", ".", None, xq[:1], np.ones((1, 2)), 5.0)
