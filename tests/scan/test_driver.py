"""A tiny real scan (tiny jets, 1 epoch): outputs, trial runs, and resuming a study with more trials."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from edgenn_testing import write_recipe
from edgenn.artifacts import ModelArtifact
from edgenn.config.load import load_recipe
from edgenn.config.scan import ScanSpace
from edgenn.errors import InvalidInputError
from edgenn.records.scan import ScanSummary
from edgenn.records.stage_outputs import SAMPLE_ROWS, StageOutputs
from edgenn.scan import run_scan

SPACE = {"space": {"weight_bits": [4, 6], "sparsity": [0.0, 0.5], "reuse_factor": [1, 2]},
         "objectives": ["accuracy", "lut_dsp", "latency_cycles"],
         "sampler": {"kind": "nsga2", "seed": 1, "population_size": 4},
         "trial": {"epochs": 1, "compress_epochs": 1}}


def tiny_recipe(tmp_path: Path, tiny_jets: Path):
    path = write_recipe(tmp_path / "recipe.yml", tiny_jets)
    data = yaml.safe_load(path.read_text())
    data["model"]["params"]["hidden"] = [8]
    data["compress"].pop("distill")  # the teacher's logits cost more than this tiny fine-tune
    path.write_text(yaml.safe_dump(data))
    return load_recipe(path)


def _rows(path: Path) -> list[dict]:
    with open(path) as fh:
        return list(csv.DictReader(fh))


def test_tiny_scan_writes_tables_and_resumes(tmp_path, tiny_jets):
    recipe, space, out = tiny_recipe(tmp_path, tiny_jets), ScanSpace.model_validate(SPACE), tmp_path / "scan"
    first = run_scan(recipe, space, out, trials=2, workers=1, progress=False)
    assert first.num_trials == 2 and first.num_complete == 2
    rows = _rows(out / "trials.csv")
    assert [r["trial"] for r in rows] == ["0", "1"]
    for r in rows:
        assert r["lut_method"] == "analytic" and r["latency_cycles_method"] == "analytic"
        assert float(r["objective.lut_dsp"]) == pytest.approx(float(r["lut"]) + 141.0 * float(r["dsp"]))
        # every trial is a normal compressed run whose own metrics match the table
        compressed = ModelArtifact.load(Path(r["run_dir"]) / "compress")
        assert compressed.recipe.compress.qat.weight.bits == int(r["param.weight_bits"])
        assert compressed.recipe.export.fpga.reuse_factor == int(r["param.reuse_factor"])
        assert compressed.metrics["accuracy"] == pytest.approx(float(r["test_accuracy"]))
        # and saves what its stages save for the report: the report of a trial never re-runs its model
        for stage in ("train", "compress"):
            outputs = StageOutputs.load(Path(r["run_dir"]) / stage, stage=stage)
            assert outputs.stage == stage and len(outputs.x) == min(SAMPLE_ROWS, outputs.num_test)
        accuracy = float(np.mean(outputs.test_scores.argmax(1) == outputs.test_labels))
        assert accuracy == pytest.approx(float(r["test_accuracy"]))
    from edgenn.reporting.sections import stage_outputs
    from edgenn.reporting.sources import locate

    src = locate(Path(rows[0]["run_dir"]))  # what the trial's report page reads
    assert stage_outputs(src, "train") is not None and stage_outputs(src, "compress") is not None and not src.problems
    pareto = _rows(out / "pareto.csv")
    assert 1 <= len(pareto) <= 2 and {p["trial"] for p in pareto} <= {"0", "1"}
    assert (out / "pareto.png").stat().st_size > 1000 and (out / "study.db").is_file()
    assert json.loads((out / "scan.json").read_text())["num_complete"] == 2
    summary = ScanSummary.load(out)
    assert summary.num_complete == 2 and list(summary.pareto_trials) == [int(p["trial"]) for p in pareto]

    more = run_scan(recipe, space, out, trials=3, workers=1, progress=False)
    assert more.num_trials == 3
    again = _rows(out / "trials.csv")
    assert again[:2] == rows  # the first two trials are kept as they were, not re-run
    assert again[2]["trial"] == "2" and again[2]["state"] == "COMPLETE"

    with pytest.raises(InvalidInputError, match="different space"):
        run_scan(recipe, space.model_copy(update={"objectives": ["accuracy", "lut"]}), out, trials=3, workers=1,
                 progress=False)
