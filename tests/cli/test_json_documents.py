"""`--json`: every command prints exactly one JSON document on stdout that validates against docs/cli-json/.

The heavy API calls are replaced by results of the real result types (as in the other CLI tests) so that the
document each command builds is checked in seconds; `doctor` and the error documents run for real.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

import edgenn.api
from edgenn.artifacts import ModelArtifact
from edgenn.cli.app import app
from edgenn.config.load import load_recipe
from edgenn.scan.compare import CompareResult, MetricComparison
from edgenn.scan.driver import ScanResult
from edgenn.synth import SynthResult
from edgenn.verification.budget import CheckLine, CheckReport

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "docs" / "cli-json"
runner = CliRunner()
FIG = {"lut": {"value": 1234, "unit": "count", "method": "analytic"},
       "latency_ns": {"value": 25.0, "unit": "ns", "method": "analytic"}}


def _artifact(stage: str, metrics: dict) -> ModelArtifact:
    return ModelArtifact(Path(f"runs/x/{stage}"), stage, load_recipe(ROOT / "models" / "jet_mlp.yml"), metrics)


class _Export:
    target, directory, report = "fpga", Path("firmware/x/fpga"), {"figures": FIG, "notes": ["bit-exact"]}


METRICS = {"accuracy": 0.71, "auc": {"t": 0.93, "q": float("nan")}, "num_params": 1205, "num_samples": 900}
SUMMARY = {"accuracy": 0.72, "auc": {"t": 0.93}, "num_params": 1205, "num_nonzero": 1205, "sparsity": 0.0,
           "bops": {"total": 5.0e5}, "bits": {"dense_1": {"weight": 6, "bias": 6, "input_activation": 8}}}
STUBS = {
    "data generate": ("generate_data", lambda *a, **k: Path("d/jets.h5"), ["data", "generate", "jets", "--out", "d"]),
    "train": ("train", lambda *a, **k: _artifact("train", METRICS), ["train", "r.yml"]),
    "compress": ("compress", lambda *a, **k: _artifact("compress", {**METRICS, "compression": {
        "before": SUMMARY, "after": {**SUMMARY, "accuracy": 0.71, "num_nonzero": 300, "sparsity": 0.75}}}),
        ["compress", "runs/x"]),
    "export": ("export", lambda *a, **k: _Export(), ["export", "runs/x"]),
    "check": ("check", lambda *a, **k: CheckReport("r.json", (
        CheckLine("lut", "<= 10", 1234.0, "count", "analytic", False, "1234 > 10"),)),
        ["check", "firmware/x/fpga", "--budget", "b.yml"]),
    "report": ("report", lambda *a, **k: Path("runs/x/report.html"), ["report", "runs/x"]),
    "synth": ("synth", lambda *a, **k: SynthResult("yosys", Path("firmware/x/synth-yosys"), {"figures": FIG}),
              ["synth", "runs/x"]),
    "report-vendor": ("report_vendor", lambda *a, **k: SynthResult("vitis", Path("p"), {"figures": FIG}),
                      ["report-vendor", "p"]),
    "scan": ("scan", lambda *a, **k: ScanResult(Path("scans/x"), 5, 4, (
        {"trial": 3, "param.weight_bits": 6, "objective.accuracy": 0.7, "objective.lut": 1200.0},),
        ("accuracy", "lut")), ["scan", "r.yml", "--space", "s.yml"]),
    "compare": ("compare", lambda *a, **k: CompareResult(Path("runs/c"), "a", "b", "seeds", 2, "accuracy", 0.05, (
        MetricComparison("accuracy", True, (0.7, 0.71), (0.6, 0.62), 0.01, "paired t"),), "a beats b"),
        ["compare", "runs/a", "runs/b", "--seeds", "2"]),
}


def _validate(command: str, stdout: str) -> dict:
    doc = json.loads(stdout)  # raises if anything but the one document reached stdout
    schema = json.loads((SCHEMAS / f"{command.replace(' ', '-')}.schema.json").read_text())
    jsonschema.validate(doc, schema)
    return doc


def test_every_command_has_a_json_flag_and_a_schema():
    import typer.main

    group = typer.main.get_command(app)
    names = [f"data {n}" for n in group.commands["data"].commands] + [n for n in group.commands if n != "data"]
    for name in names:
        cmd = group.commands[name] if " " not in name else group.commands["data"].commands[name.split()[1]]
        assert any("--json" in p.opts for p in cmd.params), f"{name} has no --json"
        assert (SCHEMAS / f"{name.replace(' ', '-')}.schema.json").is_file(), f"no schema for {name}"


@pytest.mark.parametrize("command", sorted(STUBS))
def test_json_document_validates(monkeypatch, command):
    attr, fake, argv = STUBS[command]
    monkeypatch.setattr(edgenn.api, attr, fake)
    res = runner.invoke(app, ["--no-progress", *argv, "--json"])
    doc = _validate(command, res.stdout)
    assert doc["exit_code"] == res.exit_code and doc["command"] == command
    if command == "check":  # a broken budget is exit 1, status failed, still a full document
        assert res.exit_code == 1 and doc["status"] == "failed" and doc["passed"] is False
    else:
        assert res.exit_code == 0, res.output
    if command in ("train", "compress"):  # compress reports the compressed model
        assert doc["figures"]["accuracy"] == {"value": 0.71, "unit": "fraction", "method": "test split (900 samples)"}
    if command == "compress":
        assert doc["figures"]["sparsity"]["value"] == 0.75 and doc["figures"]["bops.total"]["unit"] == "count"
    if command == "train":
        assert doc["figures"]["auc.q"]["value"] is None  # NaN is not JSON: it becomes null


def test_doctor_json_runs_for_real():
    res = runner.invoke(app, ["doctor", "--json"])
    doc = _validate("doctor", res.stdout)
    by_name = {c["name"]: c for c in doc["components"]}
    from importlib.metadata import version

    assert by_name["tensorflow"]["version"] == version("tensorflow") and by_name["g++"]["enables"]


def test_bad_input_gives_an_error_document(tmp_path):
    recipe = tmp_path / "r.yml"
    recipe.write_text("name: x\ntrain: {epocs: 3}\n")
    res = runner.invoke(app, ["train", str(recipe), "--json"])
    doc = _validate("train", res.stdout)
    assert res.exit_code == 2 and doc["status"] == "error" and doc["exit_code"] == 2
    assert any("train.epocs" in e["message"] for e in doc["errors"])
    assert "error:" in res.stderr  # the human line still goes to stderr


def test_doctor_table_keeps_each_name_and_version_on_one_line_at_80_columns():
    res = runner.invoke(app, ["doctor"], env={"COLUMNS": "80"})
    lines = res.stdout.splitlines()
    assert res.exit_code == 0 and max(len(line) for line in lines) <= 80
    by_name = {c["name"]: c for c in json.loads(runner.invoke(app, ["doctor", "--json"]).stdout)["components"]}
    for name, component in by_name.items():
        version = component["version"] or "missing"
        assert any(f"│ {name} " in line and f" {version} " in line for line in lines), (name, version)
