"""Exact arithmetic of Keras / QKeras layers, one rule per layer class.

A rule takes the layer and its float64 inputs and returns ``(output, exact, reason)``. ``exact`` means the float64
output *is* the real-number value the layer defines for these inputs: linear layers prove it with
``exactness.sum_is_exact`` on the actual operands, quantizers and data movement are exact by construction, and real
functions without a dyadic value (softmax, sigmoid, tanh, float BatchNorm scales, ...) are evaluated in float64 and
marked inexact with the reason. Rules never look at the generated firmware.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from edgenn.errors import UnsupportedModelError
from edgenn.reference.exactness import FLOAT64_SIGNIFICAND_BITS, grid_exponent, sum_is_exact
from edgenn.reference.quantizers import quantize_activation, weight_values

Out = tuple[np.ndarray, bool, str]
Rule = Callable[[Any, list[np.ndarray]], Out]
RULES: dict[str, Rule] = {}


def rule(*names: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        for name in names:
            RULES[name] = fn
        return fn
    return register


def _where(layer: Any) -> str:
    return f"layer '{layer.name}' ({type(layer).__name__})"


def _unsupported(layer: Any, why: str) -> UnsupportedModelError:
    return UnsupportedModelError(f"{_where(layer)}: {why}")


def _pow2(v: float) -> bool:
    return v > 0 and math.frexp(v)[0] == 0.5


def _elementwise_exact(result_abs_max: float, *exps: int | None) -> bool:
    """A sum/difference of dyadic values on grids 2**e_i is exact if its magnitude is below 2**(53 + min e_i)."""
    present = [e for e in exps if e is not None]
    return not present or result_abs_max < 2.0 ** (FLOAT64_SIGNIFICAND_BITS + min(present))


# ----- activations ---------------------------------------------------------------------------------------------
_REAL_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "tanh": np.tanh,
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(np.minimum(x, 0.0))),
    "softplus": lambda x: np.logaddexp(0.0, x),
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "exponential": np.exp,
    "hard_sigmoid": lambda x: np.clip(0.2 * x + 0.5, 0.0, 1.0),
    "swish": lambda x: x / (1.0 + np.exp(-x)),
    "gelu": None,  # type: ignore[dict-item]
}


def softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def apply_activation(name: str, x: np.ndarray, where: str) -> Out:
    if name == "linear":
        return x, True, ""
    if name == "relu":
        return np.maximum(x, 0.0), True, ""
    if name == "softmax":
        return softmax(x), False, f"{where}: softmax is a real function, evaluated in float64"
    if name == "binary_tanh":  # QKeras: 2 round(hard_sigmoid(x)) - 1, round half to even: 0 -> -1
        return np.where(x > 0, 1.0, -1.0), True, ""
    fn = _REAL_FUNCTIONS.get(name)
    if fn is None:
        raise UnsupportedModelError(f"{where}: activation '{name}' is not evaluated by the exact reference.")
    return fn(x), False, f"{where}: {name} is a real function, evaluated in float64"


def activation_name(act: Any) -> str:
    if act is None:
        return "linear"
    return act if isinstance(act, str) else getattr(act, "__name__", str(act))


def _fused(layer: Any, out: Out) -> Out:
    """Apply the activation a Dense/Conv layer carries inside itself (Keras's ``activation=`` argument)."""
    values, exact, reason = out
    act = getattr(layer, "activation", None)
    if act is not None and hasattr(act, "get_config") and type(act).__name__.startswith("quantized"):
        y, e, r = quantize_activation(act, values, _where(layer))
    else:
        y, e, r = apply_activation(activation_name(act), values, _where(layer))
    return y, exact and e, "; ".join(s for s in (reason, r) if s)


@rule("QActivation")
def _qactivation(layer: Any, ins: list[np.ndarray]) -> Out:
    q = layer.quantizer
    if isinstance(q, str) or callable(q) and not hasattr(q, "get_config"):
        return apply_activation(activation_name(q), ins[0], _where(layer))
    return quantize_activation(q, ins[0], _where(layer))


@rule("Activation")
def _activation(layer: Any, ins: list[np.ndarray]) -> Out:
    return apply_activation(activation_name(layer.activation), ins[0], _where(layer))


@rule("Softmax")
def _softmax(layer: Any, ins: list[np.ndarray]) -> Out:
    return softmax(ins[0]), False, f"{_where(layer)}: softmax is a real function, evaluated in float64"


@rule("ReLU")
def _relu(layer: Any, ins: list[np.ndarray]) -> Out:
    x = ins[0]
    slope = float(layer.negative_slope)
    threshold = float(layer.threshold)
    y = np.where(x >= threshold, x, slope * (x - threshold))
    if layer.max_value is not None:
        y = np.minimum(y, float(layer.max_value))
    exact = slope == 0.0 or _pow2(slope) and threshold == 0.0
    return y, exact, "" if exact else f"{_where(layer)}: negative slope {slope} is not a power of two"


def _sloped(layer: Any, x: np.ndarray, alpha: np.ndarray, what: str) -> Out:
    """``x >= 0 ? x : alpha * x``: exact when every product is a float64 value (checked on these operands)."""
    y = np.where(x >= 0, x, alpha * x)
    e_x, e_a = grid_exponent(x), grid_exponent(alpha)
    exact = e_a is None or e_a > -1000 and _elementwise_exact(
        float(np.max(np.abs(alpha * x), initial=0.0)), None if e_x is None else e_x + e_a)
    return y, exact, "" if exact else f"{_where(layer)}: {what} times the input is rounded in float64"


@rule("LeakyReLU")
def _leaky(layer: Any, ins: list[np.ndarray]) -> Out:
    return _sloped(layer, ins[0], np.asarray(float(layer.alpha)), f"slope {float(layer.alpha)}")


@rule("ThresholdedReLU")
def _thresholded(layer: Any, ins: list[np.ndarray]) -> Out:
    x = ins[0]
    return np.where(x > float(layer.theta), x, 0.0), True, ""


@rule("PReLU")
def _prelu(layer: Any, ins: list[np.ndarray]) -> Out:
    return _sloped(layer, ins[0], np.asarray(layer.alpha.numpy(), np.float64), "a learned slope")


@rule("ELU")
def _elu(layer: Any, ins: list[np.ndarray]) -> Out:
    x = ins[0]
    return np.where(x > 0, x, float(layer.alpha) * np.expm1(np.minimum(x, 0.0))), False, \
        f"{_where(layer)}: elu is a real function, evaluated in float64"


# ----- linear layers -------------------------------------------------------------------------------------------
def _weights(layer: Any, attr: str, quantizer_attr: str) -> np.ndarray | None:
    w = getattr(layer, attr, None)
    if w is None:
        return None
    q = getattr(layer, quantizer_attr, None)
    return weight_values(q, w.numpy()) if q else np.asarray(w.numpy(), np.float64)


def _kernel_bias(layer: Any, kernel_attr: str = "kernel", quantizer: str = "kernel_quantizer_internal"):
    kernel = _weights(layer, kernel_attr, quantizer)
    bias = _weights(layer, "bias", "bias_quantizer_internal") if getattr(layer, "use_bias", False) else None
    return kernel, bias


def affine(x: np.ndarray, w2d: np.ndarray, bias: np.ndarray | None, where: str) -> Out:
    """``x @ w2d + bias`` over the last axis of ``x``, with the exactness proof on these operands."""
    b = np.zeros(w2d.shape[1]) if bias is None else np.asarray(bias, np.float64).reshape(-1)
    y = x @ w2d + b
    exact = sum_is_exact(float(np.max(np.abs(x), initial=0.0)), grid_exponent(x), np.abs(w2d).sum(axis=0),
                         grid_exponent(w2d), np.abs(b), grid_exponent(b))
    return y, exact, "" if exact else f"{where}: a sum needs more than 53 bits; float64 rounds it"


@rule("Dense", "QDense")
def _dense(layer: Any, ins: list[np.ndarray]) -> Out:
    kernel, bias = _kernel_bias(layer)
    return _fused(layer, affine(ins[0], kernel, bias, _where(layer)))


def _pad(x: np.ndarray, kernel: tuple[int, ...], strides: tuple[int, ...], padding: str,
         fill: float = 0.0) -> np.ndarray:
    """Padding of the spatial axes as Keras/TensorFlow does for 'same' (extra row/column at the end)."""
    if padding == "valid":
        return x
    if padding != "same":
        raise UnsupportedModelError(f"padding '{padding}' is not evaluated by the exact reference.")
    pads = [(0, 0)]
    for size, k, s in zip(x.shape[1:-1], kernel, strides):
        out = -(-size // s)
        total = max((out - 1) * s + k - size, 0)
        pads.append((total // 2, total - total // 2))
    return np.pad(x, pads + [(0, 0)], constant_values=fill)


def _patches(x: np.ndarray, kernel: tuple[int, ...], strides: tuple[int, ...]) -> np.ndarray:
    """(batch, *out_spatial, *kernel, channels) windows of a channels_last tensor."""
    win = np.lib.stride_tricks.sliding_window_view(x, kernel, axis=tuple(range(1, 1 + len(kernel))))
    # sliding_window_view puts the window axes last: (batch, *out, channels, *kernel)
    win = win[(slice(None),) + tuple(slice(None, None, s) for s in strides)]
    order = (0, *range(1, 1 + len(kernel)), *range(2 + len(kernel), 2 + 2 * len(kernel)), 1 + len(kernel))
    return np.transpose(win, order)


def _conv_geometry(layer: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        raise _unsupported(layer, "channels_first convolutions are not evaluated by the exact reference.")
    if any(d != 1 for d in getattr(layer, "dilation_rate", (1,))):
        raise _unsupported(layer, "dilated convolutions are not evaluated by the exact reference.")
    return tuple(layer.kernel_size), tuple(layer.strides)


@rule("Conv1D", "Conv2D", "QConv1D", "QConv2D")
def _conv(layer: Any, ins: list[np.ndarray]) -> Out:
    kernel_size, strides = _conv_geometry(layer)
    if getattr(layer, "groups", 1) != 1:
        raise _unsupported(layer, "grouped convolutions are not evaluated by the exact reference.")
    kernel, bias = _kernel_bias(layer)
    p = _patches(_pad(ins[0], kernel_size, strides, layer.padding), kernel_size, strides)
    flat = p.reshape(*p.shape[: 1 + len(kernel_size)], -1)
    return _fused(layer, affine(flat, kernel.reshape(-1, kernel.shape[-1]), bias, _where(layer)))


def _depthwise(layer: Any, x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None) -> Out:
    kernel_size, strides = _conv_geometry(layer)
    p = _patches(_pad(x, kernel_size, strides, layer.padding), kernel_size, strides)  # (..., *k, C)
    mult = kernel.shape[-1]
    k = kernel.reshape(-1, kernel.shape[-2], mult)  # (taps, C, mult)
    taps = p.reshape(*p.shape[: 1 + len(kernel_size)], -1, p.shape[-1])  # (..., taps, C)
    y = np.einsum("...tc,tcm->...cm", taps, k).reshape(*taps.shape[:-2], -1)
    b = np.zeros(y.shape[-1]) if bias is None else bias.reshape(-1)
    y = y + b
    exact = sum_is_exact(float(np.max(np.abs(x), initial=0.0)), grid_exponent(x),
                         np.abs(k).sum(axis=0).reshape(-1), grid_exponent(k), np.abs(b), grid_exponent(b))
    return y, exact, "" if exact else f"{_where(layer)}: a sum needs more than 53 bits; float64 rounds it"


@rule("DepthwiseConv1D", "DepthwiseConv2D", "QDepthwiseConv2D")
def _depthwise_rule(layer: Any, ins: list[np.ndarray]) -> Out:
    kernel = _weights(layer, "depthwise_kernel", "depthwise_quantizer_internal")
    bias = _weights(layer, "bias", "bias_quantizer_internal") if layer.use_bias else None
    return _fused(layer, _depthwise(layer, ins[0], kernel, bias))


@rule("SeparableConv1D", "SeparableConv2D", "QSeparableConv1D", "QSeparableConv2D")
def _separable(layer: Any, ins: list[np.ndarray]) -> Out:
    dw = _weights(layer, "depthwise_kernel", "depthwise_quantizer_internal")
    pw = _weights(layer, "pointwise_kernel", "pointwise_quantizer_internal")
    bias = _weights(layer, "bias", "bias_quantizer_internal") if layer.use_bias else None
    mid, e1, r1 = _depthwise(layer, ins[0], dw, None)
    y, e2, r2 = affine(mid, pw.reshape(-1, pw.shape[-1]), bias, _where(layer))
    return _fused(layer, (y, e1 and e2, "; ".join(s for s in (r1, r2) if s)))


# ----- normalisation (float parameters: no dyadic value) -------------------------------------------------------
def _short(v: np.ndarray) -> bool:
    """Every value has at most 26 significant bits, so a product of two such values is exact in float64."""
    e = grid_exponent(v)
    return e is None or float(np.max(np.abs(v))) < 2.0 ** (26 + e)


def _normalise(layer: Any, x: np.ndarray, mean, var, gamma, beta) -> Out:
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta``; exact when that is ``x * s + b`` with dyadic ``s, b``.

    The proof: epsilon 0, ``sqrt(var)`` and ``s = gamma / sqrt(var)`` short dyadic numbers whose products give back
    ``var`` and ``gamma`` (products of short numbers are exact, so the equalities are proofs), ``s * mean`` exact,
    and ``x * s + b`` within float64's significand on these operands."""
    if isinstance(layer.axis, (list, tuple)) and list(layer.axis) not in ([-1], [x.ndim - 1]):
        raise _unsupported(layer, "BatchNormalization over an axis other than the last.")
    ones = np.ones(x.shape[-1])
    mean, var, gamma, beta = (np.asarray(v, np.float64) * ones for v in (mean, var, gamma, beta))
    eps = float(layer.epsilon)
    y = (x - mean) / np.sqrt(var + eps) * gamma + beta
    reason = f"{_where(layer)}: 1/sqrt(variance + epsilon) has no dyadic value; evaluated in float64"
    root = np.sqrt(var)
    scale = gamma / np.where(root == 0, 1.0, root)
    if eps != 0.0 or not (np.all(root > 0) and _short(root) and _short(scale) and _short(mean)
                          and np.array_equal(root * root, var) and np.array_equal(scale * root, gamma)):
        return y, False, reason
    shift = beta - scale * mean
    e_x, e_s, e_b = grid_exponent(x), grid_exponent(scale), _grid_min([beta, scale * mean])
    exact = _elementwise_exact(float(np.max(np.abs(beta) + np.abs(scale * mean), initial=0.0)), e_b) and \
        _elementwise_exact(float(np.max(np.abs(x * scale) + np.abs(shift), initial=0.0)),
                           None if e_x is None or e_s is None else e_x + e_s, grid_exponent(shift))
    return (x * scale + shift, True, "") if exact else (y, False, reason)


def _bn_params(layer: Any, quantized: bool):
    def value(attr: str, quantizer: str, default: float):
        w = getattr(layer, attr, None)
        if w is None:
            return default
        q = getattr(layer, quantizer, None) if quantized and getattr(layer, quantizer.removesuffix("_internal"),
                                                                     None) else None
        return weight_values(q, w.numpy()) if q else np.asarray(w.numpy(), np.float64)

    gamma = value("gamma", "gamma_quantizer_internal", 1.0) if layer.scale else 1.0
    beta = value("beta", "beta_quantizer_internal", 0.0) if layer.center else 0.0
    mean = value("moving_mean", "mean_quantizer_internal", 0.0)
    var = value("moving_variance", "variance_quantizer_internal", 1.0)
    return mean, var, gamma, beta


@rule("BatchNormalization")
def _batchnorm(layer: Any, ins: list[np.ndarray]) -> Out:
    return _normalise(layer, ins[0], *_bn_params(layer, quantized=False))


@rule("QBatchNormalization")
def _qbatchnorm(layer: Any, ins: list[np.ndarray]) -> Out:
    """QKeras normalises with its quantized statistics at inference (qnormalization.py ``call``)."""
    return _normalise(layer, ins[0], *_bn_params(layer, quantized=True))


# ----- pooling -------------------------------------------------------------------------------------------------
def _pool(layer: Any, x: np.ndarray, reduce: str) -> Out:
    """TensorFlow pooling: 'same' padding ignores the padded cells (max over, and mean over, the real cells only)."""
    size = tuple(int(p) for p in np.atleast_1d(layer.pool_size))
    strides = tuple(int(p) for p in np.atleast_1d(layer.strides))
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        raise _unsupported(layer, "channels_first pooling is not evaluated by the exact reference.")
    axes = tuple(range(1 + len(size), 1 + 2 * len(size)))
    if reduce == "max":
        return _patches(_pad(x, size, strides, layer.padding, -np.inf), size, strides).max(axis=axes), True, ""
    p = _patches(_pad(x, size, strides, layer.padding), size, strides)
    counts = _patches(_pad(np.ones_like(x[:1]), size, strides, layer.padding), size, strides).sum(axis=axes)
    return _mean(layer, p, axes, counts)


def _mean(layer: Any, x: np.ndarray, axes: tuple[int, ...], n: int | np.ndarray) -> Out:
    """Sum over ``axes`` divided by ``n`` (a count, or one per output element): exact for powers of two."""
    total = x.sum(axis=axes)
    counts = np.unique(np.asarray(n, np.float64))
    exact = all(_pow2(float(c)) for c in counts) and _elementwise_exact(
        float(np.abs(x).sum(axis=axes).max(initial=0.0)), grid_exponent(x))
    bad = ", ".join(f"{c:g}" for c in counts if not _pow2(float(c)))
    return total / n, exact, "" if exact else f"{_where(layer)}: division by {bad or 'a count'} rounds"


@rule("MaxPooling1D", "MaxPooling2D", "MaxPool1D", "MaxPool2D")
def _maxpool(layer: Any, ins: list[np.ndarray]) -> Out:
    return _pool(layer, ins[0], "max")


@rule("AveragePooling1D", "AveragePooling2D", "AvgPool1D", "AvgPool2D", "QAveragePooling2D")
def _avgpool(layer: Any, ins: list[np.ndarray]) -> Out:
    return _pool(layer, ins[0], "mean")


@rule("GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPool1D", "GlobalMaxPool2D")
def _gmax(layer: Any, ins: list[np.ndarray]) -> Out:
    x = ins[0]
    y = x.max(axis=tuple(range(1, x.ndim - 1)), keepdims=bool(getattr(layer, "keepdims", False)))
    return y, True, ""


@rule("GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAvgPool1D", "GlobalAvgPool2D",
      "QGlobalAveragePooling2D")
def _gavg(layer: Any, ins: list[np.ndarray]) -> Out:
    x = ins[0]
    axes = tuple(range(1, x.ndim - 1))
    y, exact, reason = _mean(layer, x, axes, int(np.prod([x.shape[a] for a in axes])))
    if getattr(layer, "keepdims", False):
        y = np.expand_dims(y, axes)
    return y, exact, reason


# ----- data movement (exact) -----------------------------------------------------------------------------------
@rule("InputLayer", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise", "GaussianDropout",
      "AlphaDropout", "ActivityRegularization")
def _identity(layer: Any, ins: list[np.ndarray]) -> Out:
    return ins[0], True, ""


@rule("Flatten")
def _flatten(layer: Any, ins: list[np.ndarray]) -> Out:
    return ins[0].reshape(len(ins[0]), -1), True, ""


@rule("Reshape")
def _reshape(layer: Any, ins: list[np.ndarray]) -> Out:
    return ins[0].reshape(len(ins[0]), *layer.target_shape), True, ""


@rule("Permute")
def _permute(layer: Any, ins: list[np.ndarray]) -> Out:
    return np.transpose(ins[0], (0, *layer.dims)), True, ""


@rule("ZeroPadding1D", "ZeroPadding2D")
def _zeropad(layer: Any, ins: list[np.ndarray]) -> Out:
    pad = layer.padding
    pads = [tuple(pad)] if isinstance(pad[0], int) else [tuple(p) for p in pad]
    return np.pad(ins[0], [(0, 0), *pads, (0, 0)]), True, ""


@rule("Cropping1D", "Cropping2D")
def _crop(layer: Any, ins: list[np.ndarray]) -> Out:
    crop = layer.cropping
    crops = [tuple(crop)] if isinstance(crop[0], int) else [tuple(c) for c in crop]
    index = (slice(None),) + tuple(slice(a, s - b) for (a, b), s in zip(crops, ins[0].shape[1:])) + (slice(None),)
    return ins[0][index], True, ""


@rule("UpSampling1D", "UpSampling2D")
def _upsample(layer: Any, ins: list[np.ndarray]) -> Out:
    size = (layer.size,) if isinstance(layer.size, int) else tuple(layer.size)
    if getattr(layer, "interpolation", "nearest") != "nearest":
        raise _unsupported(layer, "only nearest-neighbour upsampling is evaluated by the exact reference.")
    y = ins[0]
    for axis, s in enumerate(size, start=1):
        y = np.repeat(y, s, axis=axis)
    return y, True, ""


# ----- merges --------------------------------------------------------------------------------------------------
def _grid_min(ins: list[np.ndarray]) -> int | None:
    exps = [e for e in (grid_exponent(x) for x in ins) if e is not None]
    return min(exps) if exps else None


@rule("Add", "Subtract", "Average")
def _add(layer: Any, ins: list[np.ndarray]) -> Out:
    cls = type(layer).__name__
    y = ins[0] - ins[1] if cls == "Subtract" else sum(ins[1:], ins[0])
    bound = float(sum(np.abs(x) for x in ins).max(initial=0.0))
    exact = _elementwise_exact(bound, _grid_min(ins))
    if cls == "Average":
        y = y / len(ins)
        exact = exact and _pow2(float(len(ins)))
    return y, exact, "" if exact else f"{_where(layer)}: the sum is not exact in float64"


@rule("Multiply")
def _multiply(layer: Any, ins: list[np.ndarray]) -> Out:
    y = ins[0]
    exact = True
    for x in ins[1:]:
        e1, e2 = grid_exponent(y), grid_exponent(x)
        y = y * x
        if e1 is not None and e2 is not None:
            exact = exact and float(np.abs(y).max(initial=0.0)) < 2.0 ** (FLOAT64_SIGNIFICAND_BITS + e1 + e2)
    return y, exact, "" if exact else f"{_where(layer)}: the product needs more than 53 bits"


@rule("Maximum", "Minimum")
def _maxmin(layer: Any, ins: list[np.ndarray]) -> Out:
    fn = np.maximum if type(layer).__name__ == "Maximum" else np.minimum
    y = ins[0]
    for x in ins[1:]:
        y = fn(y, x)
    return y, True, ""


@rule("Concatenate")
def _concat(layer: Any, ins: list[np.ndarray]) -> Out:
    return np.concatenate(ins, axis=layer.axis), True, ""
