"""QONNX input (issue 18): exact evaluation of Quant nodes and hls4ml precisions derived from them."""
