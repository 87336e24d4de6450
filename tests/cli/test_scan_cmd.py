"""`edgenn scan` / `edgenn compare` CLI: flags reach the API unchanged; errors are one line with the exit code."""

from pathlib import Path

from typer.testing import CliRunner

import edgenn.api
from edgenn.cli.app import app
from edgenn.errors import ConfigError
from edgenn.scan.compare import CompareResult, MetricComparison
from edgenn.scan.driver import ScanResult

runner = CliRunner()


def test_scan_flags_reach_the_api(monkeypatch):
    seen = {}

    def fake_scan(recipe, space, **kw):
        seen.update(kw, recipe=recipe, space=space)
        row = {"trial": 3, "param.weight_bits": 6, "objective.accuracy": 0.7, "objective.lut": 1200.0}
        return ScanResult(Path("scans/x"), 5, 4, (row,), ("accuracy", "lut"), ("bit_exact_fraction: no",))

    monkeypatch.setattr(edgenn.api, "scan", fake_scan)
    res = runner.invoke(app, ["--no-progress", "scan", "r.yml", "--space", "s.yml", "--trials", "7", "--workers",
                              "2", "--ray-address", "local", "--export-best", "1", "--budget", "b.yml",
                              "--sampler", "gp"])
    assert res.exit_code == 0, res.output
    assert seen == {"recipe": Path("r.yml"), "space": Path("s.yml"), "trials": 7, "out": None,
                    "budget": Path("b.yml"), "workers": 2, "ray_address": "local", "export_best": 1,
                    "progress": False, "sampler": "gp"}
    assert "1,200" in res.output and "bit_exact_fraction" in res.output


def test_scan_config_error_exits_2(monkeypatch):
    def boom(*a, **k):
        raise ConfigError(["s.yml: space.weight_bitz: Extra inputs are not permitted."])

    monkeypatch.setattr(edgenn.api, "scan", boom)
    res = runner.invoke(app, ["scan", "r.yml", "--space", "s.yml"])
    assert res.exit_code == 2 and "space.weight_bitz" in res.output and "Traceback" not in res.output


def test_compare_prints_verdict(monkeypatch):
    seen = {}

    def fake_compare(a, b, **kw):
        seen.update(kw, a=a, b=b)
        m = MetricComparison("accuracy", True, (0.7, 0.71), (0.6, 0.62), 0.01, "paired t")
        return CompareResult(Path("runs/c"), "a", "b", "seeds", 2, "accuracy", 0.05, (m,), "a beats b on accuracy")

    monkeypatch.setattr(edgenn.api, "compare", fake_compare)
    res = runner.invoke(app, ["compare", "runs/a", "runs/b", "--seeds", "2", "--test", "wilcoxon"])
    assert res.exit_code == 0, res.output
    assert seen["a"] == Path("runs/a") and seen["seeds"] == 2 and seen["folds"] is None and seen["test"] == "wilcoxon"
    assert "a beats b on accuracy" in res.output
