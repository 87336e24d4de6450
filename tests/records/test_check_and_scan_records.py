"""The check report and the scan summary as records: round trip, hash follows content, refusal of a truncated,
edited or too-new file; the check report names the export report it judged by that report's content hash."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from edgenn.config.budget import Budget
from edgenn.config.load import load_recipe
from edgenn.config.scan import ScanSpace
from edgenn.errors import InvalidInputError
from edgenn.records import CheckReport, ExportReport
from edgenn.records.scan import ScanSummary
from edgenn.verification.budget import check_export

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).with_name("fixtures")


@pytest.fixture()
def check(tmp_path) -> CheckReport:
    """A real check: the fpga export of a small QKeras MLP (schema-1 fixture) against a budget with a failing line."""
    budget = Budget.model_validate({"bit_exact_fraction": {"min": 1.0}, "lut": {"max": 1, "method": ["analytic"]},
                                    "accuracy": {"min": 0.1}})
    return check_export(FIXTURES / "export_v1_fpga.json", budget)


def test_check_report_round_trips_and_names_the_report_it_judged(check, tmp_path):
    assert not check.passed and {x.figure: x.passed for x in check.lines} == {
        "bit_exact_fraction": True, "lut": False, "accuracy": True}
    assert check.report_hash == ExportReport.load(FIXTURES / "export_v1_fpga.json").content_hash
    doc = check.save(tmp_path / "check.json")
    again = CheckReport.load(tmp_path / "check.json")
    assert again == check and doc["content_hash"] == check.content_hash
    lut = next(x for x in again.lines if x.figure == "lut")
    assert lut.methods == ("analytic",) and lut.reason.endswith("> 1") and again.lines == check.lines
    assert again.to_junit() == check.to_junit()


def test_check_report_hash_follows_its_content(check):
    flipped = replace(check, lines=tuple(replace(x, passed=True, reason="ok") for x in check.lines))
    assert flipped.content_hash != check.content_hash
    assert replace(check, report_hash="0" * 16).content_hash != check.content_hash


@pytest.mark.parametrize("mutate,message", [
    (lambda doc: json.dumps(doc)[:40], "not a readable check report"),
    (lambda doc: json.dumps({**doc, "passed": not doc["passed"]}), "content hash does not match"),
    (lambda doc: json.dumps({**doc, "schema_version": 9}), "newer than this edgenn"),
], ids=["truncated", "edited", "newer"])
def test_check_report_refuses_a_broken_file(check, tmp_path, mutate, message):
    doc = check.save(tmp_path / "check.json")
    (tmp_path / "check.json").write_text(mutate(doc))
    with pytest.raises(InvalidInputError, match=message):
        CheckReport.load(tmp_path / "check.json")


@pytest.fixture()
def summary() -> ScanSummary:
    recipe = load_recipe(ROOT / "models" / "jet_mlp.yml")
    space = ScanSpace.model_validate({"space": {"weight_bits": [4, 6], "sparsity": [0.0, 0.5]},
                                      "objectives": ["accuracy", "lut_dsp"]})
    return ScanSummary(recipe.model_dump(mode="json"), space.model_dump(mode="json"), None, 4, 3, (0, 2), (),
                       tuple(space.objectives), 12.5)


def test_scan_summary_round_trips(summary, tmp_path):
    doc = summary.save(tmp_path)
    assert (tmp_path / "scan.json").is_file() and doc["content_hash"] == summary.content_hash
    again = ScanSummary.load(tmp_path)
    assert again == summary and again.name == "jet_mlp"
    assert replace(summary, num_complete=2).content_hash != summary.content_hash


def test_scan_summary_refuses_edits_and_reads_schema_1(summary, tmp_path):
    doc = summary.save(tmp_path)
    (tmp_path / "scan.json").write_text(json.dumps({**doc, "num_complete": 4}))
    with pytest.raises(InvalidInputError, match="content hash does not match"):
        ScanSummary.load(tmp_path)
    old = {k: v for k, v in doc.items() if k != "content_hash"}
    (tmp_path / "scan.json").write_text(json.dumps({**old, "schema_version": 1, "pareto_trials": [0, 2]}))
    assert ScanSummary.load(tmp_path) == summary  # written before summaries carried a hash
    (tmp_path / "scan.json").write_text(json.dumps({**old, "schema_version": 1, "num_trials": "many"}))
    with pytest.raises(InvalidInputError, match="not a scan summary"):
        ScanSummary.load(tmp_path)
