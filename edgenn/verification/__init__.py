"""Verification stage: checks of exported artifacts (bit-exactness of the C simulation against the model)."""

from edgenn.verification.bitexact import (
    BIT_EXACT_CLAIM,
    FLOAT_CLAIM,
    BitExactReport,
    OutputStats,
    build_report,
    compare_outputs,
    first_diverging_layer,
    validate_csim,
)

__all__ = [
    "BIT_EXACT_CLAIM",
    "FLOAT_CLAIM",
    "BitExactReport",
    "OutputStats",
    "build_report",
    "compare_outputs",
    "first_diverging_layer",
    "validate_csim",
]
