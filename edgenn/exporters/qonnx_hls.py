"""Write and compile an hls4ml project from a QONNX graph, with every layer type set from edgenn's own derivation.

Contract: ``prepare_qonnx(model)`` runs qonnx's cleanup, channels-last and Gemm-to-MatMul transformations (what
hls4ml's ONNX front end expects) and returns both the cleaned channels-first graph (the one the exact reference
evaluates) and the graph handed to hls4ml. ``export_qonnx_hls(prepared, out_dir, settings)`` converts the latter
through ``hls4ml.converters.convert_from_onnx_model``, then replaces the type of every hls4ml layer by the one
``precision_qonnx.derive_tensor_types`` derived from the Quant nodes, refuses if a weight or bias hls4ml wrote is not
held by its type, writes the project reproducibly and compiles the C simulation. The result is an ``HlsProject``
like the Keras route's, so C simulation, estimates and reports read it the same way.

qonnx's QONNX -> QCDQ conversion imports onnxscript / onnx-ir, which fail beside TensorFlow 2.14's ml_dtypes: nothing
here imports ``qonnx.transformation.qonnx_to_qcdq``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edgenn.errors import EdgennError, ExternalToolError, UnsupportedModelError
from edgenn.exporters.fixed_point import FixedPoint, lsb_exponent, smallest_holding
from edgenn.exporters.hls import PROJECT_NAME, HlsProject, HlsSettings, apply_layer_settings, check_compiler
from edgenn.exporters.precision import LayerPrecision, ModelPrecision
from edgenn.exporters.precision_qonnx import PASS_THROUGH, TensorType, check_fixed_point_quants, derive_tensor_types
from edgenn.io import atomic_write_json

PRECISION_FILE = "precision.json"
QCDQ_OPS = ("QuantizeLinear", "DequantizeLinear")


@dataclass(frozen=True)
class PreparedQonnx:
    clean: Any  # onnx.ModelProto, channels first: what the exact reference evaluates
    hls_ready: Any  # onnx.ModelProto after channels-last + Gemm-to-MatMul: what hls4ml converts
    notes: tuple[str, ...] = ()


def prepare_qonnx(model: Any) -> PreparedQonnx:
    import warnings

    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.transformation.channels_last import ConvertToChannelsLastAndClean
    from qonnx.transformation.gemm_to_matmul import GemmToMatMul
    from qonnx.util.cleanup import cleanup_model

    notes = []
    if any(n.op_type in QCDQ_OPS for n in model.graph.node):
        from qonnx.transformation.infer_shapes import InferShapes
        from qonnx.transformation.qcdq_to_qonnx import QCDQToQuant

        # QCDQToQuant reads the quantized tensors' element types from value_info: infer shapes first
        model = ModelWrapper(model).transform(InferShapes()).transform(QCDQToQuant()).model
        notes.append("QCDQ graph (QuantizeLinear/Clip/DequantizeLinear) converted to QONNX Quant nodes first "
                     "(qonnx QCDQToQuant), as hls4ml #1197 / Brevitas #1282 advise")
    check_fixed_point_quants(model)  # before cleanup renames the nodes: the message names the user's nodes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GemmToMatMul warns about opset 13 Gemm; its rewrite is checked below
        try:
            clean = cleanup_model(ModelWrapper(model))
            ready = clean.transform(ConvertToChannelsLastAndClean()).transform(GemmToMatMul())
            ready = cleanup_model(ready)
        except Exception as exc:  # noqa: BLE001  qonnx raises bare Exception/KeyError for graphs it cannot rewrite
            raise UnsupportedModelError(f"qonnx could not clean up / convert the graph to channels-last: "
                                        f"{type(exc).__name__}: {exc}") from None
    return PreparedQonnx(clean.model, ready.model, tuple(notes))


def _refuse_known_hls4ml_gaps(model) -> None:
    """hls4ml 1.3's ONNX pooling handler builds 1-D pooling without pad_left/pad_right and reads the channel count
    from the width axis of the channels-last tensor (hls4ml/converters/onnx/pooling.py): refuse it by node rather
    than fail deep in hls4ml or mis-size the layer."""
    ranks = {v.name: len(v.type.tensor_type.shape.dim) for v in (*model.graph.value_info, *model.graph.input)}
    for node in model.graph.node:
        if node.op_type in ("MaxPool", "AveragePool") and ranks.get(node.input[0]) == 3:
            raise UnsupportedModelError(f"node '{node.name}' ({node.op_type}, 1-D): hls4ml 1.3's ONNX front end "
                                        "cannot convert 1-D pooling (its handler sets no padding and takes the "
                                        "channel count from the width axis).",
                                        fix="use a strided Conv1D, or 2-D pooling over an (N, C, 1, W) input.")


def _input_quant(model, types: dict[str, TensorType]) -> TensorType:
    """The type of the Quant the graph input reaches through layout-only ops: the host casts the input to it."""
    name = model.graph.input[0].name
    for _ in range(len(model.graph.node)):
        users = [n for n in model.graph.node if name in n.input]
        if len(users) != 1:
            break
        node = users[0]
        if node.op_type == "Quant":
            return types[node.output[0]]
        if node.op_type not in PASS_THROUGH:
            break
        name = node.output[0]
    raise UnsupportedModelError("QONNX graph: the input does not go into a Quant node (through layout ops only), so "
                                "it has no fixed-point type to cast to on the host.",
                                fix="export with an input quantizer (Brevitas QuantIdentity first).")


def value_chain(model, tensor: str, hls_outputs: set[str]) -> list[str]:
    """ONNX tensors one hls4ml layer computes: its output, then each single-consumer successor hls4ml absorbed.

    hls4ml fuses a MatMul's bias Add and a following activation Quant into one layer that keeps the first tensor's
    name; a successor is absorbed exactly when its tensor is no hls4ml layer's output."""
    chain = [tensor]
    while True:
        users = [n for n in model.graph.node if chain[-1] in n.input]
        if len(users) != 1 or users[0].output[0] in hls_outputs:
            return chain
        chain.append(users[0].output[0])


