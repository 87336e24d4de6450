"""QONNX input (issue 18): exact evaluation of QONNX graphs and hls4ml precisions derived from their Quant nodes."""

from edgenn.qonnx.evaluate import EXACT_KIND, QonnxResult, evaluate_qonnx

__all__ = ["EXACT_KIND", "QonnxResult", "evaluate_qonnx"]
