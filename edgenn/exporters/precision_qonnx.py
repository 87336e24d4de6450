"""edgenn's own fixed-point types for a QONNX graph, derived from its Quant nodes (never from hls4ml's inference).

Contract: ``derive_tensor_types(model)`` walks the graph handed to hls4ml (after qonnx's cleanup, channels-last and
Gemm-to-MatMul transformations) and returns, for every dynamic tensor, the ``FixedPoint`` that holds all of its
values exactly, with the interval they lie in:

* a Quant node's output has the type its definition implies (``qonnx.quant.quant_fixed_type``: ``bits`` wide, step
  = the power-of-two scale), with the cast's rounding (ROUND -> RND_CONV, FLOOR -> TRN) and saturation (SAT, or
  SAT_SYM for narrow ranges): the cast to it *is* the Quant node;
* a MatMul / Conv with quantized constant weights, and an Add, get the narrowest type holding their exact interval
  (per output the sum of ``min/max(w * lo, w * hi)``) on the step ``2**(e_x + e_w)`` or the bias' finer step: no
  rounding, no overflow, so hls4ml's arithmetic is the graph's arithmetic;
* Relu, MaxPool, Transpose, Reshape and Flatten keep their input's step and narrow the interval.

Non-power-of-two scales and nonzero zero points are refused by node (``quant_fixed_type``): their values are not
fixed-point numbers. Any other op is refused naming the op and the node.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgenn.errors import UnsupportedModelError
from edgenn.exporters.fixed_point import MAX_EXACT_WIDTH, FixedPoint, lsb_exponent, smallest_holding
from edgenn.qonnx.quant import quant_bounds, quant_fixed_type

ROUNDING_TO_AP = {"ROUND": "RND_CONV", "HALF_EVEN": "RND_CONV", "FLOOR": "TRN"}  # what hls4ml's Quant cast can do
PASS_THROUGH = ("Transpose", "Reshape", "Flatten", "Identity", "MaxPool", "Squeeze", "Unsqueeze")


class NotFixedPointError(UnsupportedModelError):
    """Quant nodes whose outputs are no fixed-point numbers (the export route adds the re-quantization's cost)."""


@dataclass(frozen=True)
class TensorType:
    """A tensor's firmware type and the exact interval of its values."""

    fixed: FixedPoint
    lo: float
    hi: float
    from_quant: str | None = None  # the Quant node whose cast produces it


def _type_holding(lo: float, hi: float, exp: int | None, where: str) -> FixedPoint:
    if exp is None or (lo == 0 and hi == 0):
        return FixedPoint(1, 1, False)
    fp = smallest_holding(lo, hi, -exp)
    if fp.width > MAX_EXACT_WIDTH:
        raise UnsupportedModelError(f"{where}: the exact type would be {fp.width} bits wide (> {MAX_EXACT_WIDTH}), "
                                    "beyond what float64 (and the C simulation's check) represents.",
                                    fix="quantize the bias / use narrower weights or activations.")
    return fp


def _exp(fp: FixedPoint) -> int:
    return fp.integer - fp.width


def _constants(model) -> dict[str, np.ndarray]:
    """Initializers, plus the value of every all-constant node (weight and bias Quants) by its exact rule."""
    from onnx import helper, numpy_helper

    from edgenn.qonnx.ops import RULES

    consts = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
    for node in model.graph.node:
        if node.input and all(i in consts or i == "" for i in node.input) and node.op_type in RULES:
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            attrs = {k: v.decode() if isinstance(v, bytes) else v for k, v in attrs.items()}
            consts[node.output[0]] = np.asarray(RULES[node.op_type](node, [consts.get(i) for i in node.input],
                                                                    attrs)[0], np.float64)
    return consts


def _quant_type(node, consts, attrs) -> tuple[FixedPoint, float, float]:
    scale, zero_point, bits = (consts.get(i) for i in node.input[1:4])
    if scale is None or zero_point is None or bits is None:
        raise UnsupportedModelError(f"node '{node.name}' (Quant): scale, zero point and bit width must be constants.")
    signed, narrow = bool(attrs.get("signed", 1)), bool(attrs.get("narrow", 0))
    rounding = str(attrs.get("rounding_mode", "ROUND")).upper()
    if rounding not in ROUNDING_TO_AP:
        raise UnsupportedModelError(f"node '{node.name}' (Quant): rounding_mode {rounding} has no hls4ml cast "
                                    f"(hls4ml converts {', '.join(ROUNDING_TO_AP)}).")
    if narrow and not signed:
        raise UnsupportedModelError(f"node '{node.name}' (Quant): narrow unsigned ranges have no ap_fixed saturation "
                                    "mode (hls4ml refuses them too).")
    t = quant_fixed_type(scale, zero_point, int(np.ravel(bits)[0]), signed, name=f"node '{node.name}' (Quant)")
    fp = FixedPoint(t.width, t.integer, t.signed, ROUNDING_TO_AP[rounding], "SAT_SYM" if narrow else "SAT")
    lo, hi = quant_bounds(t.width, signed, narrow)
    step = float(np.ravel(scale)[0])
    return fp, lo * step, hi * step


def check_fixed_point_quants(model) -> None:
    """Refuse, in one message naming every node (by the user's own node names, before qonnx renames them), the Quant
    nodes whose outputs are not fixed-point numbers: non-power-of-two or per-channel-varying scales, nonzero zero
    points. Their C simulation could not equal the graph bit for bit (hls4ml #1208 measures the accuracy cost)."""
    inits = _constants(model)  # initializers and constant subgraphs (Brevitas computes bias scales with a Mul)
    bad = []
    for node in model.graph.node:
        if node.op_type not in ("Quant", "IntQuant", "Trunc") or len(node.input) < 3:
            continue
        scale, zp = inits.get(node.input[1]), inits.get(node.input[2])
        if scale is None or zp is None:
            bad.append(f"'{node.name}' (scale or zero point computed at run time)")
            continue
        s = np.unique(np.asarray(scale, np.float64))
        if len(s) != 1 or s[0] <= 0 or np.frexp(s[0])[0] != 0.5:
            bad.append(f"'{node.name}' (scale {', '.join(f'{v:.6g}' for v in s[:3])}{' ...' if len(s) > 3 else ''})")
        elif np.any(np.asarray(zp) != 0):
            bad.append(f"'{node.name}' (zero point {np.ravel(zp)[:3]})")
    if bad:
        raise NotFixedPointError(
            f"QONNX graph: {len(bad)} Quant node(s) without a single power-of-two scale and zero point 0: "
            f"{'; '.join(bad)}. Their outputs are not fixed-point numbers, so hls4ml's fixed-point firmware cannot "
            "equal the graph bit for bit.",
            fix="re-export with per-tensor power-of-two scales (Brevitas: restrict_scaling_type=POWER_OF_TWO, "
                "e.g. the Int8WeightPerTensorFixedPoint / Uint8ActPerTensorFixedPoint quantizers) and zero points 0.")


def _weighted_interval(lo: float, hi: float, w: np.ndarray, out_axis: int) -> tuple[float, float]:
    """Bounds of sum_i w_i x_i over outputs, with every x_i in [lo, hi] (0 included: padding and ReLU zeros)."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    w = np.moveaxis(w, out_axis, 0).reshape(w.shape[out_axis], -1)
    low = np.minimum(w * lo, w * hi).sum(axis=1)
    high = np.maximum(w * lo, w * hi).sum(axis=1)
    return float(low.min()), float(high.max())


def derive_tensor_types(model) -> dict[str, TensorType]:
    """Every dynamic tensor's exact type (see the module docstring); ``model`` is an ``onnx.ModelProto``."""
    from onnx import helper

    consts = _constants(model)
    types: dict[str, TensorType] = {}
    for node in model.graph.node:
        if node.output[0] in consts:
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        attrs = {k: v.decode() if isinstance(v, bytes) else v for k, v in attrs.items()}
        where = f"node '{node.name}' ({node.op_type})"
        ins = [types.get(i) for i in node.input]
        op = node.op_type
        if op == "Quant":
            fp, lo, hi = _quant_type(node, consts, attrs)
            src = ins[0]
            if src is not None:  # the cast cannot leave the interval its input already lies in
                lo = max(lo, float(fp.quantize(np.array([src.lo]))[0]))
                hi = min(hi, float(fp.quantize(np.array([src.hi]))[0]))
            types[node.output[0]] = TensorType(fp, lo, hi, node.name)
            continue
        if ins[0] is None and op not in PASS_THROUGH:
            raise UnsupportedModelError(f"{where}: its input '{node.input[0]}' has no fixed-point type: the graph "
                                        "input must go through a Quant node first.",
                                        fix="export with an input quantizer (Brevitas QuantIdentity).")
        x = ins[0]
        if op in PASS_THROUGH and x is None:
            continue  # before the input's Quant (a layout Transpose): the host casts the input at that Quant
        if op in PASS_THROUGH:
            types[node.output[0]] = TensorType(x.fixed, x.lo, x.hi)
        elif op == "Relu":
            lo, hi = max(x.lo, 0.0), max(x.hi, 0.0)
            types[node.output[0]] = TensorType(_type_holding(lo, hi, _exp(x.fixed), where), lo, hi)
        elif op in ("MatMul", "Conv"):
            w = consts.get(node.input[1])
            if w is None:
                raise UnsupportedModelError(f"{where}: the weights must be constants (a Quant of an initializer).")
            lo, hi = _weighted_interval(x.lo, x.hi, w, 1 if op == "MatMul" else 0)
            exps = [e for e in (lsb_exponent(w),) if e is not None]
            exp = _exp(x.fixed) + exps[0] if exps else None
            if op == "Conv" and len(node.input) > 2 and node.input[2]:
                b = consts[node.input[2]]
                eb = lsb_exponent(b)
                lo, hi = lo + float(b.min()), hi + float(b.max())
                exp = eb if exp is None else (exp if eb is None else min(exp, eb))
            types[node.output[0]] = TensorType(_type_holding(lo, hi, exp, where), lo, hi)
        elif op in ("Add", "Sub"):
            other = node.input[1]
            if other in consts:
                c = consts[other]
                clo, chi, ce = float(c.min()), float(c.max()), lsb_exponent(c)
            elif ins[1] is not None:
                clo, chi, ce = ins[1].lo, ins[1].hi, _exp(ins[1].fixed)
            else:
                raise UnsupportedModelError(f"{where}: operand '{other}' has no fixed-point type.")
            if op == "Sub":
                clo, chi = -chi, -clo
            lo, hi = x.lo + clo, x.hi + chi
            exp = _exp(x.fixed) if ce is None else min(_exp(x.fixed), ce)
            types[node.output[0]] = TensorType(_type_holding(lo, hi, exp, where), lo, hi)
        else:
            raise UnsupportedModelError(f"{where}: no fixed-point type derivation for {op} (edgenn derives types "
                                        f"for Quant, MatMul, Conv, Add, Sub, Relu, {', '.join(PASS_THROUGH)}).")
    return types
