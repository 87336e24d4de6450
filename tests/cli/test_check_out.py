"""``edgenn check --out FILE`` saves the check as a record: it loads, its content hash verifies, and it holds the
pass/fail lines the command printed (a real check of a stored export report, tests/records/fixtures)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

import edgenn.api
from edgenn.cli.app import app
from edgenn.records import CheckReport, ExportReport

FIXTURE = Path(__file__).resolve().parents[1] / "records" / "fixtures" / "export_v1_fpga.json"
BUDGET = "bit_exact_fraction: {min: 1.0}\nlut: {max: 1, method: [analytic]}\naccuracy: {min: 0.1}\n"


def test_check_out_saves_the_record_the_cli_printed(tmp_path):
    (tmp_path / "b.yml").write_text(BUDGET)
    out = tmp_path / "check.json"
    res = CliRunner().invoke(app, ["check", str(FIXTURE), "--budget", str(tmp_path / "b.yml"), "--out", str(out)],
                             terminal_width=120)
    assert res.exit_code == 1, res.output  # the lut line fails: exit 1, and the record is written all the same
    saved = CheckReport.load(out)  # refuses a file whose content hash does not match
    assert json.loads(out.read_text())["content_hash"] == saved.content_hash
    assert saved.report_hash == ExportReport.load(FIXTURE).content_hash
    printed = dict(re.findall(r"^\s*(\w+)\s.*\s(pass|FAIL)\s*$", res.output, flags=re.M))
    assert printed == {x.figure: "pass" if x.passed else "FAIL" for x in saved.lines}
    assert printed == {"bit_exact_fraction": "pass", "lut": "FAIL", "accuracy": "pass"}


def test_api_check_out_writes_the_same_record(tmp_path):
    (tmp_path / "b.yml").write_text(BUDGET)
    report = edgenn.api.check(FIXTURE, tmp_path / "b.yml", out=tmp_path / "c.json")
    assert CheckReport.load(tmp_path / "c.json") == report and not report.passed
