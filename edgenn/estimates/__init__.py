"""Analytic FPGA latency/resource estimates for hls4ml io_parallel designs (method label: "analytic")."""

from edgenn.estimates.analytic import DEFAULT_CONSTANTS, ModelConstants, estimate, estimate_layer
from edgenn.estimates.from_hls import design_from_hls_model
from edgenn.estimates.resources import (
    LATENCY_NS_NOTE,
    METHOD,
    DesignSpec,
    Estimate,
    Figure,
    LayerSpec,
    ResourceReport,
)

__all__ = [
    "DEFAULT_CONSTANTS",
    "LATENCY_NS_NOTE",
    "METHOD",
    "DesignSpec",
    "Estimate",
    "Figure",
    "LayerSpec",
    "ModelConstants",
    "ResourceReport",
    "design_from_hls_model",
    "estimate",
    "estimate_layer",
]
