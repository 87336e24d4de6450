"""Compare firmware outputs with the reference model: bit-exactness of the logits, fidelity of everything else.

Contract: the comparison functions are pure numpy. The promise checked is *exact array equality* of the logits (the
pre-softmax layer) between the hls4ml C simulation and the reference fed the same host-quantized inputs; never a
tolerance. The reference is ``edgenn.reference``'s exact evaluation of the quantized model (its kind is named in
every report); float32 Keras is compared separately by the runners. Softmax is table based in hls4ml, so the final
output is compared by max |diff| and argmax agreement only. Where the firmware types are not exact by construction
(float layers with profiled types) the same numbers are reported under a "not bit-exact by construction" label.
``BitExactReport`` (``edgenn.records.bitexact``) is the one record every target (fpga, rtl) reports. ``validate_csim`` runs the C simulation (``edgenn.exporters.csim``) and
builds the report; verification may import exporters, never the reverse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from edgenn.errors import InvalidInputError
from edgenn.records.bitexact import BitExactReport, OutputStats

BIT_EXACT_CLAIM = "bit-exact: C simulation equals the exact reference on the logits (same host-quantized inputs)"
FLOAT_CLAIM = "not bit-exact by construction (profiled float-layer types or inexact reference)"


def compare_outputs(reference: np.ndarray, firmware: np.ndarray, *, name: str, bit_exact_expected: bool,
                    label: str) -> OutputStats:
    ref, fw = _as_2d(reference), _as_2d(firmware)
    if ref.shape != fw.shape:
        raise InvalidInputError(f"output '{name}': reference shape {ref.shape} != firmware shape {fw.shape}.")
    equal = ref == fw
    return OutputStats(
        name=name,
        num_values=int(ref.size),
        exact_fraction=float(equal.mean()) if ref.size else 1.0,
        max_abs_diff=float(np.max(np.abs(ref - fw))) if ref.size else 0.0,
        argmax_agreement=float(np.mean(ref.argmax(axis=1) == fw.argmax(axis=1))) if ref.size else 1.0,
        bit_exact_expected=bit_exact_expected,
        label=label,
        num_mismatched_samples=int((~equal.all(axis=1)).sum()),
    )


def first_diverging_layer(layers: Sequence[tuple[str, np.ndarray, np.ndarray]]) -> str | None:
    """Name of the first (in model order) layer whose firmware output differs anywhere from the reference."""
    for name, reference, firmware in layers:
        if not np.array_equal(_as_2d(reference), _as_2d(firmware)):
            return name
    return None


def accuracy(outputs: np.ndarray, labels: np.ndarray) -> float:
    labels = np.asarray(labels)
    truth = labels.argmax(axis=1) if labels.ndim == 2 else labels.astype(int)
    outputs = _as_2d(outputs)
    if truth.shape[0] != outputs.shape[0]:
        raise InvalidInputError(f"labels: {truth.shape[0]} rows for {outputs.shape[0]} samples.")
    return float(np.mean(outputs.argmax(axis=1) == truth))


def build_report(
    layer_outputs: Sequence[tuple[str, np.ndarray, np.ndarray]],
    *,
    logits_layer: str,
    output_layer: str,
    bit_exact_expected: bool,
    labels: np.ndarray | None = None,
    notes: Sequence[str] = (),
    csim_seconds: float | None = None,
    reference_label: str | None = None,
    output_label: str | None = None,
    firmware: str = "hls4ml C simulation",
) -> BitExactReport:
    """Report from per-layer (name, reference, firmware) outputs in model order.

    ``reference_label`` names a reference other than plain QKeras (the software model of table-based layers)."""
    by_name = {name: (ref, fw) for name, ref, fw in layer_outputs}
    if logits_layer not in by_name or output_layer not in by_name:
        raise InvalidInputError(f"layer outputs lack '{logits_layer}' or '{output_layer}'.")
    kind = reference_label or "exact reference"
    claim = BIT_EXACT_CLAIM if bit_exact_expected else FLOAT_CLAIM
    if bit_exact_expected and reference_label:
        claim = f"bit-exact: C simulation equals the {reference_label} on the logits (same host-quantized inputs)"
    elif reference_label:
        claim = f"{FLOAT_CLAIM}: compared with the {reference_label}"
    logits = compare_outputs(*by_name[logits_layer], name=logits_layer, bit_exact_expected=bit_exact_expected,
                             label=claim)
    outputs = [logits]
    if output_layer != logits_layer:
        outputs.append(compare_outputs(
            *by_name[output_layer], name=output_layer, bit_exact_expected=output_label is not None,
            label=output_label or "lookup-table softmax vs the real softmax: max |diff| and argmax agreement, "
                                  "not bit-exact"))
    diverging = None if logits.exact_fraction == 1.0 else first_diverging_layer(layer_outputs)
    ref_out, fw_out = by_name[output_layer]
    return BitExactReport(
        num_samples=int(_as_2d(ref_out).shape[0]),
        num_values=logits.num_values,
        exact_fraction=logits.exact_fraction,
        max_abs_diff=logits.max_abs_diff,
        argmax_agreement=logits.argmax_agreement,
        firmware_accuracy=None if labels is None else accuracy(fw_out, labels),
        reference_accuracy=None if labels is None else accuracy(ref_out, labels),
        first_diverging_layer=diverging,
        outputs=tuple(outputs),
        claim=claim,
        notes=tuple(notes),
        csim_seconds=csim_seconds,
        reference_kind=kind,
        firmware=firmware,
        compared=f"{firmware} vs {kind}, layer '{logits_layer}', {int(_as_2d(ref_out).shape[0])} samples",
    )


def compare_implementations(reference: np.ndarray, outputs: Mapping[str, np.ndarray], *, final: str,
                            reference_kind: str, notes: Sequence[str] = ()) -> BitExactReport:
    """The record of several implementations of the same logits (the rtl target: da4ml's numpy function and
    interpreter, Verilator, the C simulation, float32 Keras), each compared with ``reference``; the top-level numbers
    are ``final``'s, the implementation the claim is about."""
    rows = tuple(compare_outputs(reference, values, name=name, bit_exact_expected=name != "float32_keras",
                                 label=f"{name} vs the {reference_kind} logits") for name, values in outputs.items())
    top = next(row for row in rows if row.name == final)
    num_samples = int(_as_2d(reference).shape[0])
    argmax = top.argmax_agreement if _as_2d(reference).shape[1] > 1 else None
    return BitExactReport(
        num_samples=num_samples, num_values=top.num_values, exact_fraction=top.exact_fraction,
        max_abs_diff=top.max_abs_diff, argmax_agreement=argmax, firmware_accuracy=None, reference_accuracy=None,
        first_diverging_layer=None, outputs=rows,
        claim=f"{final} checked for exact equality with the {reference_kind} on the logits (same host-quantized "
              "inputs)",
        notes=tuple(notes), reference_kind=reference_kind, firmware=final,
        compared=f"{final} vs {reference_kind}, logits, {num_samples} samples")


def validate_csim(project: Any, model: Any, x: np.ndarray, y: np.ndarray | None = None) -> BitExactReport:
    """Run the C simulation of ``project`` and ``model`` on ``x`` (float, already standardised) and compare.

    ``x`` is quantized on the host to the firmware input type and that same array feeds both sides, so the report is
    about the network, not about how each side casts floats. ``y`` (integer or one-hot labels) adds accuracies.
    """
    from edgenn.exporters.csim import simulate_csim

    result = simulate_csim(project, model, x)
    layers = [(name, result.reference[name], result.firmware[name]) for name in result.layer_names]
    return build_report(layers, logits_layer=result.logits_layer, output_layer=result.output_layer,
                        bit_exact_expected=result.bit_exact_expected, labels=y, notes=result.notes,
                        csim_seconds=result.csim_seconds, reference_label=result.reference_label)


def _as_2d(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return a.reshape(a.shape[0], -1) if a.ndim != 2 else a
