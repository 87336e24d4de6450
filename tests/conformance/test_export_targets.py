"""Conformance battery over every registered export target: a target is tested by being registered.

Every target exports the same small seeded QKeras MLP (a user model file with its rows, ``edgenn_testing.models``) through
the public API and must leave a complete export directory: its own name in ``report.json`` and the result record,
a ``manifest.json`` (written last, so the directory counts as done), a markdown report, and figures that each carry a
value, a unit and the method that made it. A target that records a bit-exactness comparison must be exact on this
model, whose weights are already on their quantizer grids. Bad input fails the same way for every target: a missing
model is one ``MissingArtifactError`` line and no output directory.

The default suite runs the whole export for the targets in ``QUICK`` and the refusal for every target; the full export
of any other target runs under ``-m slow`` (fpga compiles its C simulation, rtl builds Verilator, onnx's tf2onnx
conversion of a QKeras model takes 50-110 s here; each of them also has its own default-suite tests), so a new target
is in the battery from the moment it is registered.
"""

from __future__ import annotations

import json
import math

import pytest

import edgenn.api
from edgenn.errors import MissingArtifactError
from edgenn.runners.targets import registered_targets

TARGETS = registered_targets()
QUICK = {"hls_project"}  # converts without compiling: seconds


@pytest.fixture(scope="module")
def user_model(tmp_path_factory):
    from edgenn_testing import build_small_qmlp

    return build_small_qmlp(tmp_path_factory.mktemp("target_battery"))


def _param(name: str):
    return name if name in QUICK else pytest.param(name, marks=pytest.mark.slow)


@pytest.mark.parametrize("name", [_param(n) for n in TARGETS])
def test_target_writes_a_complete_export_of_a_user_model(name, user_model, tmp_path):
    model_path, data_path = user_model
    out = tmp_path / "fw"
    result = edgenn.api.export(model_path, target=name, data=data_path, out=out, progress=False, report=False)
    assert result.directory == out and result.target == name
    assert (out / "manifest.json").is_file() and (out / "report.md").read_text().strip()
    report = json.loads((out / "report.json").read_text())
    assert report["target"] == name and report["figures"], f"{name}: report without figures"
    for key, figure in report["figures"].items():
        assert {"value", "unit", "method"} <= set(figure), f"{name}: figure {key} lacks value/unit/method: {figure}"
        if isinstance(figure["value"], float):
            assert math.isfinite(figure["value"]), f"{name}: figure {key} = {figure['value']}"
    bitexact = report.get("bitexact")
    if bitexact:
        fraction = report["figures"]["bit_exact_fraction"]["value"]
        assert fraction == 1.0, f"{name}: claims a bit-exactness check and is {fraction} exact: {bitexact}"


@pytest.mark.parametrize("name", list(TARGETS))
def test_target_refuses_a_missing_model_before_any_work(name, tmp_path):
    out = tmp_path / "fw"
    with pytest.raises(MissingArtifactError) as err:
        edgenn.api.export(tmp_path / "no_such_model.h5", target=name, data=tmp_path / "rows.npz", out=out,
                          progress=False, report=False)
    assert "no_such_model.h5" in str(err.value) and "\n" not in str(err.value)
    assert not out.exists(), f"{name}: left {out} behind after refusing its input"
