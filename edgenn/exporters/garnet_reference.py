"""Numpy model of hls4ml 1.3's GarNet firmware (``nnet_utils/nnet_garnet.h``), bit for bit, for the configuration
edgenn exports: one GarNet layer, ``collapse_mean``, ``mean_by_nvert=false``, io_parallel, reuse factor a power of two
dividing N.

Contract: ``garnet_firmware(layer, x, n_vertices, types, reuse_factor)`` returns the layer's firmware output (batch,
n_filters) as float64 values on the result type's grid, given the values the firmware receives (``x`` on the data
type's grid, integer ``n_vertices``). Every ``ap_fixed`` operation of the header is mirrored: a product is exact and
the assignment casts it (``FixedPoint.quantize`` with the target's rounding and overflow); ``a += b`` is
``a = cast(a + b)`` (``ap_fixed_base`` OP_ASSIGN_AF); ``v >> k`` keeps v's type and floors (``operator>>``).

What the firmware does (header functions in brackets):

* weights (``hls4ml/model/layers.py`` ``GarNet._initialize_transforms``): FLR and Fout are contracted at conversion,
  ``W = FLR_kernel . Fout_kernel`` (n_out, n_aggr, n_in) and ``B = FLR_bias . Fout_kernel`` (n_out, n_aggr), in
  float32 numpy as hls4ml does; every array is written with ``'{:.10f}'`` and cast to
  ``ap_fixed<I+10, I, AP_RND, AP_SAT>`` with I from ``find_minimum_width`` (unsigned when no value is negative).
* distance (``compute_weights_aggregates``): ``distance_t`` = ``ap_fixed<12,4,AP_TRN,AP_SAT>`` (fixed in hls4ml's
  template); d = cast(S_bias); d = cast(d + cast(x_i * S_w_i)) per input feature.
* edge weight (``compute_edge_weight``): a 4096-entry table indexed by d's bits; entry = edge_weight_t(
  ap_fixed<25,9>(exp(-d*d))) (``hls::exp`` returns its argument's type, -d*d is ap_fixed<25,9>), entry 0 (d = 0) the
  saturated 1.0 of edge_weight_t.
* aggregation (``aggregate``): per block of U = N / RF vertices, local sums of w (edge_weight_aggr_t) and of
  data_t(x * w) (aggr_t), each block shifted right by log2(U) and accumulated; the total shifted by log2(RF), then
  cast to edge_weight_t / aggr_t (``set_means_normalized``). Vertices >= n_vertices are skipped.
* output (``OutputBiasNormalizer``, ``set_output``): bias_o = biases_t((aggr_t(aggr_t(Fout_b) * n)) >> log2 N);
  per aggregator aggr = aggr_t(wbar_a * B_oa) then aggr = aggr_t(aggr + wfm_ai * W_oai) per feature; the result
  acc = result_t(bias_o), acc = result_t(acc + wbar_a * aggr_oa) per aggregator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from edgenn.errors import UnsupportedModelError
from edgenn.exporters.fixed_point import FixedPoint

DISTANCE_T = FixedPoint(12, 4, True, "TRN", "SAT")  # nnet garnet_common_config_template: distance_width 12, nint 4
EXP_ARG_T = FixedPoint(25, 9, True, "TRN", "WRAP")  # type of -distance * distance, which hls::exp returns
WEIGHT_FRACTION_BITS = 10  # GarNet._add_variable(frac_width=10)


@dataclass(frozen=True)
class GarNetTypes:
    """The firmware types of one GarNet layer: its input, its configurable internals and its result."""

    data: FixedPoint
    edge_weight: FixedPoint
    edge_weight_aggr: FixedPoint
    aggr: FixedPoint
    result: FixedPoint


def find_minimum_width(data: np.ndarray, signed: bool) -> int:
    """hls4ml.model.types.find_minimum_width, in the same dtype (float32 data gives float32 log2)."""
    maxdata = np.amax(np.abs(data))
    if maxdata == 0.0:
        return 1
    log2max = np.log2(maxdata)
    iwidth = max(0, int(np.ceil(log2max)))
    if iwidth == int(np.floor(log2max)):
        iwidth += 1
    return iwidth + 1 if signed else iwidth


def weight_type(data: np.ndarray) -> FixedPoint:
    signed = bool(np.amin(data) < 0.0)
    integer = find_minimum_width(data, signed=signed)
    return FixedPoint(integer + WEIGHT_FRACTION_BITS, integer, signed, "RND", "SAT")


def firmware_values(data: np.ndarray, fp: FixedPoint) -> np.ndarray:
    """The values the C++ gets: the array printed with ``'{:.10f}'`` (hls4ml WeightVariable) then cast to ``fp``."""
    printed = np.array([float(f"{v:.{WEIGHT_FRACTION_BITS}f}") for v in np.asarray(data).ravel()], np.float64)
    return fp.quantize(printed).reshape(np.shape(data))


def keras_weights(layer: Any) -> dict[str, np.ndarray]:
    """GarNet's sublayer weights by hls4ml's names ('FLR_kernel', 'S_bias', ...), float32."""
    out = {}
    for w in layer.weights:
        key = w.name.split("/")[-1].split(":")[0]
        out[key] = np.asarray(w.numpy())
    missing = {"FLR_kernel", "FLR_bias", "S_kernel", "S_bias", "Fout_kernel", "Fout_bias"} - set(out)
    if missing:
        raise UnsupportedModelError(f"layer '{layer.name}' (GarNet): weights {sorted(missing)} not found.")
    return out


@dataclass(frozen=True)
class FirmwareWeights:
    """Weights as the firmware holds them (float64 values) with their types, in the header's index order."""

    input_transform_weights: np.ndarray  # (n_out, n_aggr, n_in)
    input_transform_biases: np.ndarray  # (n_out, n_aggr)
    aggregator_distance_weights: np.ndarray  # (n_aggr, n_in)
    aggregator_distance_biases: np.ndarray  # (n_aggr,)
    output_transform_biases: np.ndarray  # (n_out,)
    types: dict[str, FixedPoint]


