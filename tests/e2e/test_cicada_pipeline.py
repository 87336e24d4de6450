"""The tiny CICADA chain through the CLI, from zero-bias events with calorimeter-region images (the tiny_zero_bias
fixture) to `edgenn check`: teacher train -> student train (regressing the teacher's log MSE) -> compress (pruning +
QAT) -> export fpga -> check against firmware/budgets/cicada_student_tiny.yml (bit-exact, II <= 5, <= 100 ns).

Slow: the export compiles and runs the C simulation on 10,000 images (about 3 minutes on a loaded 2-core machine).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from edgenn_testing import ROOT
from edgenn.cli.app import app

runner = CliRunner()


def run(*args):
    res = runner.invoke(app, ["--no-progress", *map(str, args)])
    assert res.exit_code == 0, f"{args[0]} failed (exit {res.exit_code}):\n{res.output}\n{res.exception!r}"
    return res


def tiny(name: str, data: Path, out: Path, **anomaly) -> Path:
    recipe = yaml.safe_load((ROOT / "models" / f"{name}.yml").read_text())
    recipe["data"].update(path=str(data), val_fraction=0.2, test_fraction=0.4)
    recipe["train"].update(epochs=2, batch_size=64)
    recipe["train"].pop("early_stopping", None)
    if recipe.get("compress"):
        recipe["compress"]["epochs"] = 2
    recipe["anomaly"].update(anomaly)
    path = out / f"{name}.yml"
    path.write_text(yaml.safe_dump(recipe))
    return path


@pytest.mark.slow
def test_cicada_student_exports_bit_exact_at_the_trigger_rate(tiny_zero_bias, tmp_path):
    runs = tmp_path / "runs"
    run("train", tiny("cicada_teacher", tiny_zero_bias, tmp_path), "--out", runs / "cicada_teacher" / "train")
    student = tiny("cicada_student", tiny_zero_bias, tmp_path, teacher=str(runs / "cicada_teacher"))
    run("train", student, "--out", runs / "cicada_student" / "train")
    run("compress", runs / "cicada_student", "--out", runs / "cicada_student" / "compress")
    fw = tmp_path / "firmware" / "fpga"
    run("export", runs / "cicada_student", "--target", "fpga", "--out", fw)
    report = json.loads((fw / "report.json").read_text())
    figures = report["figures"]
    assert figures["bit_exact_fraction"]["value"] == 1.0
    assert figures["ii_cycles"]["value"] <= 5 and figures["latency_ns"]["value"] <= 100
    assert "auc.lq_btau" in figures and "teacher_correlation" in figures
    run("check", fw, "--budget", ROOT / "firmware" / "budgets" / "cicada_student_tiny.yml")
