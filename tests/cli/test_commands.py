"""CLI tests: the API is stubbed; assert the arguments it receives, the exit codes and the one-line errors."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

import edgenn.api
from edgenn.cli.app import app
from edgenn.errors import ExternalToolError, InvalidInputError
from edgenn.verification.budget import CheckLine, CheckReport

runner = CliRunner()


def test_export_passes_flags_to_api(monkeypatch):
    seen = {}

    class Result:
        target, directory, report = "fpga", Path("firmware/x/fpga"), {"figures": {}}

    def fake_export(source, **kw):
        seen.update(kw, source=source)
        return Result()

    monkeypatch.setattr(edgenn.api, "export", fake_export)
    res = runner.invoke(app, ["--no-progress", "export", "runs/x", "--target", "fpga", "--part", "xcku115-flvb2104-2-i",
                              "--clock-period", "3.3", "--reuse-factor", "4", "--strategy", "auto",
                              "--budget", "b.yml"])
    assert res.exit_code == 0, res.output
    assert seen["strategy"] == "auto" and seen["budget"] == Path("b.yml")
    assert seen["source"] == Path("runs/x") and seen["part"] == "xcku115-flvb2104-2-i"
    assert seen["clock_period_ns"] == 3.3 and seen["reuse_factor"] == 4 and seen["progress"] is False
    assert seen["trust_model"] is False and seen["csim_check"] is None  # unset: the target's own default
    res = runner.invoke(app, ["--no-progress", "export", "runs/x", "--target", "rtl", "--no-csim-check"])
    assert res.exit_code == 0, res.output
    assert seen["csim_check"] is False


@pytest.mark.parametrize("exc,code", [(InvalidInputError("recipe.yml: train.epochs: bad.", fix="use 3."), 2),
                                      (ExternalToolError("g++ not found on PATH."), 3)])
def test_errors_become_one_line_and_exit_code(monkeypatch, exc, code):
    def boom(*a, **k):
        raise exc

    monkeypatch.setattr(edgenn.api, "train", boom)
    res = runner.invoke(app, ["train", "models/jet_mlp.yml"])
    assert res.exit_code == code
    assert "Traceback" not in res.output
    assert res.output.strip().startswith("error: ") and str(exc).splitlines()[0] in res.output.replace("\n", " ")


def test_bad_recipe_through_real_api(tmp_path):
    p = tmp_path / "r.yml"
    p.write_text("name: x\ntrain: {epocs: 3}\n")
    res = runner.invoke(app, ["train", str(p)])
    assert res.exit_code == 2
    assert "train.epocs: Extra inputs are not permitted" in res.output and "Traceback" not in res.output


def test_missing_dataset_names_path_and_command(tmp_path):
    p = tmp_path / "r.yml"
    p.write_text(f"name: x\ndata: {{path: {tmp_path}/nodata}}\n")
    res = runner.invoke(app, ["train", str(p)])
    assert res.exit_code == 2
    out = res.output.replace("\n", " ")
    assert "nodata/jets.h5 not found" in out and "edgenn data generate jets" in out


@pytest.mark.parametrize("passed,code", [(True, 0), (False, 1)])
def test_check_exit_codes_and_junit(monkeypatch, tmp_path, passed, code):
    report = CheckReport("r.json", (CheckLine("lut", "<= 10", 5.0 if passed else 50.0, "count", "analytic", passed,
                                              "ok" if passed else "50 > 10"),))
    monkeypatch.setattr(edgenn.api, "check", lambda export_dir, budget, compare="upper", out=None: report)
    junit = tmp_path / "j.xml"
    res = runner.invoke(app, ["check", "firmware/x/fpga", "--budget", "b.yml", "--junit", str(junit)])
    assert res.exit_code == code
    assert junit.read_text().count("<testcase") == 1


def test_check_json_output(monkeypatch):
    import json

    report = CheckReport("r.json", (CheckLine("dsp", "<= 1", 0.0, "count", "analytic", True, "ok"),))
    monkeypatch.setattr(edgenn.api, "check", lambda export_dir, budget, compare="upper", out=None: report)
    res = runner.invoke(app, ["check", "x", "--budget", "b.yml", "--json"])
    doc = json.loads(res.stdout)  # the table goes to stderr: stdout holds the document alone
    assert doc["passed"] is True and doc["status"] == "ok" and doc["figures"]["dsp"]["method"] == "analytic"


def test_unknown_target_is_bad_input():
    res = runner.invoke(app, ["export", "runs/x", "--target", "gpu"])
    assert res.exit_code == 2 and "unknown export target 'gpu'" in res.output and "fpga" in res.output


def test_data_generate_passes_flags(monkeypatch):
    seen = {}
    monkeypatch.setattr(edgenn.api, "generate_data", lambda kind, **kw: seen.update(kw, kind=kind) or Path("d/jets.h5"))
    res = runner.invoke(app, ["--no-progress", "data", "generate", "jets", "--out", "d", "--jets-per-class", "50",
                              "--class", "W", "--class", "Z", "--fast", "--seed", "3", "--workers", "1",
                              "--definition", "legacy", "--detector"])
    assert res.exit_code == 0, res.output
    assert seen == {"kind": "jets", "out": Path("d"), "jets_per_class": 50, "classes": ["W", "Z"], "seed": 3,
                    "fast": True, "workers": 1, "events_per_shard": None, "cache_dir": None, "progress": False,
                    "ray_address": None, "definition": "legacy", "detector": True}


def test_detector_is_refused_for_events_and_pileup_reaches_the_api(monkeypatch):
    res = runner.invoke(app, ["data", "generate", "events", "--detector", "--out", "unused"])
    assert res.exit_code == 2 and "--detector applies to jets" in res.output and "Traceback" not in res.output
    seen = {}

    def fake(**kw):
        seen.update(kw)
        raise InvalidInputError("stop here.")  # the flags are what is tested, not the generation

    monkeypatch.setattr(edgenn.api, "generate_events", fake)
    res = runner.invoke(app, ["data", "generate", "events", "--out", "e", "--pileup-mu", "20"])
    assert res.exit_code == 2 and seen["pileup_mu"] == 20.0


def test_data_generate_bad_seed_is_one_line_error():
    res = runner.invoke(app, ["data", "generate", "jets", "--seed", "0", "--out", "unused"])
    assert res.exit_code == 2 and "seed" in res.output and "Traceback" not in res.output
