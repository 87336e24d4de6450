"""The software-model registry (exporters/software_model.py): which layers the bit-exactness reference computes with
edgenn's numpy model of their firmware, and that a class has one such model only."""

from __future__ import annotations

import pytest

from edgenn.exporters.software_model import register_software_model, software_layers, software_model_classes


def test_a_second_software_model_for_a_class_is_refused():
    assert "GarNet" in software_model_classes()  # loads the built-in one first
    with pytest.raises(ValueError, match="software model for GarNet is registered twice"):
        register_software_model("GarNet")(lambda layer, values, types, precision, reuse_factor: values[0])


def test_a_model_without_table_based_layers_has_no_software_layers(tmp_path):
    from edgenn.modelio import load_model
    from edgenn_testing import build_small_qmlp

    model_path, _ = build_small_qmlp(tmp_path)
    assert software_layers(load_model(model_path, trust_model=True)) == []
