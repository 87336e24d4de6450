"""Run an exported project's C simulation and the Keras model on the same host-quantized inputs.

Contract: ``simulate_csim(project, model, x)`` quantizes the float inputs ``x`` to the firmware input type on the host
(``FixedPoint.quantize``: round half to even, saturate, exactly the input quantizer's cast), feeds the *same* values
to the hls4ml C simulation (with per-layer trace) and to the Keras model, and returns every layer's output from both
sides as a ``CsimResult``. Further model inputs (GarNet's n_vertices) are computed from the quantized data with
``architectures.extra_inputs.feed``. The reference is ``edgenn.reference``'s exact evaluation of the model (float32
Keras, labelled as such, if it does not cover a layer); for a model with a table-based layer edgenn models in numpy
(``exporters.software_model``) it is that software model. The float32 Keras logits and output are always kept in
``float_reference`` for a separate comparison. It compares nothing: ``edgenn.verification.bitexact`` does that (exporters must not import
the verification stage).
"""

from __future__ import annotations

import contextlib
import io
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from edgenn.errors import InvalidInputError
from edgenn.exporters.hls import HlsProject, hls_name
from edgenn.exporters.software_model import REFERENCE_LABEL, reference_outputs, software_layers


@dataclass(frozen=True)
class CsimResult:
    """Both sides' outputs, per layer in model order (Keras layer names), on ``x_quantized``."""

    x_quantized: np.ndarray
    layer_names: tuple[str, ...]
    reference: dict[str, np.ndarray]
    firmware: dict[str, np.ndarray]
    logits_layer: str
    output_layer: str
    bit_exact_expected: bool
    csim_seconds: float
    reference_seconds: float
    notes: tuple[str, ...] = ()
    # what the reference is (exact reference, software model, or float32 Keras), and the float32 Keras model's
    # logits and output on the same inputs, for the separate float-agreement figures
    reference_label: str | None = None
    float_reference: dict[str, np.ndarray] | None = None


def quantize_inputs(project: HlsProject, x: np.ndarray | list[np.ndarray]) -> np.ndarray | list[np.ndarray]:
    """Host-side cast of float inputs to the firmware input type (float64 values on the type's grid); a list (one
    array per data input of a model with several) is cast input by input, each to its own type."""
    if isinstance(x, (list, tuple)):
        types = list(project.precision.input_types().values())
        if len(types) != len(x):
            raise InvalidInputError(f"validation inputs: {len(x)} arrays for the {len(types)} data inputs "
                                    f"{list(project.precision.input_types())}.")
        return [_quantize(fp, a) for fp, a in zip(types, x)]
    return _quantize(project.input_type, x)


