"""The export report record: every target writes report.json through it, it round-trips, its hash follows its
content, and a truncated, edited, newer, too-old or hand-made file is refused with one line naming the problem;
report.json files written by the previous schema (real fpga and rtl exports, kept as fixtures) still load."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

import edgenn.api
from edgenn.errors import InvalidInputError, MissingArtifactError
from edgenn.records import BitExactReport, ExportReport, Figure
from edgenn.records.export import SCHEMA_VERSION

FIXTURES = Path(__file__).with_name("fixtures")


@pytest.fixture(scope="module")
def small_qmlp(tmp_path_factory):
    from edgenn_testing import build_small_qmlp

    return build_small_qmlp(tmp_path_factory.mktemp("qmlp"))


@pytest.fixture(scope="module")
def hls_project_export(small_qmlp, tmp_path_factory) -> Path:
    model, data = small_qmlp
    out = tmp_path_factory.mktemp("export") / "hls_project"
    edgenn.api.export(model, target="hls_project", data=data, out=out, progress=False, report=False)
    return out


def test_a_real_export_round_trips_through_its_record(hls_project_export):
    doc = json.loads((hls_project_export / "report.json").read_text())
    record = ExportReport.load(hls_project_export)
    assert doc["schema_version"] == SCHEMA_VERSION and doc["content_hash"] == record.content_hash
    assert record.to_dict() == doc
    assert record.target == "hls_project" and record.bitexact is None
    lut = record.figure("lut")
    assert isinstance(lut, Figure) and lut.value == doc["figures"]["lut"]["value"] > 0 and lut.unit == "count"
    assert record.settings.to_dict() == doc["settings"] and record.settings.io_type == doc["settings"]["io_type"]
    # what the budget check reads is the record's figures
    assert {k: f.to_dict() for k, f in record.figures.items()} == doc["figures"]


def test_the_hash_follows_the_content(hls_project_export):
    record = ExportReport.load(hls_project_export)
    lut = record.figures["lut"]
    changed = replace(record, figures={**record.figures, "lut": replace(lut, value=lut.value + 1)})
    assert changed.content_hash != record.content_hash
    assert replace(record, notes=record.notes + ("one more",)).content_hash != record.content_hash
    assert replace(record).content_hash == record.content_hash


def test_an_edited_report_is_refused(hls_project_export, tmp_path):
    doc = json.loads((hls_project_export / "report.json").read_text())
    doc["figures"]["lut"]["value"] = 1  # a hand-tuned figure must not pass a budget as if edgenn had made it
    (tmp_path / "report.json").write_text(json.dumps(doc))
    with pytest.raises(InvalidInputError, match="content hash does not match"):
        ExportReport.load(tmp_path)


@pytest.mark.parametrize("mutate,message", [
    (lambda text: text[: len(text) // 2], "not a readable export report"),
    (lambda text: json.dumps({**json.loads(text), "schema_version": SCHEMA_VERSION + 1}), "newer than this edgenn"),
    (lambda text: json.dumps({**json.loads(text), "schema_version": 0}), "older than this edgenn reads"),
    (lambda text: json.dumps({k: v for k, v in json.loads(text).items() if k != "schema_version"}),
     "no schema_version"),
    (lambda text: "[1, 2]", "not an edgenn export report"),
], ids=["truncated", "newer", "older", "no-schema", "not-an-object"])
def test_a_broken_or_unreadable_file_is_refused_in_one_line(hls_project_export, tmp_path, mutate, message):
    text = (hls_project_export / "report.json").read_text()
    (tmp_path / "report.json").write_text(mutate(text))
    with pytest.raises(InvalidInputError, match=message) as err:
        ExportReport.load(tmp_path / "report.json")
    assert "\n" not in str(err.value) and err.value.fix


def test_a_missing_report_is_a_missing_artifact(tmp_path):
    with pytest.raises(MissingArtifactError, match="no export report here"):
        ExportReport.load(tmp_path)


def test_a_broken_figure_is_named(hls_project_export):
    doc = json.loads((hls_project_export / "report.json").read_text())
    doc["figures"]["lut"]["value"] = "many"
    with pytest.raises(InvalidInputError, match=r"figures\.lut: value 'many' is not a number"):
        ExportReport.from_dict(doc)


def test_schema_1_fpga_report_upgrades_to_the_shared_record():
    old = json.loads((FIXTURES / "export_v1_fpga.json").read_text())
    record = ExportReport.load(FIXTURES / "export_v1_fpga.json")
    b = record.bitexact
    assert isinstance(b, BitExactReport)
    assert (b.num_samples, b.exact_fraction, b.reference_kind) == (
        old["bitexact_record"]["samples"], old["bitexact_record"]["exact_fraction"],
        old["bitexact_record"]["reference_kind"])
    assert [o.name for o in b.outputs] == [o["name"] for o in old["bitexact"]["outputs"]]
    assert "bitexact_record" not in record.sections  # folded into the one record
    assert record.figures["bit_exact_fraction"].value == old["figures"]["bit_exact_fraction"]["value"]
    # re-saved, it is a schema-2 report with a hash that loads again unchanged
    again = ExportReport.from_dict(record.to_dict())
    assert again == record and record.to_dict()["schema_version"] == SCHEMA_VERSION


def test_schema_1_rtl_checks_become_the_records_outputs():
    old = json.loads((FIXTURES / "export_v1_rtl.json").read_text())
    b = ExportReport.load(FIXTURES / "export_v1_rtl.json").bitexact
    assert b.firmware == "verilator" and b.num_samples == old["bitexact_record"]["samples"]
    assert {o.name: o.num_values for o in b.outputs} == {k: v["num_values"] for k, v in old["bitexact"].items()}
    assert b.num_values == old["bitexact"]["verilator"]["num_values"]
    assert b.exact_fraction == old["bitexact_record"]["exact_fraction"]


def test_schema_1_interval_notes_give_the_interval_its_level_and_count():
    f = Figure.from_dict({"value": 100.0, "unit": "count", "method": "analytic", "interval": [80.0, 130.0],
                          "interval_note": "90 % over 22 designs"})
    assert (f.interval.low, f.interval.high, f.interval.level, f.interval.num_reference_points) == (80, 130, 0.9, 22)
    assert Figure.from_dict(f.to_dict()) == f and f.to_dict()["interval_points"] == 22
    lower = Figure.from_dict({"value": 5, "unit": "count", "method": "analytic", "bound": "lower"})
    assert lower.is_lower_bound and Figure.from_dict({"value": 5, "unit": "count", "method": "analytic",
                                                      "bound": ""}).bound == "point"
    with pytest.raises(InvalidInputError, match="bound"):
        Figure.from_dict({"value": 5, "unit": "count", "method": "analytic", "bound": "upper"})


@pytest.mark.parametrize("fixture", ["export_v1_fpga.json", "export_v1_rtl.json", "export_v1_onnx.json"])
def test_edgenn_check_reads_schema_1_reports(fixture):
    from edgenn.config.budget import Budget
    from edgenn.verification.budget import check_export

    old = json.loads((FIXTURES / fixture).read_text())
    name = next(iter(k for k in old["figures"] if k in ("bit_exact_fraction", "onnx_argmax_agreement")), None)
    budget = Budget.model_validate({"bit_exact_fraction": {"min": 1.0}} if name == "bit_exact_fraction"
                                   else {"latency_ns": {"max": 1.0}})
    check = check_export(FIXTURES / fixture, budget)
    line = check.lines[0]
    if name == "bit_exact_fraction":
        assert check.passed and line.value == old["figures"]["bit_exact_fraction"]["value"] == 1.0
    else:  # the onnx target reports no latency_ns: a named figure it lacks fails as missing, not unreadable
        assert not check.passed and line.reason == "missing from the report"


def test_rtl_target_writes_the_same_bitexact_record(small_qmlp, tmp_path):
    """The rtl target (da4ml's interpreter checked against the exact reference) reports the record the fpga
    target reports, with the implementations it compared as the record's outputs."""
    from edgenn.runners.export import ExportRequest, resolve_source
    from edgenn.exporters.rtl import RtlSettings
    from edgenn.runners.rtl import export_rtl_target

    model, data = small_qmlp
    source = resolve_source(ExportRequest(source=model, data=data, target="rtl"))
    result = export_rtl_target(source, tmp_path / "rtl", RtlSettings(csim_check=False), progress=False, simulate=False,
                               min_samples=300)
    record = ExportReport.load(tmp_path / "rtl")
    b = record.bitexact
    assert record == result.record and isinstance(b, BitExactReport)
    assert b.firmware == "da4ml_interpreter" and b.num_samples == 300 and b.num_values == 300 * 3
    assert b.reference_kind.startswith("exact reference") and b.exact_fraction == 1.0 and b.bit_exact
    assert {o.name for o in b.outputs} == {"float32_keras", "da4ml_numpy", "da4ml_interpreter"}  # no hls4ml_csim
    assert record.settings.values["csim_check"] is False
    assert "hls4ml C-simulation cross-check skipped (--no-csim-check)" in record.notes
    assert record.figures["bit_exact_fraction"].value == b.exact_fraction
    assert "da4ml_interpreter vs exact reference" in b.compared
    md = (tmp_path / "rtl" / "report.md").read_text()
    assert "| da4ml_interpreter | 100.0000% | 900 |" in md
    # the firmware's accuracy is taken on the 256 labelled rows only, not on the 44 unlabelled top-up draws; this
    # 6-bit model's float32 Keras forward pass is exact (short sums of short products), so it gives the same classes
    import numpy as np

    from edgenn.modelio import load_model

    keras_model, npz = load_model(model), np.load(data)
    expected = float(np.mean(keras_model.predict(npz["x"], verbose=0).argmax(1) == npz["y"]))
    acc = record.figures["accuracy"]
    assert acc.value == pytest.approx(expected) and acc.method == "da4ml" and "256 labelled" in acc.note


@pytest.mark.parametrize("fixture", ["export_v1_fpga.json", "export_v1_rtl.json"])
def test_schema_1_target_sections_read_as_typed_records(fixture):
    doc = json.loads((FIXTURES / fixture).read_text())
    record = ExportReport.load(FIXTURES / fixture)
    assert record.settings.part == doc["settings"]["part"] and record.settings.values == doc["settings"]
    assert record.settings.clock_period_ns == doc["settings"]["clock_period_ns"]
    precision = record.precision
    assert precision.input.type == doc["precision"]["input"]["type"] and precision.input_name == "input"
    assert [layer.name for layer in precision.layers] == [layer["name"] for layer in doc["precision"]["layers"]]
    first = doc["precision"]["layers"][1]
    assert {k: t.lsb for k, t in precision.layers[1].types.items()} == {k: v["lsb"] for k, v in first["types"].items()}
    assert record.project.out_dir == doc["project"]["out_dir"] and record.project.top == doc["project"].get("top")
    if "resources" in doc:
        res = record.resources
        assert [lay.name for lay in res.layers] == [lay["name"] for lay in doc["resources"]["layers"]]
        assert res.total.figures["lut"] == Figure.from_dict(doc["resources"]["total"]["lut"])
    for name in ("settings", "precision", "project", "resources"):  # as written: report.json keys never change
        if name in doc:
            assert getattr(record, name).to_dict() == doc[name]


def test_a_real_export_has_typed_sections_and_a_malformed_one_costs_only_its_readers(hls_project_export):
    doc = json.loads((hls_project_export / "report.json").read_text())
    record = ExportReport.load(hls_project_export)
    assert record.settings.values == doc["settings"] and record.precision.to_dict() == doc["precision"]
    assert [layer.name for layer in record.precision.layers] == [layer["name"] for layer in doc["precision"]["layers"]]
    broken = ExportReport.from_dict({**doc, "precision": {**doc["precision"], "input": {"lsb": "tiny"}}})
    with pytest.raises(InvalidInputError, match=r"precision\.input\.lsb: must be a number \(got 'tiny'\)") as err:
        _ = broken.precision
    assert "\n" not in str(err.value)
    assert broken.figures == record.figures and broken.settings == record.settings  # check reads figures as before
    # kept as written: the broken section goes back into the file unchanged, so its hash still holds
    assert broken.to_dict()["precision"]["input"] == {"lsb": "tiny"}


def test_a_target_hands_its_sections_over_as_records(hls_project_export):
    """The sections a target writes are its typed records, built when written, equal to the ones read back."""
    from edgenn.records.export_sections import SettingsSection, section_records

    doc = json.loads((hls_project_export / "report.json").read_text())
    record = ExportReport.load(hls_project_export)
    with pytest.raises(TypeError, match=r"sections\['settings'\] must be a SettingsSection"):
        ExportReport("fpga", "x", {}, sections={"settings": doc["settings"]})
    typed = section_records(settings=doc["settings"], resources=doc["resources"], precision=doc["precision"],
                            project=doc["project"])
    assert isinstance(typed["settings"], SettingsSection)
    rebuilt = replace(record, sections={**record.sections, **typed})
    assert rebuilt == record and rebuilt.content_hash == record.content_hash == doc["content_hash"]


def test_schema_1_onnx_section_reads_as_its_record():
    doc = json.loads((FIXTURES / "export_v1_onnx.json").read_text())["onnx"]
    o = ExportReport.load(FIXTURES / "export_v1_onnx.json").onnx
    assert (o.num_samples, o.max_abs_diff, o.tolerance, o.passed) == (doc["num_samples"], doc["max_abs_diff"],
                                                                     doc["tolerance"], doc["passed"])
    assert o.latencies_us == {k: tuple(doc[k]) for k in ("ort_latency_us_batch1", "keras_latency_us_batch1",
                                                         "keras_call_latency_us_batch1")}
    assert o.to_dict() == doc
