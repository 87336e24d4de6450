"""The LUT <-> EBOPs relation a compress.target lut is mapped by: inverse of itself, fitted to its own points."""

import pytest

from edgenn.compression.resource_map import POINTS, RELATION, fit_power_law


def test_lut_and_ebops_maps_are_inverse():
    for lut in (1_000, 10_000, 100_000):
        assert RELATION.lut_for_ebops(RELATION.ebops_for_lut(lut)) == pytest.approx(lut)


def test_the_fit_reproduces_its_measured_points_and_grows_with_ebops():
    assert len(POINTS) >= 2
    for ebops, lut in POINTS:
        assert RELATION.lut_for_ebops(ebops) == pytest.approx(lut, rel=0.35)
    assert RELATION.b > 0
    exact = fit_power_law("two points", ((100.0, 300.0), (1000.0, 1200.0)))
    assert exact.lut_for_ebops(100.0) == pytest.approx(300.0) and exact.lut_for_ebops(1000.0) == pytest.approx(1200.0)
    assert "compression/resource_map.py" in RELATION.description
