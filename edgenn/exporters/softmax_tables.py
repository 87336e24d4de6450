"""Size hls4ml's lookup-table softmax from the logits' type, so its class is the model's (issue 13, softmax ``table``).

hls4ml's ``stable`` softmax (nnet_activation.h ``softmax_stable``) computes ``d_i = max - x_i`` in ``inp_norm_t``,
addresses the exp table with the top ``log2(table_size)`` bits of ``d_i``, sums the exps, looks ``1/sum`` up in a
second table addressed by the top bits of the sum, and multiplies. Its class can differ from the model's only where
two values tie: a logit closer to the maximum than one table step reads the maximum's own entry (exp(0)), and the
first of the tied classes wins. hls4ml's default (1024 entries over [0, 16): a step of 1/64) ties every pair of
logits closer than 1/64, which cost a 6-bit jet tagger 2.4 % of its decisions.

Rule: the table step is the logits' own LSB, up to ``MAX_FRACTION_BITS``: then every logit below the maximum reads
a different, smaller exp entry, and with the exp table, sum and result carrying a few more fraction bits than the
step the products stay distinct after rounding, so the class is the model's whenever the logits' LSB is at least
the table step. The range stays [0, 16) (exp(-16) ~ 1e-7 is below the result's step). ``MAX_FRACTION_BITS`` bounds
the tables (2 x 2**(4 + 10) entries); logits finer than that tie only within 2**-10, and the agreement is measured.
"""

from __future__ import annotations

import math

from edgenn.exporters.fixed_point import FixedPoint

RANGE_BITS = 4  # d = max - x in [0, 16)
MIN_FRACTION_BITS = 6  # hls4ml's default step, 1/64: never coarser
MAX_FRACTION_BITS = 10  # 16,384-entry tables at most (see BENCHMARKS.md, softmax table size vs agreement)
GUARD_BITS = 3  # fraction bits beyond the step in the exp table, the sum and the result


def table_fraction_bits(logits: FixedPoint) -> int:
    """Fraction bits of the table step for logits of type ``logits``."""
    return max(MIN_FRACTION_BITS, min(MAX_FRACTION_BITS, logits.fraction))


def softmax_types(logits: FixedPoint, n: int) -> dict[str, object]:
    """Table size and the table, sum and result types of a softmax over ``n`` logits of type ``logits``."""
    f = table_fraction_bits(logits)
    address_bits = RANGE_BITS + f
    sum_integer = max(1, math.ceil(math.log2(n))) + 1  # the sum of exps lies in [1, n]
    # hls4ml addresses the 1/x table with the top address_bits of the sum: the sum needs at least that many bits
    sum_type = FixedPoint(max(18, address_bits, sum_integer + f + GUARD_BITS), sum_integer, False, "RND", "SAT")
    result_fraction = max(15, f + math.ceil(math.log2(max(2, n))) + GUARD_BITS)
    return {
        "table_size": 2**address_bits,
        "inp_norm": FixedPoint(address_bits, RANGE_BITS, False, "TRN", "SAT"),
        "exp_table": FixedPoint(1 + max(17, f + GUARD_BITS), 1, False, "RND", "SAT"),  # exp(-d) in (0, 1]
        "inv_table": FixedPoint(1 + max(17, f + GUARD_BITS + sum_integer), 1, False, "RND", "SAT"),  # 1/sum in [1/n, 1]
        "sum": sum_type,
        "result": FixedPoint(1 + result_fraction, 1, False, "RND", "SAT"),  # probabilities in [0, 1]
    }
