"""`edgenn report`: arguments reach write_report unchanged; a missing directory is a user error (exit 2)."""

from pathlib import Path

import typer
from typer.testing import CliRunner

from edgenn.cli.verbs.report import VERB


def _app() -> typer.Typer:
    app = typer.Typer()
    VERB.add_to(app)

    @app.callback()
    def _root() -> None:  # a callback keeps `report` a named sub-command, as in edgenn's app
        pass

    return app


def test_report_command_passes_path_and_budget(monkeypatch, tmp_path):
    calls = []

    def fake(path, *, budget=None):
        calls.append((path, budget))
        return Path(path) / "report.html"

    monkeypatch.setattr("edgenn.reporting.write_report", fake)
    res = CliRunner().invoke(_app(), ["report", str(tmp_path), "--budget", "b.yml"])
    assert res.exit_code == 0, res.output
    assert calls == [(tmp_path, Path("b.yml"))]
    assert "report.html" in res.output


def test_report_command_on_missing_directory_exits_2(tmp_path):
    res = CliRunner().invoke(_app(), ["report", str(tmp_path / "nowhere")])
    assert res.exit_code == 2
    assert "no such directory" in res.output
