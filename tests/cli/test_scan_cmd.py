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


def test_compare_train_sizes_flags_reach_the_api_and_the_table_prints(monkeypatch, tmp_path):
    from edgenn.records.curves import CurvePoint, FoldResult, LearningCurves
    from edgenn.scan.curves import CurveResult

    seen = {}

    def fake_compare(*runs, **kw):
        seen.update(kw, runs=runs)
        folds = tuple(FoldResult(k, 1000, 300, acc, {"t": 0.9}, 20, True, 3.0) for k, acc in enumerate((0.70, 0.72)))
        c = LearningCurves({"jet_mlp": "dense", "deepsets": "deepsets"}, (1000,), 2, "accuracy", "data/jets", 1,
                           {"train": 15000, "val": 4500, "test": 10500}, {"max_epochs": 50, "patience": 6,
                                                                          "min_val_jets": 200},
                           (CurvePoint("jet_mlp", 1000, folds, 0), CurvePoint("deepsets", 1000, (), 0)), 2)
        return CurveResult(Path("runs/curves_x"), c, 2, 0, {"plot": Path("runs/curves_x/curves.png")})

    monkeypatch.setattr(edgenn.api, "compare", fake_compare)
    res = runner.invoke(app, ["--no-progress", "compare", "a.yml", "b.yml", "c.yml", "--train-sizes", "1000,3000",
                              "--folds", "2", "--max-epochs", "50", "--data", "data/jets", "--json"])
    assert res.exit_code == 0, res.output
    assert seen["runs"] == (Path("a.yml"), Path("b.yml"), Path("c.yml")) and seen["train_sizes"] == "1000,3000"
    assert (seen["folds"], seen["max_epochs"], seen["data"], seen["progress"]) == (2, 50, Path("data/jets"), False)
    import json

    doc = json.loads(res.stdout)
    assert doc["mode"] == "train_sizes" and doc["k"] == 2 and "2 still pending" in doc["verdict"]
    assert doc["curves"] == [{"family": "jet_mlp", "model_family": "dense", "train_jets": 1000, "mean": 0.71,
                              "std": doc["curves"][0]["std"], "folds": 2, "max_shared_rows": 0}]
    assert abs(doc["curves"][0]["std"] - 0.01414) < 1e-4


def test_compare_train_sizes_bad_input_is_one_line_exit_2(tmp_path):
    from edgenn_testing import ROOT

    recipe = str(ROOT / "models" / "jet_mlp.yml")
    res = runner.invoke(app, ["compare", recipe, "--train-sizes", "1000", "--folds", "1"])
    assert res.exit_code == 2 and "folds" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["compare", recipe, "--folds", "3"])
    assert res.exit_code == 2 and "--train-sizes" in res.output and "Traceback" not in res.output
