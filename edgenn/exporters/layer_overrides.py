"""Per-layer hls4ml settings a user sets (recipe ``export.fpga.layers`` or ``--hls-config``): checks and types.

Contract: the entries were validated once where they entered (``config.recipe.LayerHls``, through the fpga
target's settings); ``override_precisions`` returns a copy of the derived ``ModelPrecision`` in which every type the user set replaces edgenn's derived one.
A replaced type is no longer exact by construction (edgenn derived the narrowest exact one; anything else either
wastes bits or rounds), so such a layer is marked inexact and the firmware is measured against the model instead of
claimed equal to it. The layers after it keep their derived types.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from edgenn.config.hls_types import TYPE_FIX, parse_ap_type
from edgenn.errors import InvalidInputError
from edgenn.exporters.fixed_point import FixedPoint



def fixed_point(text: str, where: str) -> FixedPoint:
    try:
        ap = parse_ap_type(text)
    except ValueError as exc:
        raise InvalidInputError(f"{where}: {exc}.", fix=TYPE_FIX + ".") from None
    return FixedPoint(ap.width, ap.integer, ap.signed, ap.rounding, ap.saturation)  # type: ignore[arg-type]


def override_precisions(precision: Any, layers: dict[str, dict[str, Any]]) -> Any:
    """``precision`` (a ``ModelPrecision``) with the user's per-layer types; unchanged when none are set."""
    wanted = {name: entry["precision"] for name, entry in layers.items() if entry.get("precision")}
    if not wanted:
        return precision
    by_name = {layer.name: layer for layer in precision.layers}
    unknown = sorted(set(wanted) - set(by_name))
    if unknown:
        raise InvalidInputError(f"export.fpga.layers: {unknown} set a precision, but edgenn derives no firmware types "
                                "for them (reshapes, dropout and the input carry their neighbour's type).",
                                fix=f"set precision on one of {sorted(by_name)}.")
    notes = list(precision.notes)
    for name, types in wanted.items():
        layer = by_name[name]
        changes: dict[str, FixedPoint] = {}
        for key, text in types.items():
            derived = getattr(layer, key)
            if derived is None:
                have = sorted(layer.types())
                raise InvalidInputError(f"export.fpga.layers.{name}.precision.{key}: layer '{name}' "
                                        f"({layer.class_name}) has no {key} type.", fix=f"set one of {have}.")
            new = fixed_point(text, f"export.fpga.layers.{name}.precision.{key}")
            if new != derived:
                changes[key] = new
        if not changes:
            continue
        what = ", ".join(f"{k} {v.to_hls()} (derived {getattr(layer, k).to_hls()})" for k, v in changes.items())
        note = f"precision set by export.fpga.layers: {what}; measured against the model, not claimed exact"
        by_name[name] = replace(layer, **changes, exact=False, notes=(*layer.notes, note))
        notes.append(f"layer '{name}': {note}")
    new_layers = tuple(by_name[layer.name] for layer in precision.layers)
    order = [layer.name for layer in new_layers]
    upto = new_layers[: order.index(precision.logits_layer) + 1]
    bit_exact = precision.bit_exact and all(layer.exact for layer in upto)
    return replace(precision, layers=new_layers, bit_exact=bit_exact, notes=tuple(notes))
