"""Conformance of the layer-support registries: every layer class edgenn converts has the pieces that make its export
checkable, so a new precision rule without its exact-reference twin fails here instead of in a user's export."""

from __future__ import annotations

from edgenn.exporters.precision_rules import MERGE_RULES, load_rule_modules, supported_layer_classes

# Registered by a precision rule only to be refused with a message of its own (and why).
REFUSED = {"GarNetStack": "precision_garnet refuses it: edgenn models one GarNet layer, not a stack"}


def test_every_converted_layer_class_has_an_exact_reference():
    """Each converted class is checked against the generic exact evaluator or its own registered software model."""
    import edgenn.reference.layers as reference
    from edgenn.exporters.software_model import software_model_classes

    load_rule_modules()
    converted = set(supported_layer_classes()) | set(MERGE_RULES)  # single-input and multi-input rules
    own = set(software_model_classes())
    missing = sorted(converted - set(reference.RULES) - own - set(REFUSED))
    assert not missing, (f"layer classes with a precision rule but no exact-reference rule (add @rule in "
                         f"edgenn/reference/layers.py) or software model: {missing}")
    stale = sorted((set(REFUSED) | own) - converted)
    assert not stale, f"software models or REFUSED entries for classes that are no longer converted: {stale}"


def test_every_rtl_traced_class_is_converted_and_has_an_exact_reference():
    """The RTL target derives its types through the precision rules and is checked against the exact reference, so a
    class it traces without either could never be exported or checked."""
    import edgenn.reference.layers as reference
    from edgenn.exporters.rtl_trace import rtl_layer_classes

    load_rule_modules()
    traced = set(rtl_layer_classes())
    assert {"QDense", "QActivation", "Concatenate", "GlobalAveragePooling1D"} <= traced
    assert sorted(traced - set(supported_layer_classes()) - set(MERGE_RULES)) == []
    assert sorted(traced - set(reference.RULES)) == []


def test_reference_rules_name_real_layer_classes():
    """A reference rule keyed by a misspelt class name would never run; every key is a Keras or QKeras layer."""
    import qkeras
    import tensorflow as tf

    import edgenn.reference.layers as reference

    known = {n for n in dir(tf.keras.layers)} | {n for n in dir(qkeras)}
    unknown = sorted(name for name in reference.RULES if name not in known)
    assert not unknown, f"reference rules for classes Keras/QKeras do not define: {unknown}"
