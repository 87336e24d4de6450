"""Conformance of the layer-support registries: every layer class edgenn converts has the pieces that make its export
checkable, so a new precision rule without its exact-reference twin fails here instead of in a user's export."""

from __future__ import annotations

from edgenn.exporters.precision_rules import MERGE_RULES, load_rule_modules, supported_layer_classes

# Converted, but checked against their own reference instead of the generic exact evaluator (and why).
OWN_REFERENCE = {
    "GarNet": "exporters/garnet_reference.py evaluates hls4ml's GarNet arithmetic (its aggregation has no Keras twin)",
    "GarNetStack": "as GarNet",
}


def test_every_converted_layer_class_has_an_exact_reference():
    import edgenn.reference.layers as reference

    load_rule_modules()
    converted = set(supported_layer_classes()) | set(MERGE_RULES)  # single-input and multi-input rules
    missing = sorted(converted - set(reference.RULES) - set(OWN_REFERENCE))
    assert not missing, (f"layer classes with a precision rule but no exact-reference rule (add @rule in "
                         f"edgenn/reference/layers.py): {missing}")
    stale = sorted(set(OWN_REFERENCE) - converted)
    assert not stale, f"OWN_REFERENCE names classes that are no longer converted: {stale}"


def test_reference_rules_name_real_layer_classes():
    """A reference rule keyed by a misspelt class name would never run; every key is a Keras or QKeras layer."""
    import qkeras
    import tensorflow as tf

    import edgenn.reference.layers as reference

    known = {n for n in dir(tf.keras.layers)} | {n for n in dir(qkeras)}
    unknown = sorted(name for name in reference.RULES if name not in known)
    assert not unknown, f"reference rules for classes Keras/QKeras do not define: {unknown}"