def layer_value_tensors(hls_model: Any, model) -> dict[str, str]:
    """hls4ml layer name -> the ONNX tensor whose values it outputs (the end of its ``value_chain``)."""
    layers = list(hls_model.get_layers())
    outputs = {layer.outputs[0] for layer in layers}
    return {layer.name: value_chain(model, layer.outputs[0], outputs)[-1] for layer in layers}


def _exact_type(data: np.ndarray) -> FixedPoint:
    e = lsb_exponent(data)
    return FixedPoint(1, 1, False) if e is None else smallest_holding(float(data.min()), float(data.max()), -e)


def _hls_type(fp: FixedPoint):
    # after conversion hls4ml's types are already backend (ap_fixed) definitions: a plain one could not be written
    from hls4ml.backends.fpga.fpga_types import APTypeConverter
    from hls4ml.model.types import FixedPrecisionType

    return APTypeConverter().convert(FixedPrecisionType(fp.width, fp.integer, fp.signed, fp.rounding,
                                                        fp.saturation))


def _set_types(hls_model: Any, model, types: dict[str, TensorType], input_type: FixedPoint) -> list[LayerPrecision]:
    """Replace every hls4ml layer's types by edgenn's; returns the per-layer record."""
    layers = list(hls_model.get_layers())
    outputs = {layer.outputs[0] for layer in layers}
    derived = []
    for layer in layers:
        out_var = layer.get_output_variable()
        if layer.class_name == "Input":
            out_var.type.precision = _hls_type(input_type)
            continue
        chain = value_chain(model, layer.outputs[0], outputs)
        if chain[-1] not in types and layer.class_name in ("Transpose", "Reshape"):
            out_var.type.precision = _hls_type(input_type)  # a layout op on the host-cast input, before its Quant
            derived.append(LayerPrecision(layer.name, layer.class_name, input_type, notes=("layout only",)))
            continue
        if chain[-1] not in types:
            raise UnsupportedModelError(f"hls4ml layer '{layer.name}' ({layer.class_name}): edgenn derived no type for "
                                        f"its tensor '{chain[-1]}'.")
        value = types[chain[-1]]
        out_var.type.precision = _hls_type(value.fixed)
        accum = weight = bias = None
        if "accum_t" in layer.types:
            sums = [t for t in chain if types[t].from_quant is None]  # the last exact sum before a fused Quant
            accum = types[sums[-1]].fixed if sums else value.fixed
            layer.types["accum_t"].precision = _hls_type(accum)
        for key in ("weight", "bias"):
            if key in layer.weights:
                data = np.asarray(layer.weights[key].data, np.float64)
                fp = _exact_type(data)  # hls4ml's data are already the Quant node's values: hold them exactly
                layer.weights[key].type.precision = _hls_type(fp)
                if f"{key}_t" in layer.types:
                    layer.types[f"{key}_t"].precision = _hls_type(fp)
                weight, bias = (fp, bias) if key == "weight" else (weight, fp)
        derived.append(LayerPrecision(layer.name, layer.class_name, value.fixed, weight, bias, accum,
                                      output_min=value.lo, output_max=value.hi,
                                      notes=(f"ONNX tensors {', '.join(chain)}",)))
    return derived


