"""`edgenn check` through the real CLI and API fails closed: anything it cannot vouch for is exit 1 with the reason
on the figure's line, never a pass and never a traceback (check_figures itself: tests/verification/test_budget.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edgenn.cli.app import app

runner = CliRunner()  # res.stdout: the --json document alone (tables go to stderr)

GOOD = {"accuracy": {"value": 0.8, "unit": "fraction", "method": "csim"},
        "latency_ns": {"value": 40.0, "unit": "ns", "method": "analytic"}}


def _v1(**body) -> str:
    """A schema-1 report (as edgenn wrote them before reports carried a content hash)."""
    return json.dumps({"schema_version": 1, "target": "fpga", "name": "x", **body})


def _export(tmp: Path, report_text: str) -> Path:
    d = tmp / "fw"
    d.mkdir()
    (d / "report.json").write_text(report_text)
    (d / "manifest.json").write_text("{}")
    return d


def _budget(tmp: Path) -> Path:
    (tmp / "b.yml").write_text("accuracy: {min: 0.5}\nlatency_ns: {max: 100, method: [analytic, vendor]}\n")
    return tmp / "b.yml"


@pytest.mark.parametrize("report,figure,reason", [
    (_v1(figures={"latency_ns": GOOD["latency_ns"]}), "accuracy", "missing from the report"),
    (_v1(figures=dict(GOOD, latency_ns={"value": 8, "unit": "cycles", "method": "analytic"})),
     "latency_ns", "unit is 'cycles', budget expects 'ns'"),
    (_v1(figures=dict(GOOD, latency_ns={"value": 40.0, "unit": "ns", "method": "guess"})),
     "latency_ns", "made by method 'guess'"),
    (_v1(figures=dict(GOOD, accuracy={"value": None, "unit": "fraction", "method": "csim"})),
     "accuracy", "not a number"),
    ("{truncated", "accuracy", "report is unreadable"),
    (_v1(no_figures=1), "latency_ns", "has no 'figures' section"),
    (json.dumps({"figures": GOOD}), "accuracy", "no schema_version (not an edgenn export report)"),
    (json.dumps({"schema_version": 2, "target": "fpga", "name": "x", "figures": GOOD, "content_hash": "0" * 16}),
     "latency_ns", "content hash does not match"),
], ids=["missing-metric", "wrong-unit", "wrong-method", "not-a-number", "unreadable-report", "no-figures",
        "not-an-edgenn-report", "edited-report"])
def test_check_fails_closed_with_the_reason(tmp_path, report, figure, reason):
    res = runner.invoke(app, ["check", str(_export(tmp_path, report)), "--budget", str(_budget(tmp_path)), "--json"])
    assert res.exit_code == 1, res.stdout + res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    lines = {line["figure"]: line for line in json.loads(res.stdout)["lines"]}
    assert lines[figure]["passed"] is False and reason in lines[figure]["reason"]


def test_a_good_report_passes(tmp_path):
    res = runner.invoke(app, ["check", str(_export(tmp_path, _v1(figures=GOOD))),
                              "--budget", str(_budget(tmp_path))])
    assert res.exit_code == 0, res.stdout + res.stderr
