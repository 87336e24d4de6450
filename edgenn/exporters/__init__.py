"""Export stage: Keras/QKeras models -> hls4ml HLS projects with exact, minimal fixed-point precisions, and ONNX.

Nothing here imports TensorFlow or hls4ml at import time; the functions that need them import them.
"""

from edgenn.exporters.csim import CsimResult, quantize_inputs, simulate_csim
from edgenn.exporters.fixed_point import FixedPoint
from edgenn.exporters.onnx_export import OnnxReport, export_onnx, has_qkeras_layers
from edgenn.exporters.hls import HlsProject, HlsSettings, check_compiler, export_hls
from edgenn.exporters.precision import LayerPrecision, ModelPrecision, SoftmaxSettings, derive_precisions

__all__ = [
    "CsimResult",
    "FixedPoint",
    "HlsProject",
    "HlsSettings",
    "LayerPrecision",
    "ModelPrecision",
    "OnnxReport",
    "SoftmaxSettings",
    "check_compiler",
    "derive_precisions",
    "export_hls",
    "export_onnx",
    "has_qkeras_layers",
    "quantize_inputs",
    "simulate_csim",
]