def firmware_weights(layer: Any) -> FirmwareWeights:
    w = keras_weights(layer)
    n_aggr = w["S_kernel"].shape[1]
    n_prop = w["FLR_kernel"].shape[1]
    fout = w["Fout_kernel"].reshape((n_aggr, n_prop, -1))
    raw = {  # the same float32 expressions as hls4ml's GarNet._make_input_transform_weights
        "input_transform_weights": np.dot(w["FLR_kernel"], fout).transpose((2, 1, 0)),
        "input_transform_biases": np.dot(w["FLR_bias"], fout).transpose((1, 0)),
        "aggregator_distance_weights": w["S_kernel"].transpose((1, 0)),
        "aggregator_distance_biases": w["S_bias"],
        "output_transform_biases": w["Fout_bias"],
    }
    types = {name: weight_type(data) for name, data in raw.items()}
    values = {name: firmware_values(data, types[name]) for name, data in raw.items()}
    return FirmwareWeights(**values, types=types)


def edge_weight_table(edge_weight: FixedPoint) -> np.ndarray:
    """Edge weight for every distance code -2048..2047 (index code + 2048), as ``initialize_edge_weights_table``."""
    if edge_weight.signed or edge_weight.integer != 0:
        raise UnsupportedModelError(f"GarNet edge_weight_t must be ap_ufixed<W,0> (got {edge_weight.to_hls()}).")
    codes = np.arange(-2048, 2048)
    d = codes * DISTANCE_T.lsb
    # std::exp on the exact double (math.exp is the same C library call), then the argument type's truncation
    e = EXP_ARG_T.quantize(np.array([math.exp(-(v * v)) for v in d]))
    table = edge_weight.quantize(e)
    one = FixedPoint(edge_weight.width, 0, False, "TRN", "SAT").quantize(np.array([1.0]))[0]
    table[codes == 0] = edge_weight.quantize(np.array([one]))[0]
    return table


def _shift(v: np.ndarray, k: int, fp: FixedPoint) -> np.ndarray:
    """``v >> k`` for an ap_fixed of type ``fp``: same type, floor."""
    return fp.with_modes("TRN", "WRAP").quantize(v / 2.0**k) if k else v


