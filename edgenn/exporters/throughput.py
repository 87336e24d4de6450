"""Meet an initiation-interval target by choosing each layer's ParallelizationFactor (PF) and ReuseFactor (RF).

A trigger network must accept a new input every bunch crossing (40 MHz: II <= 5 cycles at 200 MHz). In hls4ml 1.3
io_parallel the II of a layer is set by two knobs (templates read in the installed hls4ml):

* Dense on a flat vector: II = RF (``dense_latency``/``dense_resource`` pipeline at II = RF).
* Dense on an (N, C) tensor becomes a PointwiseConv1D over N elements, a Conv1D/Conv2D over P output pixels:
  ``conv_1d_latency_cl`` / ``conv_2d_latency_cl`` pipeline ``n_partitions = P / PF`` partitions at II = RF, so
  II = (P / PF) * RF; PF = P with the Latency strategy is ``BatchedDenseForConv1D``, one fully unrolled stage.
  PF must divide P (hls4ml silently rounds an invalid PF to the closest divisor, so edgenn only proposes divisors).
* io_stream convolutions and pooling read one input pixel per RF cycles (II = P_in * RF): PF does not apply, and a
  target below P_in cannot be met.

Choice, for a target T: RF = the largest valid reuse factor not above min(requested RF, T) (the requested one is the
global ``reuse_factor``: a target never adds sharing the user did not ask for, because sharing adds cycles of
latency), then PF = the smallest divisor of P with (P / PF) * RF <= T (the fewest parallel copies that keep up).
Explicit per-layer settings (``export.fpga.layers``) are kept as given; if they cannot meet T the export is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from edgenn.errors import InvalidInputError

DENSE_TYPES = {"Dense", "QDense"}
CONV_TYPES = {"Conv1D", "QConv1D", "Conv2D", "QConv2D"}
POOL_TYPES = {"MaxPooling1D", "AveragePooling1D", "MaxPooling2D", "AveragePooling2D"}
# One unrolled stage in io_parallel (II 1) or pure wiring: nothing to choose. Any other layer (GarNet, a custom
# layer) has an II neither edgenn's estimator nor this planner models, so a target is refused rather than assumed.
SINGLE_STAGE_TYPES = {"InputLayer", "Activation", "QActivation", "ReLU", "Softmax", "Flatten", "Reshape", "Permute",
                      "Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
                      "GlobalAveragePooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling2D",
                      "GlobalMaxPooling2D", "BatchNormalization", "QBatchNormalization", "Dropout"}


@dataclass(frozen=True)
class LayerChoice:
    name: str
    reuse_factor: int
    parallelization_factor: int | None  # None: the layer has no PF (flat Dense, pooling)
    ii_cycles: int
    how: str

    def hls_entry(self) -> dict[str, int]:
        entry = {"ReuseFactor": self.reuse_factor}
        if self.parallelization_factor is not None:
            entry["ParallelizationFactor"] = self.parallelization_factor
        return entry


def valid_reuse_factor(n_in: int, n_out: int, rf: int) -> bool:
    """hls4ml's rule for a reuse factor its dense kernels implement correctly (fpga_backend._validate_reuse_factor)."""
    limit = -(-(n_in * n_out) // min(n_in, rf))
    ok = (limit % n_out == 0) or rf >= n_in
    return ok and (rf % n_in == 0 or rf < n_in) and (n_in * n_out) % rf == 0


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _reuse(n_in: int, n_out: int, cap: int) -> int:
    return max(rf for rf in range(1, max(1, cap) + 1) if valid_reuse_factor(n_in, n_out, rf))


def _shape(tensor_shape) -> tuple[int, ...]:
    return tuple(int(s) for s in tensor_shape[1:])


def plan_ii(model: Any, target: int, *, reuse_factor: int, io_type: str,
            explicit: dict[str, dict[str, int]] | None = None) -> dict[str, LayerChoice]:
    """PF/RF per Keras layer so that every layer's II is <= ``target`` cycles; raises when a layer cannot."""
    if not isinstance(target, int) or target < 1:
        raise InvalidInputError(f"export.fpga.ii_target: must be an integer >= 1 cycle (got {target!r}).",
                                fix="give the cycles between inputs, e.g. 5 for 40 MHz at a 200 MHz clock.")
    explicit = explicit or {}
    plan: dict[str, LayerChoice] = {}
    for layer in model.layers:
        kind = type(layer).__name__
        fixed = explicit.get(layer.name, {})
        if kind in DENSE_TYPES | CONV_TYPES:
            choice = _plan_mac_layer(layer, kind, target, reuse_factor, io_type, fixed)
        elif kind in POOL_TYPES and io_type == "io_stream":
            pixels = _pixels(_shape(layer.input_shape))
            choice = LayerChoice(layer.name, 1, None, pixels, f"io_stream pooling reads {pixels} pixels")
        elif kind in POOL_TYPES or kind in SINGLE_STAGE_TYPES:
            continue
        else:
            raise InvalidInputError(f"export.fpga.ii_target {target}: the II of layer '{layer.name}' ({kind}) is not "
                                    "modelled by edgenn, so the target cannot be promised.",
                                    fix="remove ii_target for this model and measure its II with HLS synthesis.")
        if choice.ii_cycles > target:
            raise InvalidInputError(
                f"export.fpga.ii_target {target}: layer '{layer.name}' ({kind}) cannot go below II {choice.ii_cycles} "
                f"cycles ({choice.how}).", fix=_fix_for(choice, io_type, fixed))
        plan[layer.name] = choice
    return plan


def _pixels(shape: tuple[int, ...]) -> int:
    out = 1
    for s in shape[:-1]:
        out *= s
    return out


def _plan_mac_layer(layer, kind: str, target: int, reuse_factor: int, io_type: str,
                    fixed: dict[str, int]) -> LayerChoice:
    in_shape, out_shape = _shape(layer.input_shape), _shape(layer.output_shape)
    n_out = out_shape[-1]
    if kind in DENSE_TYPES:
        n_in = in_shape[-1]
    else:
        kernel = layer.kernel_size
        n_in = in_shape[-1] * (kernel[0] * (kernel[1] if len(kernel) > 1 else 1))
    rf = fixed.get("reuse_factor") or _reuse(n_in, n_out, min(reuse_factor, target))
    if kind in DENSE_TYPES and len(in_shape) == 1:
        return LayerChoice(layer.name, rf, None, rf, f"dense at reuse factor {rf}")
    pixels = _pixels(out_shape)
    if io_type == "io_stream" and kind in CONV_TYPES:
        in_pixels = _pixels(in_shape)
        return LayerChoice(layer.name, rf, None, in_pixels * rf,
                           f"io_stream reads its {in_pixels} input pixels one per cycle x reuse factor {rf}")
    if "parallelization_factor" in fixed:
        pf = fixed["parallelization_factor"]
        if pixels % pf:
            raise InvalidInputError(f"export.fpga.layers.{layer.name}.parallelization_factor {pf} does not divide "
                                    f"its {pixels} output elements.", fix=f"use one of {_divisors(pixels)}.")
    else:
        pf = next((d for d in _divisors(pixels) if (pixels // d) * rf <= target), pixels)
    ii = (pixels // pf) * rf
    return LayerChoice(layer.name, rf, pf, ii, f"{pixels // pf} partitions of {pf} of its {pixels} elements x "
                                               f"reuse factor {rf}")


def _fix_for(choice: LayerChoice, io_type: str, fixed: dict[str, int]) -> str:
    if fixed:
        return f"raise its parallelization_factor or lower its reuse_factor in export.fpga.layers.{choice.name}."
    if io_type == "io_stream":
        return "use io_type io_parallel (PF applies there), a smaller input, or a larger ii_target."
    return "use a larger ii_target or a smaller layer."


def apply_plan(layer_cfg: dict[str, dict], plan: dict[str, LayerChoice]) -> None:
    """Write the choices into hls4ml's per-layer config (a Keras Dense keeps its name as the PointwiseConv1D)."""
    for name, choice in plan.items():
        if name in layer_cfg:
            layer_cfg[name].update(choice.hls_entry())


def ii_target_cycles(ii_target: int | None, input_rate_mhz: float | None, clock_period_ns: float) -> int | None:
    """The target in cycles: given directly, or the clock frequency over the input rate, rounded down."""
    if ii_target is not None and input_rate_mhz is not None:
        raise InvalidInputError("export.fpga: give ii_target or input_rate_mhz, not both.",
                                fix="keep one of them (input_rate_mhz 40 at a 5 ns clock is ii_target 5).")
    if input_rate_mhz is None:
        return ii_target
    cycles = int((1000.0 / clock_period_ns) / input_rate_mhz + 1e-9)
    if cycles < 1:
        raise InvalidInputError(f"export.fpga.input_rate_mhz {input_rate_mhz}: faster than the "
                                f"{1000.0 / clock_period_ns:g} MHz clock.", fix="lower the rate or shorten the clock.")
    return cycles
