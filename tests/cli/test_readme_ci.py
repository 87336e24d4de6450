"""The README's CI step (`edgenn check ... --json` read by a Python snippet) works against the real document.

The bash block is taken from README.md as written and run in a directory laid out like the demo's (an fpga export
report and the shipped budget), so a change to the check document that breaks the snippet fails here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from edgenn_testing import write_export_report

ROOT = Path(__file__).resolve().parents[2]
FIGURES = {
    "accuracy": {"value": 0.7412, "unit": "fraction", "method": "csim"},
    "accuracy_drop": {"value": 0.0031, "unit": "fraction", "method": "csim"},
    "auc.t": {"value": 0.9312, "unit": "fraction", "method": "csim"},
    "auc.W": {"value": 0.8120, "unit": "fraction", "method": "csim"},
    "bit_exact_fraction": {"value": 1.0, "unit": "fraction", "method": "csim"},
    "latency_ns": {"value": 45.0, "unit": "ns", "method": "analytic", "interval": [10.03, 60.4]},
    "ii_cycles": {"value": 1, "unit": "cycles", "method": "analytic"},
    "dsp": {"value": 0, "unit": "count", "method": "analytic"},
    "lut": {"value": 15065.37, "unit": "count", "method": "analytic", "interval": [13704.4, 23543.8]},
}


def _ci_block() -> str:
    text = (ROOT / "README.md").read_text()
    blocks = [b for b in re.findall(r"```bash\n(.*?)```", text, re.S) if "--json > check.json" in b]
    assert len(blocks) == 1, "README must show exactly one CI step reading `edgenn check --json`"
    return blocks[0]


def _run(tmp: Path, figures: dict | None) -> subprocess.CompletedProcess:
    export = tmp / "firmware" / "jet_mlp" / "fpga"
    export.mkdir(parents=True)
    (tmp / "firmware" / "budgets").mkdir()
    shutil.copy(ROOT / "firmware" / "budgets" / "jet_mlp.yml", tmp / "firmware" / "budgets" / "jet_mlp.yml")
    if figures is not None:
        write_export_report(export, figures)
        (export / "manifest.json").write_text("{}")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run(["bash", "-c", _ci_block()], cwd=tmp, capture_output=True, text=True, env=env, timeout=120)


def test_readme_ci_step_passes_a_budget_that_holds(tmp_path):
    res = _run(tmp_path, FIGURES)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.splitlines() == ["edgenn check: ok"]


@pytest.mark.parametrize("figure, change, needle", [
    ("lut", {"value": 250000.0, "interval": [240000.0, 260000.0]},
     "broken: lut = 250000.0 count (analytic): 250000 > 200000"),
    ("dsp", {"method": "rule4ml"}, "broken: dsp = 0 count (rule4ml): made by method 'rule4ml'"),
])
def test_readme_ci_step_fails_the_job_and_names_the_broken_line(tmp_path, figure, change, needle):
    res = _run(tmp_path, {**FIGURES, figure: {**FIGURES[figure], **change}})
    assert res.returncode == 1, res.stdout + res.stderr
    assert needle in res.stdout and res.stdout.splitlines()[-1] == "edgenn check: failed"


def test_readme_ci_step_reports_bad_input(tmp_path):
    res = _run(tmp_path, None)  # no export there: the check cannot run
    assert res.returncode == 2
    assert re.search(r"^error: .*Fix: ", res.stdout, re.M), res.stdout
    assert res.stdout.splitlines()[-1] == "edgenn check: error"
