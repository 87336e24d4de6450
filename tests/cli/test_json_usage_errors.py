"""`--json` with a command line click cannot parse still prints one JSON document on stdout (cli.app.PipelineOrder).

Unknown options, missing arguments and values of the wrong type are refused by click before any edgenn code runs;
a CI script that asked for JSON must not have to parse click's usage box instead. The human message stays on
stderr, the exit code stays 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from edgenn.cli.app import app

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "cli-json"
runner = CliRunner()


@pytest.mark.parametrize("argv, command, error_type, needle", [
    (["check", "fw", "--json", "--bogus"], "check", "NoSuchOption", "--bogus"),
    (["check", "fw", "--json"], "check", "MissingParameter", "--budget"),
    (["train", "--json"], "train", "MissingParameter", "RECIPE"),
    (["export", "m.h5", "--clock-period", "fast", "--json"], "export", "BadParameter", "--clock-period"),
    (["data", "generate", "jets", "--jets-per-class", "many", "--json"], "data generate", "BadParameter",
     "--jets-per-class"),
    (["scan", "r.yml", "--json"], "scan", "MissingParameter", "--space"),
    (["chek", "fw", "--json"], "edgenn", "UsageError", "chek"),
    (["--json", "check", "fw"], "check", "NoSuchOption", "--json"),  # --json belongs after the command
    (["data", "gen", "--json"], "edgenn", "UsageError", "gen"),
    # events' own options are parsed by a second parser (verbs/data_events): its errors must be edgenn's too
    (["data", "generate", "events", "--bogus", "--json"], "data generate", "InvalidInputError", "--bogus"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_usage_error_under_json_is_one_document(argv, command, error_type, needle):
    res = runner.invoke(app, argv)
    doc = json.loads(res.stdout)  # the document alone on stdout
    jsonschema.validate(doc, json.loads((SCHEMAS / f"{command.replace(' ', '-')}.schema.json").read_text()))
    assert res.exit_code == 2 and doc["exit_code"] == 2 and doc["status"] == "error"
    assert doc["command"] == command
    [error] = doc["errors"]
    assert error["type"] == error_type and needle.lower() in error["message"].lower()
    assert error["fix"].startswith("see `edgenn") and "--help" in error["fix"]
    assert needle.lower() in res.stderr.lower()  # click's own message still reaches a person


def test_usage_error_without_json_prints_nothing_on_stdout():
    res = runner.invoke(app, ["check", "fw", "--bogus"])
    assert res.exit_code == 2 and res.stdout == "" and "--bogus" in res.stderr


def test_unknown_events_option_is_one_line_without_a_box():
    res = runner.invoke(app, ["data", "generate", "events", "--out", "ev", "--bogus"])
    assert res.exit_code == 2 and res.stdout == ""
    [line] = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert "No such option: --bogus" in line and "╭" not in res.stderr


def test_global_flags_work_after_the_command(tmp_path):
    """`--no-progress` and `-v` are the root's options; typed after the command they mean the same."""
    import typer.main

    from edgenn.cli.common import GLOBAL_FLAGS

    group = typer.main.get_command(app)
    commands_ = [c for n, c in group.commands.items() if n != "data"] + list(group.commands["data"].commands.values())
    for cmd in commands_:  # no command may own one of these spellings, or moving it would change its meaning
        assert not {o for p in cmd.params for o in p.opts} & set(GLOBAL_FLAGS), cmd.name
    (tmp_path / "b.yml").write_text("lut: {max: -1}\n")
    for flag in GLOBAL_FLAGS:
        res = runner.invoke(app, ["check", str(tmp_path), "--budget", str(tmp_path / "b.yml"), flag, "--json"])
        assert res.exit_code == 2, res.output  # the budget's error, not "No such option"
        assert "lut.max" in json.loads(res.stdout)["errors"][0]["message"]
