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


def test_layer_kinds_are_the_registered_layer_models(monkeypatch):
    """A kind is accepted because a model is registered for it (no second list to keep in step), and an unknown kind
    is refused naming the registered ones."""
    from edgenn.estimates import layer_models
    from edgenn.estimates.resources import Estimate

    with pytest.raises(InvalidInputError, match=r"kind must be one of .*'conv2d'.*'dense'.* \(got 'lstm'\)"):
        LayerSpec("rnn", "lstm", 4, 4)
    monkeypatch.setattr(layer_models, "_MODELS", layer_models._MODELS.copy())  # built-ins loaded, then copied

    @layer_models.register_layer_model("lstm")
    def _lstm(layer, clock_ns, constants):
        return Estimate.build(layer.name, lut=7 * layer.n_in, ff=0, dsp=0, bram=0, latency_cycles=3, ii_cycles=1,
                              clock_period_ns=clock_ns)

    report = estimate(DesignSpec((LayerSpec("rnn", "lstm", 4, 4),), 5.0))
    assert report.layers[0].lut.value == 28 and report.layers[0].latency_cycles.value == 3