def _quantize(fp: Any, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 2:
        raise InvalidInputError(f"validation inputs: expected (samples, ...) with one row per sample, got shape "
                                f"{x.shape}.")
    if fp.width > 24:
        # Keras runs in float32; wider inputs could not reach it unrounded.
        raise InvalidInputError(f"input type {fp.to_hls()} is wider than float32's 24-bit significand.",
                                fix="use an input type of at most 24 bits.")
    return fp.quantize(x)


def simulate_csim(project: HlsProject, model: Any, x: np.ndarray | list[np.ndarray]) -> CsimResult:
    """C simulation and Keras outputs for every traced layer, on host-quantized ``x`` (one array, or a list of one
    per data input). Every model output is compared: a multi-output model's outputs are traced layers like the
    others, and its headline ``logits_layer`` / ``output_layer`` are the first output's."""
    import tensorflow as tf

    if project.hls_model is None:
        raise InvalidInputError("the HLS project has no live hls4ml model (it was loaded, not exported).",
                                fix="re-run export_hls in this process before validate_csim.")
    from edgenn.architectures.extra_inputs import feed, input_names, primary_input

    xq = quantize_inputs(project, x)
    if not isinstance(xq, list):
        expected = tuple(model.get_layer(primary_input(model)).output.shape[1:])
        if tuple(xq.shape[1:]) != expected:
            raise InvalidInputError(f"validation inputs have rows of shape {tuple(xq.shape[1:])}, the model expects "
                                    f"{expected}.")
    # further model inputs (e.g. GarNet's n_vertices) are computed from the quantized data; every input is passed to
    # the C simulation as float64, which holds the traced values of wide layers exactly
    fed = feed(model, xq)
    inputs = [np.ascontiguousarray(a, np.float64) for a in fed] if isinstance(fed, list) else xq
    rows = len(inputs[0]) if isinstance(inputs, list) else len(xq)

    start = time.perf_counter()
    final, traced = trace_layers(project.hls_model, inputs)
    csim_seconds = time.perf_counter() - start

    names = [layer.name for layer in model.layers if type(layer).__name__ != "InputLayer"
             and _traced_name(layer.name, traced) in traced]
    output_layer = project.precision.output_layer
    firmware = {name: traced[_traced_name(name, traced)].reshape(rows, -1) for name in names}
    outputs = (output_layer, *project.precision.extra_outputs)
    finals = final if isinstance(final, list) else [final]
    for name, value in zip(outputs, finals):  # the model's outputs, as the top function returns them
        firmware[name] = np.asarray(value, np.float64).reshape(rows, -1)
        if name not in names:
            names.append(name)

    start = time.perf_counter()
    probe = tf.keras.Model(model.inputs, [model.get_layer(name).output for name in names])
    outs = probe.predict(feed(model, [a.astype(np.float32) for a in xq] if isinstance(xq, list) else
                              xq.astype(np.float32)), batch_size=4096, verbose=0)
    outs = outs if isinstance(outs, list) else [outs]
    reference = {name: np.asarray(o, dtype=np.float64).reshape(rows, -1) for name, o in zip(names, outs)}
    logits = project.precision.logits_layer
    table_layers = software_layers(model)
    float_reference = {key: reference[key] for key in {logits, *outputs}}
    expected = project.precision.bit_exact
    if table_layers:  # the reference is the software model of the table-based layers; the float model beside it
        values = reference_outputs(model, dict(zip(input_names(model), inputs if isinstance(inputs, list) else [xq])),
                                   project.precision, project.settings.reuse_factor)
        reference = {name: values[name].reshape(rows, -1) for name in names}
        label = REFERENCE_LABEL.format(", ".join(table_layers))
    else:
        reference, label, expected = _exact_reference(model, inputs, names, project, reference)
    reference_seconds = time.perf_counter() - start
    x_quantized = xq if not isinstance(xq, list) else np.concatenate([a.reshape(rows, -1) for a in xq], axis=1)
    notes = project.precision.notes
    if len(outputs) > 1:  # the headline covers every output: their values side by side under one joined name
        joined = joined_outputs_name(outputs)
        for values in (reference, firmware, float_reference):
            values[joined] = np.concatenate([values[name] for name in outputs], axis=1)
        names.append(joined)
        logits = output_layer = joined
        notes = (*notes, f"multi-output model: the bit-exactness figures cover all {len(outputs)} outputs "
                         f"({', '.join(outputs)}) side by side, each output also per layer")
    return CsimResult(x_quantized, tuple(names), reference, firmware, logits, output_layer,
                      expected, csim_seconds, reference_seconds, notes,
                      label, float_reference)


def _traced_name(name: str, traced: dict) -> str:
    """The name hls4ml traces layer ``name`` under: a ternary QActivation becomes 'bnbt_<name>_scale' (its threshold
    scale fused with it, precision_qactivation._ternary)."""
    hls = name if name in traced else hls_name(name)  # only an input is renamed for hls4ml (hls.hls_name)
    return f"bnbt_{hls}_scale" if hls not in traced and f"bnbt_{hls}_scale" in traced else hls


def joined_outputs_name(outputs: tuple[str, ...]) -> str:
    """The name the comparison gives a multi-output model's outputs taken together (never a Keras layer name: Keras
    names hold no '+')."""
    return "+".join(outputs)


def _exact_reference(model: Any, inputs: Any, names: list[str], project: HlsProject,
                     keras: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], str, bool]:
    """(per-layer reference, what it is, whether the firmware must equal it) from ``edgenn.reference``.

    The firmware must equal the reference at the logits when every firmware type up to them is exact by
    construction and the reference proved its own value exact there; float32 Keras no longer decides that (its
    wide sums round). A model the reference cannot evaluate keeps float32 Keras, and the label says so."""
    from edgenn.errors import UnsupportedModelError
    from edgenn.reference import evaluate

    precision = project.precision
    try:
        ref = evaluate(model, inputs)
    except UnsupportedModelError as err:
        return keras, f"float32 Keras (the exact reference does not cover this model: {err})", precision.bit_exact
    n = len(next(iter(keras.values())))
    reference = {name: ref.outputs[name].reshape(n, -1) for name in names}
    order = [p.name for p in precision.layers]
    upto = precision.layers[: order.index(precision.logits_layer) + 1]
    expected = all(p.exact for p in upto) and ref.is_exact(precision.logits_layer)
    if precision.extra_outputs:  # a multi-output model: every output must be exact by construction and proved so
        expected = precision.bit_exact and all(ref.is_exact(name) for name in (precision.logits_layer,
                                                                                *precision.extra_outputs))
    return reference, ref.kind(precision.logits_layer), expected


def trace_layers(hls_model: Any, xq: np.ndarray | list[np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """hls4ml ``trace`` without its unconditional recompile (export_hls already built the library with tracing).

    ``ModelGraph.trace`` calls ``self.compile()`` first (hls4ml/model/graph.py), another ~15 s g++ run; shadowing
    ``compile`` on this instance skips it. Should a later hls4ml stop calling it, nothing changes but speed.
    """
    if not getattr(hls_model.config, "trace_output", False):
        with contextlib.redirect_stdout(io.StringIO()):
            final, traced = hls_model.trace(xq)
        return _as_float64(final), {k: np.asarray(v, np.float64) for k, v in traced.items()}
    hls_model.compile = lambda: None
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            final, traced = hls_model.trace(xq if isinstance(xq, list) else np.ascontiguousarray(xq, dtype=np.float64))
    finally:
        del hls_model.compile
    return _as_float64(final), {k: np.asarray(v, np.float64) for k, v in traced.items()}


def _as_float64(final: Any) -> np.ndarray | list[np.ndarray]:
    """The top function's output: one array, or one per output of a multi-output model (shapes may differ)."""
    if isinstance(final, list):
        return [np.asarray(f, dtype=np.float64) for f in final]
    return np.asarray(final, dtype=np.float64)
