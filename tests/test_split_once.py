"""The split is drawn once, by a training stage, and every later stage reads the saved record (issue 12 item 1).

Read from the source with ast: every call that prepares a run's data (``prepared_data``, ``prepare_events``, a task's
``prepare``) outside the training stages passes the saved split (``split=``), and only the split's own preparers
draw one (``SplitRecord.draw``, ``stratified_split``).
"""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "edgenn"
PREPARERS = {"prepared_data", "prepare_events", "prepare"}
# where a split may be drawn, and why
TRAINING_STAGES = {
    "training/stage.py": "the train stage draws the split and saves it (splits.npz)",
    "scan/trial.py": "a scan trial is its own train stage: it draws, and saves the split with the trial's run",
    "scan/curves.py": "training-set-size curves are their own train stage: the recipe's split drawn once, as `edgenn "
                      "train` draws it, saved as splits.npz; every cell trains on rows of that record",
}
DRAWERS = {
    "splits.py": "SplitRecord.draw itself",
    "training/inputs.py": "prepare() draws only when given no split (the train stage's call)",
    "training/anomaly.py": "prepare_events() draws only when given no split (the train stage's call)",
    "scan/trial.py": "fold_data: K-fold comparisons re-split all rows on purpose (edgenn compare --folds)",
}


def _calls(pkg: Path = PKG):
    for path in sorted(pkg.rglob("*.py")):
        rel = path.relative_to(pkg).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                yield rel, node, name, func


def _unsplit(pkg: Path = PKG) -> list[str]:
    """Data preparations without the saved split, outside the training stages and the tasks' thin wrappers."""
    return [f"{rel}:{node.lineno}" for rel, node, name, _ in _calls(pkg)
            if name in PREPARERS and rel not in TRAINING_STAGES and not rel.startswith("tasks/")
            and not any(k.arg == "split" for k in node.keywords)]


def test_later_stages_prepare_data_on_the_saved_split():
    unsplit = _unsplit()
    assert not unsplit, "these re-derive the split instead of reading the saved record:\n" + "\n".join(unsplit)


def test_only_the_split_preparers_draw_a_split():
    drawn = [f"{rel}:{node.lineno}" for rel, node, name, func in _calls()
             if (name == "stratified_split" or (name == "draw" and isinstance(func, ast.Attribute)
                                                 and getattr(func.value, "id", "") == "SplitRecord"))
             and rel not in DRAWERS]
    assert not drawn, "a split drawn outside its preparers:\n" + "\n".join(drawn)


def test_the_guard_sees_a_re_split(tmp_path):
    """The scan finds a consumer that prepares data without the saved split (so the tests above can fail)."""
    module = tmp_path / "edgenn" / "reporting"
    module.mkdir(parents=True)
    (module / "plots.py").write_text("def f(a):\n    return prepared_data(a.recipe, standardizer=None)\n"
                                     "def g(a):\n    return prepared_data(a.recipe, split=a.split())\n")
    assert _unsplit(tmp_path / "edgenn") == ["reporting/plots.py:2"]
