"""Verification stage: bit-exactness of the C simulation against the model, and budget checks."""

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
from edgenn.verification.budget import CheckLine, CheckReport, check_export, check_figures

__all__ = [
    "BIT_EXACT_CLAIM",
    "FLOAT_CLAIM",
    "BitExactReport",
    "CheckLine",
    "CheckReport",
    "OutputStats",
    "build_report",
    "check_export",
    "check_figures",
    "compare_outputs",
    "first_diverging_layer",
    "validate_csim",
]