def export_qonnx_hls(prepared: PreparedQonnx, out_dir: Path, settings: HlsSettings, *,
                     compile: bool = True) -> HlsProject:
    """Convert, type, write and compile ``prepared.hls_ready`` into ``out_dir`` (see the module docstring)."""
    if compile:
        check_compiler()
    import hls4ml

    from edgenn.exporters.hls import write_reproducible

    if settings.ii_target_cycles is not None:
        raise UnsupportedModelError("export.fpga.ii_target: edgenn's II planner works on Keras layers, not yet on "
                                    "QONNX graphs.", fix="set reuse_factor (or per-layer settings) instead.")
    model = prepared.hls_ready
    _refuse_known_hls4ml_gaps(model)
    types = derive_tensor_types(model)
    input_type = _input_quant(model, types).fixed
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # hls4ml prints every node it visits
            config = hls4ml.utils.config_from_onnx_model(model, granularity="name", backend=settings.backend)
            config["Model"].update(Strategy=settings.strategy, ReuseFactor=settings.reuse_factor, TraceOutput=False)
            for entry in config["LayerName"].values():
                entry["Trace"] = True  # trace code sits behind #ifndef __SYNTHESIS__: absent from synthesis
                entry["ReuseFactor"] = settings.reuse_factor
            apply_layer_settings(None, config["LayerName"], settings)  # no ii_target here: refused above
            hls_model = hls4ml.converters.convert_from_onnx_model(
                model, output_dir=str(out_dir), project_name=PROJECT_NAME, backend=settings.backend,
                hls_config=config, io_type=settings.io_type, part=settings.part,
                clock_period=settings.clock_period_ns)
    except EdgennError:  # edgenn's own refusals (e.g. an unknown layer in --hls-config) pass unchanged
        raise
    except Exception as exc:  # noqa: BLE001  hls4ml raises bare Exception for unsupported ONNX ops
        raise UnsupportedModelError(f"hls4ml's ONNX front end could not convert the graph: {exc}") from None
    layers = _set_types(hls_model, model, types, input_type)
    convert_seconds = time.perf_counter() - start
    names = [layer.name for layer in layers]
    notes = list(prepared.notes)
    stray = [layer.name for layer in hls_model.get_layers() if layer.class_name == "Transpose"]
    if stray:
        notes.append(f"hls4ml kept transpose layer(s) {', '.join(stray)} (qonnx's channels-last rewrite, hls4ml "
                     "#1269): they cost no arithmetic in io_parallel but are listed in the estimates")
    precision = ModelPrecision(model.graph.input[0].name, input_type, "quantizer:input Quant node", tuple(layers),
                               names[-1], names[-1], True,
                               ("every type derived by edgenn from the QONNX Quant nodes (hls4ml's inferred types "
                                "replaced)",))
    stamp = hashlib.sha256(model.SerializeToString() + repr(precision.to_dict()).encode() +
                           repr(settings.to_dict()).encode()).hexdigest()[:8]
    start = time.perf_counter()
    hls_model.config.trace_output = True
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            write_reproducible(hls_model, out_dir, stamp)
            if compile:
                hls_model._compile()  # what ModelGraph.compile() does after write()
    except Exception as exc:
        raise ExternalToolError(f"g++ failed to compile the C simulation in {out_dir}: {exc}",
                                fix="see the compiler output in the project directory.") from exc
    compile_seconds = time.perf_counter() - start
    atomic_write_json(out_dir / PRECISION_FILE, {**precision.to_dict(), "settings": settings.to_dict()})
    traced = tuple(layer.name for layer in hls_model.get_layers() if layer.get_attr("trace", False))
    return HlsProject(out_dir, PROJECT_NAME, settings, precision, input_type, convert_seconds, compile_seconds,
                      traced, hls_model)
