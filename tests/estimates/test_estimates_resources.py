"""ResourceReport serialisation and rendering."""

from __future__ import annotations

import json

import pytest

from edgenn.errors import InvalidInputError
from edgenn.estimates import DesignSpec, LayerSpec, ResourceReport, estimate


def _report() -> ResourceReport:
    layers = (
        LayerSpec("in", "input", 4, 4, result_width=16),
        LayerSpec("fc", "dense", 4, 3, weight_width=10, input_width=16, accum_width=20, result_width=16,
                  num_nonzero_weights=10, reuse_factor=2, strategy="Resource"),
        LayerSpec("sm", "softmax", 3, 3, input_width=16, result_width=16, accum_width=18),
    )
    return estimate(DesignSpec(layers, 3.3, part="xcvu13p-flga2577-2-e"))


def test_to_dict_from_dict_round_trip_through_json():
    rep = _report()
    again = ResourceReport.from_dict(json.loads(json.dumps(rep.to_dict())))
    assert again == rep


def test_from_dict_refuses_unknown_schema_version():
    data = _report().to_dict()
    data["schema_version"] = 99
    with pytest.raises(InvalidInputError, match="schema_version"):
        ResourceReport.from_dict(data)


def test_markdown_has_one_row_per_layer_plus_total_and_the_caveats():
    rep = _report()
    md = rep.to_markdown()
    rows = [line for line in md.splitlines() if line.startswith("| ") and not line.startswith("| layer")]
    assert len(rows) == len(rep.layers) + 1
    assert "**total**" in rows[-1]
    assert "analytic" in md and "timing not verified" in md and "3.3 ns" in md


def test_figures_use_the_units_the_budget_schema_expects():
    from edgenn.config.budget import UNITS

    total = _report().total
    for name, fig in total.figures().items():
        assert fig.unit == UNITS[name], name
