"""The stored error quantiles (edgenn/estimates/error_intervals.json) turned into intervals on the real value."""

from __future__ import annotations

import json

import pytest

from edgenn.estimates.intervals import DATA, interval


def test_stored_table_records_its_designs_and_validation():
    table = json.loads(DATA.read_text())
    for figure in ("lut", "ff", "dsp", "latency_cycles"):
        row = table["figures"][figure]
        assert row["designs"] == len(row["designs_ids"]) >= 20
        assert row["q5"] < 0 < row["q95"] and 0 < row["lodo_coverage"] <= 1


def test_latency_interval_has_an_offset_and_scales_with_the_clock():
    lo, hi, note = interval("latency_cycles", 0.0)
    assert lo == 0.0 and hi > 0  # a 0-cycle estimate still has an upper end (many real designs take 1-2 cycles)
    c_lo, c_hi, _ = interval("latency_cycles", 11.0)
    assert c_lo <= 11.0 <= c_hi
    ns_lo, ns_hi, ns_note = interval("latency_ns", 55.0, 5.0)
    assert (ns_lo, ns_hi) == pytest.approx((c_lo * 5.0, c_hi * 5.0))
    assert interval("latency_ns", 55.0) is None  # without the clock the cycles cannot become ns
    assert note == ns_note and note.startswith("90 % over")


def test_resource_interval_is_relative():
    lo, hi, _ = interval("lut", 1000.0)
    lo2, hi2, _ = interval("lut", 2000.0)
    assert (lo2, hi2) == pytest.approx((2 * lo, 2 * hi)) and lo < 1000.0 < hi
    assert interval("bram", 10.0) is None  # no measured error, no interval claimed


def test_each_design_class_has_its_own_spread_and_an_unknown_class_takes_the_whole_corpus():
    from edgenn.estimates.intervals import DESIGN_CLASSES, SIZE_CLASSES, design_class, error_row

    table = json.loads(DATA.read_text())
    assert set(table["classes"]) <= set(DESIGN_CLASSES) | set(SIZE_CLASSES)
    assert design_class("io_stream", [1]) == "stream" and design_class("io_parallel", [1, 4]) == "parallel_reuse"
    for cls, rows in table["classes"].items():
        for figure, row in rows.items():
            assert row["class"] == cls and row["designs"] == len(row["designs_ids"]) >= 6
            assert set(row["designs_ids"]) <= set(table["figures"][figure]["designs_ids"])
            assert error_row(figure, cls) == row
    assert error_row("lut", "no_such_class") == table["figures"]["lut"]
    lo, hi, note = interval("ff", 1000.0, cls="parallel_rf1")
    assert note.endswith("(parallel_rf1)") and lo < 1000.0 < hi


def test_each_figure_is_classed_its_own_way():
    """LUT by the estimate's size (the issue's 5k trigger size), DSP over the whole corpus, FF and latency by design
    class; the stored table has exactly those classes per figure."""
    from edgenn.estimates.intervals import SIZE_CLASSES, TRIGGER_SIZE_LUT, error_row, interval_class

    rfs = [1, 4]
    assert interval_class("lut", TRIGGER_SIZE_LUT - 1, "io_stream", rfs) == SIZE_CLASSES[0]
    assert interval_class("lut", TRIGGER_SIZE_LUT, "io_parallel", rfs) == SIZE_CLASSES[1]
    assert interval_class("dsp", 40.0, "io_parallel", rfs) is None
    assert interval_class("ff", 40.0, "io_parallel", rfs) == "parallel_reuse"
    assert interval_class("latency_ns", 40.0, "io_stream", rfs) == interval_class("latency_cycles", 4, "io_stream", rfs)
    table = json.loads(DATA.read_text())
    for cls, rows in table["classes"].items():
        assert set(rows) <= ({"lut"} if cls in SIZE_CLASSES else {"ff", "latency_cycles"})
    small, large = (error_row("lut", c) for c in SIZE_CLASSES)
    assert small["class"] == SIZE_CLASSES[0] and large["class"] == SIZE_CLASSES[1]
    assert error_row("dsp", None) == table["figures"]["dsp"]

