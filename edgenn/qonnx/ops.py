"""One exact float64 rule per ONNX / QONNX op, each from the op's own definition.

A rule is ``rule(node, inputs, attrs) -> (output, exact, reason)``: ``inputs`` are float64 arrays (batch first; an
absent optional input is None), ``attrs`` the node's attributes as Python values. ``exact`` says the float64 result
is provably the real-number value the op defines on these operands (``edgenn.reference.exactness`` proves sums and
products on the actual values); where the op has no dyadic value (a non-power-of-two scale, a float BatchNorm, a
softmax), the value is computed in float64, marked inexact, and ``reason`` names the node and why.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from edgenn.errors import UnsupportedModelError
from edgenn.qonnx.quant import ROUNDING, quant_bounds, quant_exact
from edgenn.reference.exactness import FLOAT64_SIGNIFICAND_BITS, grid_exponent, sum_is_exact

Rule = Callable[..., tuple[np.ndarray, bool, str]]
RULES: dict[str, Rule] = {}


def rule(*op_types: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        for op in op_types:
            RULES[op] = fn
        return fn

    return register


def _scalar(value, node, what: str) -> float:
    v = np.asarray(value, np.float64)
    if v.size != 1:
        raise UnsupportedModelError(f"node '{node.name}' ({node.op_type}): {what} must be a scalar (got shape "
                                    f"{v.shape}).")
    return float(v.ravel()[0])


def _all_po2(scale) -> bool:
    s = np.asarray(scale, np.float64).ravel()
    return bool(np.all(s > 0) and np.all(np.frexp(s)[0] == 0.5))


def _bits(node, value) -> int:
    bits = _scalar(value, node, "bit width")
    if bits != int(bits) or bits < 1:
        raise UnsupportedModelError(f"node '{node.name}' ({node.op_type}): bit width {bits:g} is not a positive "
                                    "integer; a fractional width has no fixed-point type.")
    return int(bits)


def _scale_reason(node, scale) -> str:
    return (f"node '{node.name}' ({node.op_type}): scale {np.ravel(scale)[:3]} is not a power of two, so x / scale "
            "rounds in float64")


@rule("Quant", "IntQuant")
def quant(node, inputs, attrs):
    x, scale, zero_point, bits = inputs[:4]
    b = _bits(node, bits)
    out = quant_exact(x, scale, zero_point, b, bool(attrs.get("signed", 1)), bool(attrs.get("narrow", 0)),
                      str(attrs.get("rounding_mode", "ROUND")).upper())
    zp_integer = bool(np.all(np.asarray(zero_point) == np.round(zero_point)))
    if not _all_po2(scale):
        return out, False, _scale_reason(node, scale)
    if not zp_integer:
        return out, False, f"node '{node.name}' (Quant): non-integer zero point"
    return out, True, ""


@rule("BipolarQuant")
def bipolar_quant(node, inputs, attrs):
    x, scale = inputs[:2]
    out = np.where(x / scale >= 0, 1.0, -1.0) * np.asarray(scale, np.float64)  # qonnx: sign with sign(0) = +1
    return out, _all_po2(scale) or bool(np.all(np.asarray(scale) > 0)), ""


@rule("Trunc")
def trunc(node, inputs, attrs):
    """Trunc v1 (x, scale, zp, in_bits, out_bits) and v2 (x, scale, zp, in_bits, out_scale, out_bits)."""
    rounding = str(attrs.get("rounding_mode", "FLOOR")).upper()
    x, scale, zp = inputs[:3]
    y = np.round(x / scale + zp)
    if len(inputs) >= 6:  # v2: power-of-two truncation scale from the output scale, clamp, then round
        out_scale, out_bits = inputs[4], _bits(node, inputs[5])
        shift = 2.0 ** np.round(np.log2(np.asarray(out_scale, np.float64) / scale))
        lo, hi = quant_bounds(out_bits, bool(attrs.get("signed", 1)), bool(attrs.get("narrow", 0)))
        code = _round_mode(node, rounding)(np.clip(y / shift, lo, hi))
        out = (code - zp / shift) * out_scale
        ok = _all_po2(scale) and _all_po2(out_scale)
    else:
        shift = 2.0 ** (_bits(node, inputs[3]) - _bits(node, inputs[4]))
        out = (_round_mode(node, rounding)(y / shift) - zp) * scale
        ok = _all_po2(scale)
    return out, ok, "" if ok else _scale_reason(node, scale)


def _round_mode(node, mode: str):
    if mode not in ROUNDING:
        raise UnsupportedModelError(f"node '{node.name}' ({node.op_type}): rounding_mode {mode!r} is not supported "
                                    f"(known: {', '.join(ROUNDING)}).")
    return ROUNDING[mode]


def _matmul_exact(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> bool:
    """The bound of ``exactness.sum_is_exact`` for ``x @ w + b`` with w of shape (..., k, n)."""
    w2 = w.reshape(-1, w.shape[-1]) if w.ndim <= 2 else np.abs(w).reshape(-1, w.shape[-2], w.shape[-1]).max(0)
    bias = np.zeros(w.shape[-1]) if b is None else np.broadcast_to(np.abs(b), b.shape).reshape(-1)
    return sum_is_exact(float(np.max(np.abs(x), initial=0.0)), grid_exponent(x), np.abs(w2).sum(axis=0),
                        grid_exponent(w), np.max(bias, initial=0.0) * np.ones(1),
                        None if b is None else grid_exponent(b))


@rule("MatMul")
def matmul(node, inputs, attrs):
    a, b = inputs
    return np.matmul(a, b), _matmul_exact(a, b, None), ""


@rule("Gemm")
def gemm(node, inputs, attrs):
    a, b = inputs[0], inputs[1]
    c = inputs[2] if len(inputs) > 2 else None
    a = a.T if attrs.get("transA", 0) else a
    b = b.T if attrs.get("transB", 0) else b
    alpha, beta = float(attrs.get("alpha", 1.0)), float(attrs.get("beta", 1.0))
    out = alpha * (a @ b)
    bias = None if c is None else beta * c
    if bias is not None:
        out = out + bias
    ok = _matmul_exact(a, b, bias) and _all_po2(alpha) and (c is None or _all_po2(beta))
    return out, ok, "" if ok else f"node '{node.name}' (Gemm): alpha/beta not powers of two"


def _elementwise_sum_exact(a: np.ndarray, b: np.ndarray) -> bool:
    exps = [e for e in (grid_exponent(a), grid_exponent(b)) if e is not None]
    if not exps:
        return True
    bound = float(np.max(np.abs(a), initial=0.0) + np.max(np.abs(b), initial=0.0))
    return bound < 2.0 ** (FLOAT64_SIGNIFICAND_BITS + min(exps))


@rule("Add")
def add(node, inputs, attrs):
    a, b = inputs
    return a + b, _elementwise_sum_exact(a, b), ""


@rule("Sub")
def sub(node, inputs, attrs):
    a, b = inputs
    return a - b, _elementwise_sum_exact(a, b), ""


def _significant_bits(v: np.ndarray) -> int:
    """Bits needed for every value of ``v`` as an integer multiple of its grid (0 for an all-zero tensor)."""
    e = grid_exponent(v)
    top = float(np.max(np.abs(v), initial=0.0))
    return 0 if e is None or top == 0 else int(math.floor(math.log2(top))) + 1 - e


@rule("Mul")
def mul(node, inputs, attrs):
    a, b = inputs
    ok = _significant_bits(a) + _significant_bits(b) <= FLOAT64_SIGNIFICAND_BITS
    return a * b, ok, "" if ok else f"node '{node.name}' (Mul): the product needs more than 53 bits"


@rule("Div")
def div(node, inputs, attrs):
    a, b = inputs
    ok = _all_po2(np.abs(b))
    return a / b, ok, "" if ok else f"node '{node.name}' (Div): divisor not a power of two"


@rule("Relu")
def relu(node, inputs, attrs):
    return np.maximum(inputs[0], 0.0), True, ""


@rule("Identity", "Dropout")
def identity(node, inputs, attrs):
    return inputs[0], True, ""


@rule("Reshape")
def reshape(node, inputs, attrs):
    """The batch stays the first axis: exporters write a batch of 1 (or -1) there, so it is replaced by N."""
    x, shape = inputs[0], [int(v) for v in np.asarray(inputs[1]).ravel()]
    rest = [x.shape[i + 1] if v == 0 else v for i, v in enumerate(shape[1:])]  # ONNX: 0 copies the input dim
    return x.reshape((x.shape[0], *rest)), True, ""


@rule("Flatten")
def flatten(node, inputs, attrs):
    axis = int(attrs.get("axis", 1))
    if axis != 1:
        raise UnsupportedModelError(f"node '{node.name}' (Flatten): axis {axis}; only axis 1 (keep the batch) is "
                                    "supported.")
    return inputs[0].reshape(len(inputs[0]), -1), True, ""


@rule("Transpose")
def transpose(node, inputs, attrs):
    x = inputs[0]
    perm = list(attrs.get("perm", list(range(x.ndim))[::-1]))
    if perm[0] != 0:
        raise UnsupportedModelError(f"node '{node.name}' (Transpose): perm {perm} moves the batch axis.")
    return np.transpose(x, perm), True, ""


@rule("Concat")
def concat(node, inputs, attrs):
    axis = int(attrs["axis"])
    if axis == 0 or axis == -inputs[0].ndim:
        raise UnsupportedModelError(f"node '{node.name}' (Concat): concatenation over the batch axis.")
    return np.concatenate(inputs, axis=axis), True, ""


@rule("Squeeze", "Unsqueeze")
def squeeze(node, inputs, attrs):
    x = inputs[0]
    axes = attrs.get("axes") if len(inputs) < 2 or inputs[1] is None else [int(a) for a in np.ravel(inputs[1])]
    if node.op_type == "Squeeze":
        axes = tuple(a for a in range(1, x.ndim) if x.shape[a] == 1) if axes is None else tuple(axes)
        if 0 in axes or -x.ndim in axes:
            raise UnsupportedModelError(f"node '{node.name}' (Squeeze): squeezes the batch axis.")
        return np.squeeze(x, axis=axes), True, ""
    out = x
    for a in sorted(int(v) for v in axes):
        out = np.expand_dims(out, a)
    return out, True, ""


@rule("MaxPool")
def max_pool(node, inputs, attrs):
    from edgenn.qonnx.conv import pool

    return pool(node, inputs[0], attrs, "max"), True, ""


@rule("AveragePool")
def average_pool(node, inputs, attrs):
    from edgenn.qonnx.conv import pool

    count = int(np.prod(attrs["kernel_shape"]))
    ok = count & (count - 1) == 0  # a sum of dyadic values divided by a power of two stays dyadic
    return pool(node, inputs[0], attrs, "mean"), ok, "" if ok else f"node '{node.name}': mean over {count} values"


@rule("GlobalAveragePool", "GlobalMaxPool")
def global_pool(node, inputs, attrs):
    x = inputs[0]
    axes = tuple(range(2, x.ndim))
    if node.op_type == "GlobalMaxPool":
        return x.max(axis=axes, keepdims=True), True, ""
    count = int(np.prod(x.shape[2:]))
    ok = count & (count - 1) == 0
    return x.mean(axis=axes, keepdims=True), ok, "" if ok else f"node '{node.name}': mean over {count} values"


@rule("Conv")
def conv(node, inputs, attrs):
    from edgenn.qonnx.conv import convolve

    x, w = inputs[0], inputs[1]
    b = inputs[2] if len(inputs) > 2 else None
    out = convolve(node, x, w, b, attrs)
    cols = np.abs(w).reshape(w.shape[0], -1).sum(axis=1)  # per output channel: sum of |w| over its receptive field
    ok = sum_is_exact(float(np.max(np.abs(x), initial=0.0)), grid_exponent(x), cols, grid_exponent(w),
                      np.zeros(1) if b is None else np.abs(b), None if b is None else grid_exponent(b))
    return out, ok, ""


@rule("BatchNormalization")
def batch_norm(node, inputs, attrs):
    x, gamma, beta, mean, var = inputs[:5]
    shape = (1, -1) + (1,) * (x.ndim - 2)
    inv = gamma / np.sqrt(var + float(attrs.get("epsilon", 1e-5)))
    out = (x - mean.reshape(shape)) * inv.reshape(shape) + beta.reshape(shape)
    return out, False, f"node '{node.name}' (BatchNormalization): a float normalisation (sqrt) has no dyadic value"


@rule("Softmax", "Sigmoid", "Tanh")
def transcendental(node, inputs, attrs):
    x = inputs[0]
    if node.op_type == "Softmax":
        axis = int(attrs.get("axis", -1))
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        out = e / e.sum(axis=axis, keepdims=True)
    else:
        out = 1.0 / (1.0 + np.exp(-x)) if node.op_type == "Sigmoid" else np.tanh(x)
    return out, False, f"node '{node.name}' ({node.op_type}): a transcendental function, evaluated in float64"
