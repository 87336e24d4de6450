"""Typed fixed-point numbers: the one place that spells ``ap_fixed<...>`` and the numpy reference of its casts.

``FixedPoint(width, integer, signed, rounding, saturation)`` follows Xilinx ``ap_fixed``/``ap_ufixed``: ``width`` bits in
total, ``integer`` of them left of the binary point (the sign bit included when signed), so the step is
``lsb = 2 ** (integer - width)``. ``integer`` may be negative or larger than ``width``. ``quantize`` reproduces the cast
of a real number to that type: first rounding to the grid (``rounding``), then handling overflow (``saturation``),
in that order, as ``ap_fixed`` does. Values are handled in float64, which is exact for widths up to 53 bits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from edgenn.errors import InvalidInputError

Rounding = Literal["TRN", "TRN_ZERO", "RND", "RND_ZERO", "RND_MIN_INF", "RND_INF", "RND_CONV"]
Saturation = Literal["WRAP", "SAT", "SAT_ZERO", "SAT_SYM"]
ROUNDING_MODES: tuple[str, ...] = ("TRN", "TRN_ZERO", "RND", "RND_ZERO", "RND_MIN_INF", "RND_INF", "RND_CONV")
SATURATION_MODES: tuple[str, ...] = ("WRAP", "SAT", "SAT_ZERO", "SAT_SYM")

# float64 represents every integer below 2**53 exactly; wider types would make the reference itself inexact.
MAX_EXACT_WIDTH = 53


@dataclass(frozen=True)
class FixedPoint:
    """An ``ap_fixed``/``ap_ufixed`` type. ``integer`` counts the sign bit when ``signed``."""

    width: int
    integer: int
    signed: bool = True
    rounding: Rounding = "TRN"
    saturation: Saturation = "WRAP"

    def __post_init__(self) -> None:
        if not isinstance(self.width, int) or self.width < 1:
            raise InvalidInputError(f"FixedPoint.width: must be an integer >= 1 (got {self.width!r}).")
        if not isinstance(self.integer, int):
            raise InvalidInputError(f"FixedPoint.integer: must be an integer (got {self.integer!r}).")
        if self.rounding not in ROUNDING_MODES:
            raise InvalidInputError(
                f"FixedPoint.rounding: must be one of {', '.join(ROUNDING_MODES)} (got {self.rounding!r})."
            )
        if self.saturation not in SATURATION_MODES:
            raise InvalidInputError(
                f"FixedPoint.saturation: must be one of {', '.join(SATURATION_MODES)} (got {self.saturation!r})."
            )

    # ----- grid and range -------------------------------------------------------------------------------------
    @property
    def fraction(self) -> int:
        """Bits right of the binary point (negative when the step is coarser than 1)."""
        return self.width - self.integer

    @property
    def lsb(self) -> float:
        return float(2.0 ** (self.integer - self.width))

    @property
    def min_code(self) -> int:
        return -(2 ** (self.width - 1)) if self.signed else 0

    @property
    def max_code(self) -> int:
        return 2 ** (self.width - 1) - 1 if self.signed else 2**self.width - 1

    @property
    def min(self) -> float:
        return self.min_code * self.lsb

    @property
    def max(self) -> float:
        return self.max_code * self.lsb

    def with_modes(self, rounding: Rounding, saturation: Saturation) -> FixedPoint:
        return FixedPoint(self.width, self.integer, self.signed, rounding, saturation)

    # ----- export ---------------------------------------------------------------------------------------------
    def to_hls(self) -> str:
        """The ``ap_fixed<W,I[,Q[,O]]>`` string; default modes (TRN, WRAP) are left out as Vivado/Vitis HLS does."""
        base = "ap_fixed" if self.signed else "ap_ufixed"
        args = [str(self.width), str(self.integer)]
        if self.rounding != "TRN" or self.saturation != "WRAP":
            args.append(f"AP_{self.rounding}")
        if self.saturation != "WRAP":
            args.append(f"AP_{self.saturation}")
        return f"{base}<{','.join(args)}>"

    def to_dict(self) -> dict[str, object]:
        return {
            "type": self.to_hls(),
            "width": self.width,
            "integer": self.integer,
            "signed": self.signed,
            "rounding": self.rounding,
            "saturation": self.saturation,
            "lsb": self.lsb,
            "min": self.min,
            "max": self.max,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> FixedPoint:
        return cls(
            int(data["width"]),  # type: ignore[arg-type]
            int(data["integer"]),  # type: ignore[arg-type]
            bool(data["signed"]),
            data["rounding"],  # type: ignore[arg-type]
            data["saturation"],  # type: ignore[arg-type]
        )

    # ----- numpy reference ------------------------------------------------------------------------------------
    def quantize(self, x: np.ndarray) -> np.ndarray:
        """Cast real values to this type as ``ap_fixed`` does (round, then overflow). Returns float64 values."""
        if self.width > MAX_EXACT_WIDTH:
            raise InvalidInputError(
                f"FixedPoint.quantize: width {self.width} > {MAX_EXACT_WIDTH} cannot be simulated exactly in float64.",
                fix="use a narrower type for the numpy reference.",
            )
        scaled = np.asarray(x, dtype=np.float64) / self.lsb  # exact: division by a power of two
        code = _round(scaled, self.rounding)
        code = self._overflow(code)
        return code * self.lsb

    def representable(self, x: np.ndarray) -> np.ndarray:
        """True where ``x`` is on the grid and inside the range (the cast changes nothing)."""
        x = np.asarray(x, dtype=np.float64)
        return self.with_modes("TRN", "SAT").quantize(x) == x

    def _overflow(self, code: np.ndarray) -> np.ndarray:
        lo, hi = float(self.min_code), float(self.max_code)
        if self.saturation == "SAT":
            return np.clip(code, lo, hi)
        if self.saturation == "SAT_SYM":
            return np.clip(code, -hi if self.signed else lo, hi)
        if self.saturation == "SAT_ZERO":
            return np.where((code < lo) | (code > hi), 0.0, code)
        modulus = float(2**self.width)
        wrapped = np.mod(code - lo, modulus) + lo  # keep the low `width` bits, two's complement when signed
        return wrapped


def _round(scaled: np.ndarray, mode: str) -> np.ndarray:
    if mode == "TRN":
        return np.floor(scaled)
    if mode == "TRN_ZERO":
        return np.trunc(scaled)
    if mode == "RND":  # ties towards +inf
        return np.floor(scaled + 0.5)
    if mode == "RND_MIN_INF":  # ties towards -inf
        return np.ceil(scaled - 0.5)
    if mode == "RND_ZERO":  # ties towards zero
        return np.sign(scaled) * np.ceil(np.abs(scaled) - 0.5)
    if mode == "RND_INF":  # ties away from zero
        return np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)
    return np.rint(scaled)  # RND_CONV: ties to even, like tf.round


def smallest_holding(lo: float, hi: float, fraction: int, *, rounding: Rounding = "TRN",
                     saturation: Saturation = "WRAP", signed: bool | None = None) -> FixedPoint:
    """The narrowest type with ``fraction`` fractional bits whose range contains [lo, hi].

    Signed unless ``lo >= 0`` (or ``signed`` is given). Used for accumulators and weights, whose exact range is known.
    """
    if lo > hi:
        raise ValueError(f"empty interval [{lo}, {hi}]")
    is_signed = (lo < 0) if signed is None else signed
    lsb = 2.0 ** (-fraction)
    code_lo, code_hi = lo / lsb, hi / lsb
    if code_lo != np.floor(code_lo) or code_hi != np.floor(code_hi):
        raise ValueError(f"[{lo}, {hi}] is not on the grid of step 2**-{fraction}")
    width = 1
    while True:
        fp = FixedPoint(width, width - fraction, is_signed, rounding, saturation)
        if fp.min_code <= code_lo and code_hi <= fp.max_code:
            return fp
        width += 1


def lsb_exponent(values: np.ndarray) -> int | None:
    """Largest e with every value an integer multiple of 2**e (None if all values are zero)."""
    v = np.abs(np.asarray(values, dtype=np.float64).ravel())
    v = v[v != 0]
    if v.size == 0:
        return None
    _, exponents = np.frexp(v)  # v = m * 2**exp with 0.5 <= m < 1
    e = int(exponents.max())
    # walk down until every value is a multiple of 2**e; at most 53 + range steps
    while not np.all(np.mod(v, 2.0**e) == 0):
        e -= 1
    return e


# Widest stored float weight taken as already quantized: one DSP48E2 multiplier input (18 bits)
MAX_STORED_WEIGHT_BITS = 18


def stored_fixed_point(values: np.ndarray) -> FixedPoint | None:
    """The narrowest type holding every stored float value exactly, or None when that needs more than
    ``MAX_STORED_WEIGHT_BITS`` bits (the values are not quantized numbers)."""
    e = lsb_exponent(values)
    if e is None:
        return FixedPoint(1, 1, True)
    fp = smallest_holding(float(min(values.min(), 0.0)), float(max(values.max(), 0.0)), -e, signed=True)
    return fp if fp.width <= MAX_STORED_WEIGHT_BITS else None
