"""Export stage: Keras/QKeras models -> hls4ml HLS projects with exact, minimal fixed-point precisions.

Nothing here imports TensorFlow or hls4ml at import time; the functions that need them import them.
"""

from edgenn.exporters.csim import CsimResult, quantize_inputs, simulate_csim
from edgenn.exporters.fixed_point import FixedPoint
from edgenn.exporters.hls import HlsProject, HlsSettings, check_compiler, export_hls, validate_part
from edgenn.exporters.precision import LayerPrecision, ModelPrecision, SoftmaxSettings, derive_precisions

__all__ = [
    "CsimResult",
    "FixedPoint",
    "HlsProject",
    "HlsSettings",
    "LayerPrecision",
    "ModelPrecision",
    "SoftmaxSettings",
    "check_compiler",
    "derive_precisions",
    "export_hls",
    "quantize_inputs",
    "simulate_csim",
    "validate_part",
]
