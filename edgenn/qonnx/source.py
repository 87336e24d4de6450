"""A QONNX model file as an export source: read once, checked to be a quantized graph edgenn can take.

``load_qonnx(path)`` returns a ``QonnxModel`` (path, ``onnx.ModelProto``, input shape without the batch axis) or
raises ``InvalidInputError`` saying what is wrong: not an ONNX file, several inputs, or no quantizer at all (a
float ONNX graph has no fixed-point types to derive; export the model from Brevitas with ``export_qonnx``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edgenn.errors import InvalidInputError, MissingArtifactError
from edgenn.qonnx.evaluate import graph_inputs, load_onnx

QUANT_OPS = ("Quant", "IntQuant", "BipolarQuant", "Trunc")
QCDQ_OPS = ("QuantizeLinear", "DequantizeLinear")
ONNX_SUFFIXES = (".onnx",)


@dataclass(frozen=True)
class QonnxModel:
    path: Path
    proto: Any = field(repr=False)
    input_name: str
    input_shape: tuple[int, ...]  # without the batch axis
    qcdq: bool = False  # quantized with QuantizeLinear/DequantizeLinear (converted to Quant nodes on export)

    @property
    def name(self) -> str:
        return self.path.stem


def is_qonnx_model(model: Any) -> bool:
    return isinstance(model, QonnxModel)


def load_qonnx(path: Path) -> QonnxModel:
    path = Path(path)
    if not path.is_file():
        raise MissingArtifactError(f"{path}: ONNX file not found.")
    proto = load_onnx(path)
    ops = {n.op_type for n in proto.graph.node}
    qcdq = bool(ops & set(QCDQ_OPS)) and not ops & set(QUANT_OPS)
    if not ops & set(QUANT_OPS) and not qcdq:
        raise InvalidInputError(f"{path}: an ONNX graph without Quant / BipolarQuant / Trunc or QuantizeLinear nodes "
                                "(a float model): edgenn exports quantized QONNX graphs, whose Quant nodes define "
                                "the firmware's fixed-point types.",
                                fix="export the trained Brevitas model with brevitas.export.export_qonnx.")
    inputs = graph_inputs(proto)
    if len(inputs) != 1:
        raise InvalidInputError(f"{path}: the graph has {len(inputs)} inputs ({', '.join(inputs)}); edgenn exports "
                                "single-input QONNX graphs.")
    value = next(i for i in proto.graph.input if i.name == inputs[0])
    dims = [d.dim_value for d in value.type.tensor_type.shape.dim]
    if len(dims) < 2 or any(d <= 0 for d in dims[1:]):
        raise InvalidInputError(f"{path}: input '{inputs[0]}' has shape {dims}; a (batch, features...) input with "
                                "fixed feature sizes is needed.")
    return QonnxModel(path, proto, inputs[0], tuple(dims[1:]), qcdq)