def garnet_firmware(layer: Any, x: np.ndarray, n_vertices: np.ndarray, types: GarNetTypes,
                    reuse_factor: int) -> np.ndarray:
    """Firmware output (batch, n_out) of the GarNet ``layer`` on ``x`` (batch, N, P) and ``n_vertices`` (batch, 1)."""
    x = np.asarray(x, np.float64)
    batch, num_vertices, num_features = x.shape
    nw = int(round(math.log2(num_vertices)))
    if 2**nw != num_vertices:
        raise UnsupportedModelError(f"layer '{layer.name}' (GarNet): N = {num_vertices} is not a power of two.",
                                    fix="set data.num_constituents to 16 or 32.")
    lr = int(round(math.log2(reuse_factor))) if reuse_factor >= 1 else -1
    if lr < 0 or 2**lr != reuse_factor or num_vertices % reuse_factor:
        raise UnsupportedModelError(
            f"layer '{layer.name}' (GarNet): reuse factor {reuse_factor} must be a power of two dividing "
            f"{num_vertices} (hls4ml splits the vertex loop with shifts by log2 of it).",
            fix=f"use reuse_factor 1, 2, 4, ... up to {num_vertices}.")
    wts = firmware_weights(layer)
    n = np.asarray(n_vertices, np.float64).reshape(batch)
    mask = (np.arange(num_vertices)[None, :] < n[:, None]).astype(np.float64)  # (B, N)
    t_data, t_ew, t_ewa, t_aggr, t_res = types.data, types.edge_weight, types.edge_weight_aggr, types.aggr, types.result
    if not np.array_equal(t_data.quantize(x), x):
        raise ValueError("garnet_firmware: x is not on the data type's grid")

    # distances and edge weights, (B, N, A)
    s_w, s_b = wts.aggregator_distance_weights, wts.aggregator_distance_biases
    d = np.broadcast_to(DISTANCE_T.quantize(s_b), (batch, num_vertices, len(s_b))).copy()
    for ix in range(num_features):
        d = DISTANCE_T.quantize(d + DISTANCE_T.quantize(x[:, :, ix, None] * s_w[None, None, :, ix]))
    table = edge_weight_table(t_ew)
    codes = np.rint(d / DISTANCE_T.lsb).astype(np.int64)
    w = table[codes + 2048]

    # aggregation in RF blocks of U vertices
    unroll = num_vertices >> lr
    ew_acc = np.zeros((batch, w.shape[2]))
    wf_acc = np.zeros((batch, w.shape[2], num_features))
    for block in range(reuse_factor):
        ew_local = np.zeros_like(ew_acc)
        wf_local = np.zeros_like(wf_acc)
        for v in range(block * unroll, (block + 1) * unroll):
            m = mask[:, v, None]
            ew_local = t_ewa.quantize(ew_local + m * w[:, v, :])
            incr = t_data.quantize(x[:, v, None, :] * w[:, v, :, None])  # data_t(x * w)
            wf_local = t_aggr.quantize(wf_local + m[:, :, None] * incr)
        ew_acc = t_ewa.quantize(ew_acc + _shift(ew_local, nw - lr, t_ewa))
        wf_acc = t_aggr.quantize(wf_acc + _shift(wf_local, nw - lr, t_aggr))
    ew_mean = t_ew.quantize(_shift(ew_acc, lr, t_ewa))  # (B, A)
    wf_mean = t_aggr.quantize(_shift(wf_acc, lr, t_aggr))  # (B, A, P)

    # output: bias normalised by n / N, then sum over aggregators of wbar_a * (wbar_a B_oa + sum_i wfm_ai W_oai)
    t_bias = wts.types["output_transform_biases"]
    bias = np.broadcast_to(t_aggr.quantize(wts.output_transform_biases), (batch, len(wts.output_transform_biases)))
    bias = t_aggr.quantize(bias * n[:, None])
    out_bias = t_bias.quantize(_shift(bias, nw, t_aggr))
    acc = t_res.quantize(out_bias)
    wk, wb = wts.input_transform_weights, wts.input_transform_biases
    for ia in range(wk.shape[1]):
        aggr = t_aggr.quantize(ew_mean[:, ia, None] * wb[None, :, ia])  # (B, O)
        for ix in range(num_features):
            aggr = t_aggr.quantize(aggr + wf_mean[:, ia, ix, None] * wk[None, :, ia, ix])
        acc = t_res.quantize(acc + ew_mean[:, ia, None] * aggr)
    return acc
