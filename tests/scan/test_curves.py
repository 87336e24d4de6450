"""Training-set-size curves on real tiny jets: one fixed test split, K stratified subsets per size, resumable cells.

Two small dense recipes on the session's 600 tiny jets (train 300 / val 120 / test 180), sizes 50 (two disjoint
folds) and 200 (two folds that must overlap), a few epochs each: the machinery is under test, not convergence.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

import edgenn.filenames as filenames
from edgenn.config.train_sizes import TrainSizeCurves
from edgenn.config.load import load_recipe
from edgenn.errors import ConfigError, InvalidInputError
from edgenn.records.curves import CurveCell, LearningCurves
from edgenn.scan import curve_cell
from edgenn.scan.curves import run_train_size_curves
from edgenn.splits import SplitRecord
from edgenn_testing import write_recipe

SETTINGS = TrainSizeCurves(train_sizes=(50, 200), folds=2, max_epochs=4, patience=2, min_val_jets=20)


def _recipe(tmp_path, tiny_jets, name, hidden, **data):
    path = write_recipe(tmp_path / f"{name}.yml", tiny_jets, name=name)
    raw = yaml.safe_load(path.read_text())
    raw["model"]["params"]["hidden"] = hidden
    raw["data"].update(data)
    path.write_text(yaml.safe_dump(raw))
    return load_recipe(path)


@pytest.fixture(scope="module")
def curves(tmp_path_factory, tiny_jets):
    base = tmp_path_factory.mktemp("curves")
    recipes = [_recipe(base, tiny_jets, "wide", [16]), _recipe(base, tiny_jets, "narrow", [4])]
    result = run_train_size_curves(recipes, SETTINGS, base / "out", progress=False)
    return base, recipes, result


def test_every_cell_scores_the_train_stage_test_split(curves):
    from edgenn.training.stage import prepared_data

    base, recipes, result = curves
    out = result.directory
    assert (result.trained, result.reused, result.curves.pending_cells) == (8, 0, 0)
    train_stage = prepared_data(recipes[0]).split  # what `edgenn train` would draw for these recipes
    saved = SplitRecord.load(out / filenames.SPLITS)
    assert np.array_equal(saved.test, train_stage.test) and np.array_equal(saved.train, train_stage.train)
    c = LearningCurves.load(out)
    assert c.split_sizes == {"train": 300, "val": 120, "test": 180}
    cells = sorted((out / filenames.CURVE_CELLS).rglob("*.json"))
    assert len(cells) == 2 * 2 * 2
    for p in c.points:
        assert len(p.folds) == 2 and all(f.train_jets == p.train_size for f in p.folds)
        assert all(0.0 <= f.accuracy <= 1.0 and f.epochs_run <= 4 for f in p.folds)
        assert all(20 <= f.val_jets <= 120 for f in p.folds)
    # sizes 50 x 2 folds fit in 300 training jets (disjoint); 200 x 2 do not (the table says by how much)
    assert all(p.max_shared_rows == 0 for p in c.points if p.train_size == 50)
    assert all(p.max_shared_rows > 0 for p in c.points if p.train_size == 200)
    table = (out / filenames.CURVES_MD).read_text()
    assert "| 50 | " in table and "disjoint" in table and "overlap ≤ 100 rows (50%)" in table
    assert (out / filenames.CURVES_PNG).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_folds_and_families_give_different_models(curves):
    _, _, result = curves
    p = result.curves.point("wide", 50)
    # AUCs, not accuracies: on 180 test jets two models can tie on accuracy by chance, not on every AUC
    assert p.folds[0].auc != p.folds[1].auc  # two training subsets (and initialisations), two models
    narrow, wide = result.curves.point("narrow", 200), result.curves.point("wide", 200)
    assert narrow.folds[0].auc != wide.folds[0].auc


def test_rerun_with_a_new_size_trains_only_the_new_cells(curves, monkeypatch):
    base, recipes, result = curves
    out = result.directory
    before = {p: p.read_bytes() for p in (out / filenames.CURVE_CELLS).rglob("*.json")}
    settings = SETTINGS.model_copy(update={"train_sizes": (50, 100, 200)})
    calls = []
    real = curve_cell.train_cell
    monkeypatch.setattr(curve_cell, "train_cell", lambda job: calls.append(job.train_size) or real(job))
    again = run_train_size_curves(recipes[:1], settings, out, progress=False)  # one family: 2 new cells
    assert (again.trained, again.reused) == (2, 4) and sorted(calls) == [100] * 2
    assert all(p.read_bytes() == data for p, data in before.items())  # finished cells are kept as they were
    assert again.curves.train_sizes == (50, 100, 200) and list(again.curves.families) == ["wide"]


def test_an_interrupted_run_leaves_only_finished_cells_and_resumes(tmp_path, tiny_jets, monkeypatch):
    recipes = [_recipe(tmp_path, tiny_jets, "solo", [8])]
    settings = SETTINGS.model_copy(update={"train_sizes": (50,)})
    real = curve_cell.train_cell
    calls = []

    def dies_on_second(job):
        calls.append(job.key)
        if len(calls) == 2:
            raise KeyboardInterrupt  # as Ctrl-C in the middle of the second training
        return real(job)

    monkeypatch.setattr(curve_cell, "train_cell", dies_on_second)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run_train_size_curves(recipes, settings, out, progress=False)
    files = [p.name for p in out.rglob("*") if p.is_file()]
    assert sorted(p.name for p in (out / filenames.CURVE_CELLS).rglob("*.json")) == ["n50_fold1of2.json"]
    assert not [f for f in files if ".tmp" in f] and filenames.MANIFEST not in files
    partial = LearningCurves.load(out)
    assert partial.pending_cells == 1 and "Incomplete: 1 cell" in (out / filenames.CURVES_MD).read_text()
    monkeypatch.setattr(curve_cell, "train_cell", real)
    done = run_train_size_curves(recipes, settings, out, progress=False)
    assert (done.trained, done.reused, done.curves.pending_cells) == (1, 1, 0)
    assert (out / filenames.MANIFEST).is_file()


def test_a_directory_made_with_other_settings_is_refused(curves, tiny_jets):
    base, recipes, result = curves
    changed = [_recipe(base, tiny_jets, "wide", [32]), recipes[1]]  # same name, another model
    with pytest.raises(InvalidInputError, match="trained with other settings") as err:
        run_train_size_curves(changed, SETTINGS, result.directory, progress=False)
    assert "another --out" in str(err.value)


def test_an_edited_cell_is_refused(tmp_path, curves):
    _, recipes, result = curves
    cell = next((result.directory / filenames.CURVE_CELLS / "wide").glob("n50_*.json"))
    doc = json.loads(cell.read_text())
    doc["result"]["accuracy"] = 0.99
    edited = tmp_path / cell.name
    edited.write_text(json.dumps(doc))
    with pytest.raises(InvalidInputError, match="content hash"):
        CurveCell.load(edited)


def test_bad_input_is_one_line_with_the_fix(tmp_path, tiny_jets):
    a = _recipe(tmp_path, tiny_jets, "a", [4])
    with pytest.raises(InvalidInputError, match=r"--train-sizes 301: larger than the training split \(300 jets\)"):
        run_train_size_curves([a], SETTINGS.model_copy(update={"train_sizes": (301,)}), tmp_path / "x",
                              progress=False)
    other = _recipe(tmp_path, tiny_jets, "b", [4], test_fraction=0.4)
    with pytest.raises(InvalidInputError, match=r"different test jets \(data.test_fraction differ\)"):
        run_train_size_curves([a, other], SETTINGS, tmp_path / "y", progress=False)
    with pytest.raises(InvalidInputError, match="more than once"):
        run_train_size_curves([a, a], SETTINGS, tmp_path / "z", progress=False)
    raw = yaml.safe_load((tmp_path / "a.yml").read_text())
    raw["model"]["family"] = "dense_mlp"
    (tmp_path / "bad.yml").write_text(yaml.safe_dump(raw))
    from edgenn.api import compare

    with pytest.raises(ConfigError, match="dense_mlp"):
        compare(tmp_path / "bad.yml", train_sizes="50", folds=2)
    with pytest.raises(ConfigError, match="folds"):
        compare(tmp_path / "a.yml", train_sizes="50", folds=1)
    with pytest.raises(InvalidInputError, match="does not take --seeds"):
        compare(tmp_path / "a.yml", train_sizes="50", seeds=3)


@pytest.mark.slow
def test_two_worker_processes_train_every_cell(tmp_path, tiny_jets):
    recipes = [_recipe(tmp_path, tiny_jets, "solo", [8])]
    settings = SETTINGS.model_copy(update={"train_sizes": (50, 100)})
    result = run_train_size_curves(recipes, settings, tmp_path / "out", workers=2, progress=False)
    assert (result.trained, result.curves.pending_cells) == (4, 0)
    assert all(len(p.folds) == 2 and len({f.fold for f in p.folds}) == 2 for p in result.curves.points)
