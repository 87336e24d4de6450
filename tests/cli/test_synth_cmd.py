"""`edgenn synth`: arguments reach edgenn.api.synth unchanged; figures are printed with their method."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from edgenn.cli.app import app
from edgenn.synth import SynthResult


def test_synth_passes_arguments_and_prints_methods(monkeypatch, tmp_path):
    seen = {}

    def fake_synth(path, *, tool, out, on_tick=None):
        seen.update(path=path, tool=tool, out=out)
        return SynthResult(tool, tmp_path, {"figures": {"lut": {"value": 4321, "unit": "count", "method": "yosys"}}})

    monkeypatch.setattr("edgenn.api.synth", fake_synth)
    res = CliRunner().invoke(app, ["--no-progress", "synth", "runs/jet_mlp", "--tool", "yosys", "--out", "o"])
    assert res.exit_code == 0, res.output
    assert seen == {"path": Path("runs/jet_mlp"), "tool": "yosys", "out": Path("o")}
    assert "4,321" in res.output and "yosys" in res.output


def test_synth_unknown_tool_is_exit_2(tmp_path):
    res = CliRunner().invoke(app, ["--no-progress", "synth", str(tmp_path), "--tool", "quartus"])
    assert res.exit_code == 2
    assert "unknown tool 'quartus'" in res.output
