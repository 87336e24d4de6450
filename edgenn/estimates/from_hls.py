"""Read a converted hls4ml 1.3 ModelGraph into a framework-free `DesignSpec` (no compile, no vendor tool).

Weights are quantized here exactly as the generated C++ would (the weight type's rounding: TRN floors, RND rounds)
so that zeros, shift-only (+-2^k) weights and the width each constant really needs are counted from real values.
This module walks the graph and reads the layers it knows (input, Dense, wiring, ReLU/cast, softmax); every other
layer is read by the reader its own module registers with `edgenn.estimates.hls_layers.register_hls_layer`.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from edgenn.errors import UnsupportedModelError
from edgenn.estimates.analytic import csd_histogram, csd_mantissa_bits, weight_statistics
from edgenn.estimates.hls_layers import HlsLayerContext, hls_layer_reader, register_hls_layer
from edgenn.estimates.resources import DesignSpec, LayerSpec


def _width_signed_frac(precision: Any) -> tuple[int, bool, int]:
    width = int(getattr(precision, "width", 0) or 0)
    signed = bool(getattr(precision, "signed", True))
    integer = getattr(precision, "integer", width)
    frac = width - int(integer if integer is not None else width)
    return width, signed, frac


def quantize(data: np.ndarray, precision: Any) -> np.ndarray:
    """Integer codes of ``data`` in the fixed-point type (value = code * 2^-frac), with wrap-around overflow."""
    width, signed, frac = _width_signed_frac(precision)
    scaled = np.asarray(data, dtype=np.float64) * (2.0**frac)
    mode = str(getattr(getattr(precision, "rounding_mode", None), "name", "TRN"))
    codes = np.floor(scaled + 0.5) if mode.startswith("RND") else np.floor(scaled)
    codes = codes.astype(np.int64)
    if width and width < 63:
        span = 1 << width
        codes = np.mod(codes, span)
        if signed:
            codes = np.where(codes >= span // 2, codes - span, codes)
    return codes


def _type(layer: Any, name: str) -> Any:
    t = layer.types.get(name) if hasattr(layer, "types") else None
    return t.precision if t is not None else None


def _n_elements(shape: Any) -> int:
    return int(math.prod(int(s) for s in shape)) if shape else 1


def dense_spec(layer: Any, in_width: int) -> LayerSpec:
    weight = layer.get_weights("weight")
    wprec = weight.type.precision
    w_width, w_signed, _ = _width_signed_frac(wprec)
    codes = quantize(weight.data, wprec)
    nonzero, pow2, hist, lut_digits = weight_statistics(codes, w_signed)
    strategy = str(layer.get_attr("strategy", "latency")).lower()
    if strategy not in ("latency", "resource"):
        raise UnsupportedModelError(
            f"layer {layer.name!r}: strategy {strategy!r} is not modelled by the analytic estimator.",
            fix="estimate Latency or Resource designs; for distributed_arithmetic use da4ml's own cost report.",
        )
    accum = _type(layer, "accum_t")
    result = layer.get_output_variable().type.precision
    return LayerSpec(
        name=layer.name, kind="dense", n_in=int(layer.get_attr("n_in")), n_out=int(layer.get_attr("n_out")),
        weight_width=w_width, weight_signed=w_signed, input_width=in_width,
        accum_width=_width_signed_frac(accum)[0] if accum is not None else _width_signed_frac(result)[0],
        result_width=_width_signed_frac(result)[0], num_nonzero_weights=nonzero,
        reuse_factor=int(layer.get_attr("reuse_factor", 1)), strategy="Resource" if strategy == "resource" else "Latency",
        num_power_of_two_weights=pow2, mult_sig_bits_hist=hist, lut_mult_csd_digits=lut_digits,
        csd_digits_hist=csd_histogram(codes), csd_mantissa_bits=csd_mantissa_bits(codes),
    )


def design_from_hls_model(hls_model: Any) -> DesignSpec:
    """Turn a converted (not necessarily compiled) hls4ml ModelGraph into a `DesignSpec`."""
    io_type = str(hls_model.config.get_config_value("IOType", "io_parallel"))
    clock = float(hls_model.config.get_config_value("ClockPeriod", 5))
    part = str(hls_model.config.get_config_value("Part", "") or "")
    layers: list[LayerSpec] = []
    prev_width = 0
    widths: dict[str, int] = {}  # output width of every layer read so far, for multi-input layers
    for layer in hls_model.get_layers():
        out = layer.get_output_variable()
        out_width = _width_signed_frac(out.type.precision)[0]
        n_out = _n_elements(out.shape)
        in_widths = [widths[name] for name in getattr(layer, "inputs", ()) if name in widths]
        in_width = in_widths[0] if in_widths else prev_width
        spec = _layer_spec(layer, in_width or out_width, in_widths, out_width, n_out, io_type)
        if io_type == "io_stream":  # one stream element: a pixel's channels (or the whole vector of a 1-D output)
            spec = replace(spec, stream_bits=int(out.shape[-1]) * out_width if out.shape else out_width)
        spec = replace(spec, inputs=tuple(name for name in getattr(layer, "inputs", ()) if name in widths))
        layers.append(spec)
        prev_width = widths[layer.name] = out_width
    backend = getattr(getattr(hls_model.config, "backend", None), "name", "") or ""
    tool = "Vivado" if backend.lower().startswith("vivado") else "Vitis" if backend.lower() == "vitis" else ""
    return DesignSpec(tuple(layers), clock_period_ns=clock, part=part, io_type=io_type, tool=tool)


_WIRING = ("Reshape", "Transpose", "Concatenate")  # hls4ml io_parallel: values only move


def _layer_spec(layer: Any, in_width: int, in_widths: list[int], out_width: int, n_out: int,
                io_type: str) -> LayerSpec:
    out = layer.get_output_variable()
    cls = layer.class_name
    # io_stream activations handle one pixel (its channels) per cycle, not the whole feature map
    n_par = int(out.shape[-1]) if io_type == "io_stream" and len(out.shape) > 1 else n_out
    context = HlsLayerContext(in_width=in_width, in_widths=tuple(in_widths), out_width=out_width, n_out=n_out,
                              n_par=n_par, io_type=io_type,
                              activation=str(layer.get_attr("activation", "") or "").lower(),
                              kind_name=str(layer.get_attr("class_name", cls)))
    read = hls_layer_reader(layer, context)
    if read is None:
        return LayerSpec(layer.name, "other", n_out, n_out, result_width=out_width)
    return read(layer, context)


def _parallel(layer: Any, context: HlsLayerContext) -> bool:
    return context.io_type == "io_parallel"


@register_hls_layer("Input")
def read_input(layer: Any, context: HlsLayerContext) -> LayerSpec:
    return LayerSpec(layer.name, "input", context.n_out, context.n_out, result_width=context.out_width)


@register_hls_layer("Dense")
def read_dense(layer: Any, context: HlsLayerContext) -> LayerSpec:
    return dense_spec(layer, context.in_width)


@register_hls_layer(*_WIRING, when=_parallel)
def read_wiring(layer: Any, context: HlsLayerContext) -> LayerSpec:
    return LayerSpec(layer.name, "reshape", context.n_out, context.n_out, result_width=context.out_width)


@register_hls_layer(when=lambda layer, context: layer.class_name in ("Activation", "ReLU")
                    and context.activation in ("relu", "linear"))
def read_relu_or_cast(layer: Any, context: HlsLayerContext) -> LayerSpec:
    return LayerSpec(layer.name, "relu" if context.activation == "relu" else "cast", context.n_par, context.n_par,
                     input_width=context.in_width, result_width=context.out_width)


@register_hls_layer(when=lambda layer, context: layer.class_name == "Softmax" or context.activation == "softmax")
def read_softmax(layer: Any, context: HlsLayerContext) -> LayerSpec:
    # io_stream: the softmax of one pixel's channels per cycle, not of the whole feature map (pominiq's CNN: an
    # 8-channel softmax over 16 pixels, 1 DSP and 1.9k LUT in csynth, not 128 exponentials)
    table = _type(layer, "exp_table_t")
    return LayerSpec(layer.name, "softmax", context.n_par, context.n_par, input_width=context.in_width,
                     result_width=context.out_width,
                     accum_width=_width_signed_frac(table)[0] if table is not None else 18,
                     table_size=int(layer.get_attr("table_size", 0) or 0),
                     op=str(layer.get_attr("implementation", "stable") or "stable").lower())
