"""The QONNX ``Quant`` node, evaluated exactly, and the fixed-point type that holds its output.

qonnx's executor computes in float32, so it cannot serve as the reference for a bit-exact check of the C simulation;
here the integer code is computed in float64 (exact for the bit widths of trigger networks, < 2**52) and rescaled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from edgenn.errors import InvalidInputError

# qonnx 1.0.0's rounding modes (custom_op/general/intquant.py resolve_rounding_mode); np.round is half to even
ROUNDING = {
    "ROUND": np.round,
    "HALF_EVEN": np.round,
    "CEIL": np.ceil,
    "FLOOR": np.floor,
    "ROUND_TO_ZERO": np.trunc,
    "DOWN": np.trunc,
    "UP": lambda v: np.sign(v) * np.ceil(np.abs(v)),
    "HALF_UP": lambda v: np.sign(v) * np.floor(np.abs(v) + 0.5),
    "HALF_DOWN": lambda v: np.sign(v) * np.ceil(np.abs(v) - 0.5),
}


def quant_bounds(bits: float, signed: bool, narrow: bool) -> tuple[float, float]:
    """The smallest and largest integer code of a Quant node, per the QONNX definition."""
    if signed:
        return -(2.0 ** (bits - 1)) + (1 if narrow else 0), 2.0 ** (bits - 1) - 1
    return 0.0, 2.0 ** bits - 1 - (1 if narrow else 0)


def quant_exact(x, scale, zero_point, bits: float, signed: bool, narrow: bool, rounding: str = "ROUND") -> np.ndarray:
    """y = (clip(round(x / scale + zp), lo, hi) - zp) * scale in float64."""
    if rounding not in ROUNDING:
        raise InvalidInputError(f"Quant rounding_mode {rounding!r} is not supported.",
                                fix=f"use one of {', '.join(ROUNDING)}.")
    x = np.asarray(x, np.float64)
    scale, zp = np.asarray(scale, np.float64), np.asarray(zero_point, np.float64)
    lo, hi = quant_bounds(bits, signed, narrow)
    code = np.clip(ROUNDING[rounding](x / scale + zp), lo, hi)
    return (code - zp) * scale


@dataclass(frozen=True)
class FixedType:
    width: int
    integer: int
    signed: bool

    def hls(self) -> str:
        return f"{'' if self.signed else 'u'}fixed<{self.width},{self.integer}>"


def power_of_two_exponent(scale) -> int | None:
    """log2 of a scale that is one power of two for the whole tensor, else None."""
    s = np.unique(np.asarray(scale, np.float64).ravel())
    if len(s) != 1 or s[0] <= 0:
        return None
    m, e = math.frexp(float(s[0]))
    return e - 1 if m == 0.5 else None


def quant_fixed_type(scale, zero_point, bits: int, signed: bool, name: str = "Quant") -> FixedType:
    """The ap_fixed type that holds every output of a Quant node exactly; refuses what hls4ml's fixed point cannot."""
    e = power_of_two_exponent(scale)
    if e is None:
        raise InvalidInputError(f"{name}: scale {np.ravel(scale)[:4]} is not a single power of two, so its outputs "
                                "are not fixed-point numbers and the C simulation cannot be exact.",
                                fix="re-export with power-of-two scales (Brevitas: scaling_impl_type / "
                                    "restrict_scaling_type POWER_OF_TWO).")
    if np.any(np.asarray(zero_point) != 0):
        raise InvalidInputError(f"{name}: non-zero zero point {np.ravel(zero_point)[:4]}.",
                                fix="use symmetric (zero-point 0) quantisers.")
    return FixedType(int(bits), int(bits) + e, signed)  # lsb 2**e: I - W = e
