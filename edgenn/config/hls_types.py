"""One rule for the ``ap_fixed`` type strings a user may write in a recipe or an ``--hls-config`` file.

The config layer cannot build ``exporters.fixed_point.FixedPoint`` (a later stage), so it parses the string into
its fields and the exporter makes the type from them. Written forms, as Vivado/Vitis HLS spells them:
``ap_fixed<W,I>``, ``ap_fixed<W,I,AP_RND>``, ``ap_fixed<W,I,AP_RND,AP_SAT>``, ``ap_ufixed<...>``, ``ap_int<W>``,
``ap_uint<W>``. Anything else is refused at load, naming the accepted forms.
"""

from __future__ import annotations

import re
from typing import NamedTuple

ROUNDING = ("TRN", "TRN_ZERO", "RND", "RND_ZERO", "RND_MIN_INF", "RND_INF", "RND_CONV")
SATURATION = ("WRAP", "SAT", "SAT_ZERO", "SAT_SYM")
TYPE_FIX = "write ap_fixed<W,I>, ap_fixed<W,I,AP_RND,AP_SAT>, ap_ufixed<W,I>, ap_int<W> or ap_uint<W>"
# hls4ml's own limit on the reference side: float64 holds integers below 2**53 exactly (fixed_point.MAX_EXACT_WIDTH)
MAX_WIDTH = 53
_PATTERN = re.compile(r"^\s*(ap_u?fixed|ap_u?int)\s*<\s*([^<>]*)>\s*$")


class ApType(NamedTuple):
    width: int
    integer: int
    signed: bool
    rounding: str
    saturation: str


def parse_ap_type(text: object) -> ApType:
    """The fields of an ``ap_fixed``-family string; ValueError naming what is wrong otherwise."""
    match = _PATTERN.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not an HLS fixed-point type; {TYPE_FIX}")
    kind, args = match.group(1), [a.strip() for a in match.group(2).split(",")]
    signed = not kind.startswith("ap_u")
    numbers = 1 if kind.endswith("int") else 2
    if len(args) < numbers or len(args) > numbers + 2 or not all(a.lstrip("-").isdigit() for a in args[:numbers]):
        raise ValueError(f"{text!r}: {kind} takes {'<W>' if numbers == 1 else '<W,I[,AP_Q[,AP_O]]>'}; {TYPE_FIX}")
    width = int(args[0])
    integer = width if numbers == 1 else int(args[1])
    if not 1 <= width <= MAX_WIDTH:
        raise ValueError(f"{text!r}: width must be 1..{MAX_WIDTH} bits (wider types cannot be checked exactly)")
    modes = [a.removeprefix("AP_") for a in args[numbers:]]
    rounding = modes[0] if modes else "TRN"
    saturation = modes[1] if len(modes) > 1 else "WRAP"
    if rounding not in ROUNDING:
        raise ValueError(f"{text!r}: rounding mode must be one of AP_{', AP_'.join(ROUNDING)}")
    if saturation not in SATURATION:
        raise ValueError(f"{text!r}: overflow mode must be one of AP_{', AP_'.join(SATURATION)}")
    return ApType(width, integer, signed, rounding, saturation)
