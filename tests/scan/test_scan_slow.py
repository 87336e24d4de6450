"""Slow scan tests: a killed scan process resumes; the Ray path gives the same trials as local processes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from edgenn.config.scan import ScanSpace
from edgenn.scan import run_scan

from test_driver import SPACE, tiny_recipe


def _states(db: Path) -> list[str]:
    if not db.is_file():
        return []
    try:
        with sqlite3.connect(db) as con:
            return [s for (s,) in con.execute("SELECT state FROM trials ORDER BY number")]
    except sqlite3.OperationalError:  # tables not created yet
        return []


@pytest.mark.slow
def test_killed_scan_resumes_where_it_stopped(tmp_path, tiny_jets):
    recipe = tiny_recipe(tmp_path, tiny_jets)
    (tmp_path / "recipe.yml").write_text(yaml.safe_dump(recipe.model_dump(mode="json")))
    (tmp_path / "space.yml").write_text(yaml.safe_dump(SPACE))
    out = tmp_path / "scan"
    args = ["--no-progress", "scan", str(tmp_path / "recipe.yml"), "--space",
           str(tmp_path / "space.yml"), "--trials", "3", "--workers", "1", "--out", str(out)]
    code = "from edgenn.cli.app import main; import sys; sys.argv[0] = 'edgenn'; main()"
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    deadline = time.time() + 900
    while time.time() < deadline and "COMPLETE" not in _states(out / "study.db"):
        time.sleep(1)
    # kill in the middle of the second trial: it stays RUNNING in the study
    while time.time() < deadline and _states(out / "study.db").count("RUNNING") == 0:
        time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = _states(out / "study.db")
    assert before[0] == "COMPLETE" and "RUNNING" in before

    result = run_scan(recipe, ScanSpace.model_validate(SPACE), out, trials=3, workers=1, progress=False)
    after = _states(out / "study.db")
    assert after[0] == "COMPLETE"  # kept, not re-run
    assert after.count("COMPLETE") == 3 and after.count("FAIL") == before.count("RUNNING")
    assert result.num_complete == 3
    import optuna

    study = optuna.load_study(study_name="edgenn-scan", storage=f"sqlite:///{out / 'study.db'}")
    failed = [t for t in study.trials if t.state.name == "FAIL"]
    rerun = [t for t in study.trials if t.state.name == "COMPLETE" and t.number > failed[0].number]
    assert any(t.params == failed[0].params for t in rerun)  # the interrupted trial's point was run again


@pytest.mark.slow
def test_ray_path_gives_the_local_pareto_front(tmp_path, tiny_jets):
    """Same seed, same batch size (2 workers): the same suggestions, the same results, the same front.

    Deterministic because the driver asks a whole batch before any of it runs and tells results in trial order,
    and every trial is seeded per stage with TF op determinism and 1 thread per worker in both paths.
    """
    pytest.importorskip("ray")
    recipe, space = tiny_recipe(tmp_path, tiny_jets), ScanSpace.model_validate(SPACE)
    local = run_scan(recipe, space, tmp_path / "local", trials=4, workers=2, progress=False)
    on_ray = run_scan(recipe, space, tmp_path / "ray", trials=4, workers=2, ray_address="local", progress=False)

    def front(result):
        return [(r["trial"], {k: v for k, v in r.items() if k.startswith("param.")},
                 [round(r[f"objective.{o}"], 9) for o in result.objectives]) for r in result.pareto]

    assert local.num_complete == on_ray.num_complete == 4
    assert front(local) == front(on_ray) and front(local)
