"""FixedPoint: the ap_fixed string and the numpy cast, checked against the real ap_fixed headers hls4ml ships."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from edgenn.errors import InvalidInputError
from edgenn.exporters.fixed_point import (
    ROUNDING_MODES,
    SATURATION_MODES,
    FixedPoint,
    lsb_exponent,
    smallest_holding,
)


def test_to_hls_strings_and_range():
    assert FixedPoint(16, 6).to_hls() == "ap_fixed<16,6>"
    assert FixedPoint(8, 4, False, "RND_CONV", "SAT").to_hls() == "ap_ufixed<8,4,AP_RND_CONV,AP_SAT>"
    assert FixedPoint(8, 4, True, "TRN", "SAT").to_hls() == "ap_fixed<8,4,AP_TRN,AP_SAT>"
    assert FixedPoint(8, 4, True, "RND", "WRAP").to_hls() == "ap_fixed<8,4,AP_RND>"
    fp = FixedPoint(8, 3)
    assert (fp.lsb, fp.min, fp.max) == (2**-5, -4.0, 4.0 - 2**-5)
    assert FixedPoint(4, -2, False).max == 15 * 2**-6  # negative integer bits: all bits are fraction
    assert FixedPoint.from_dict(fp.to_dict()) == fp


def test_invalid_fields_are_named():
    with pytest.raises(InvalidInputError, match="FixedPoint.width"):
        FixedPoint(0, 0)
    with pytest.raises(InvalidInputError, match="FixedPoint.rounding"):
        FixedPoint(8, 3, True, "ROUND")  # type: ignore[arg-type]


def test_quantize_ties_and_overflow_by_hand():
    fp = FixedPoint(4, 2, True, "RND_CONV", "SAT")  # step 0.25, range [-2, 1.75]
    x = np.array([0.125, 0.375, -0.125, -0.375, 1.8, 1.875, -2.2, -2.125])
    assert fp.quantize(x).tolist() == [0.0, 0.5, 0.0, -0.5, 1.75, 1.75, -2.0, -2.0]
    wrap = FixedPoint(4, 2, True, "TRN", "WRAP")
    assert wrap.quantize(np.array([2.0, 1.99, -2.25])).tolist() == [-2.0, 1.75, 1.75]


def test_smallest_holding_and_lsb_exponent():
    assert smallest_holding(-3.75, 3.75, 4) == FixedPoint(7, 3, True)
    assert smallest_holding(0.0, 3.75, 2) == FixedPoint(4, 2, False)
    assert lsb_exponent(np.array([0.5, -1.0, 1.5, 0.25])) == -2
    assert lsb_exponent(np.zeros(3)) is None


_CPP = r"""
#include <cstdio>
#include "ap_fixed.h"
template <class T> void emit(const double* x, int n) {
    for (int i = 0; i < n; i++) { T v = x[i]; std::printf("%.17g ", v.to_double()); }
    std::printf("\n");
}
int main() {
    int n; if (std::scanf("%d", &n) != 1) return 1;
    double x[4096]; for (int i = 0; i < n; i++) std::scanf("%lf", &x[i]);
@@CALLS@@
    return 0;
}
"""
_TYPES = [FixedPoint(6, 3, True), FixedPoint(5, 2, False)]


def _edge_values() -> np.ndarray:
    lsb = 2.0 ** -3
    grid = np.arange(-12.0, 12.0, lsb / 4)  # on-grid values, exact ties (x.5 lsb) and quarter steps
    return np.concatenate([grid, [-0.0, 1e-9, -1e-9, 100.3, -100.3, 3.9375 + 1e-12, -4.0625]])


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")
def test_quantize_matches_ap_fixed_for_every_mode(tmp_path: Path):
    import hls4ml

    include = Path(hls4ml.__file__).parent / "templates" / "vivado" / "ap_types"
    combos = [fp.with_modes(q, o) for fp in _TYPES for q, o in itertools.product(ROUNDING_MODES, SATURATION_MODES)]
    calls = "\n".join(f"    emit<{fp.to_hls()}>(x, n);" for fp in combos)
    src = tmp_path / "cast.cpp"
    src.write_text(_CPP.replace("@@CALLS@@", calls))
    exe = tmp_path / "cast"
    subprocess.run(["g++", "-O0", "-std=c++14", f"-I{include}", str(src), "-o", str(exe)], check=True)
    x = _edge_values()
    stdin = f"{x.size}\n" + " ".join(repr(float(v)) for v in x)
    out = subprocess.run([str(exe)], input=stdin, capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(out) == len(combos)
    for fp, line in zip(combos, out):
        expected = np.array([float(v) for v in line.split()])
        got = fp.quantize(x)
        bad = np.flatnonzero(got != expected)
        assert bad.size == 0, f"{fp.to_hls()}: x={x[bad[:5]]} numpy={got[bad[:5]]} ap_fixed={expected[bad[:5]]}"
