"""report.html of a training-set-size curve directory: read from the saved record and plot only.

The directory is written with the curve stage's own summary writer (``scan.curves.write_summary``) on fold results
made up here, so no model is trained; the page must show them as saved, and say what is missing when a piece is.
"""

from __future__ import annotations

import base64
import re

import edgenn.filenames as filenames
from edgenn.records.curves import CurvePoint, FoldResult, LearningCurves
from edgenn.reporting import write_report
from edgenn.reporting.html import png_size
from edgenn.scan.curves import write_summary

FOLDS = {("mlp", 100): (0.61, 0.63), ("mlp", 1000): (0.70, 0.71), ("sets", 100): (0.52, 0.58), ("sets", 1000): (0.66,)}


def _curves(pending: int = 1) -> LearningCurves:
    points = tuple(
        CurvePoint(name, size, tuple(FoldResult(k, size, 50, acc, {"q": 0.8, "t": 0.9}, 12 + k, True, 1.0)
                                     for k, acc in enumerate(accs)), 0 if size == 100 else 400)
        for (name, size), accs in FOLDS.items())
    return LearningCurves({"mlp": "dense", "sets": "deepsets"}, (100, 1000), 2, "accuracy", "data/jets", 7,
                          {"train": 1400, "val": 300, "test": 900}, {"max_epochs": 300, "patience": 6,
                                                                     "min_val_jets": 200}, points, pending)


def _section(html: str, name: str) -> str:
    return html.split(f'<section id="{name}">', 1)[1].split("</section>", 1)[0]


def test_page_shows_the_saved_table_and_plot(tmp_path):
    write_summary(tmp_path, _curves())
    html = write_report(tmp_path).read_text()
    body = _section(html, "curves")
    assert "0.6200 ± 0.0141" in body and "0.7050 ± 0.0071" in body  # mean ± std (ddof 1) of the saved folds
    assert "0.6600 (1 of 2 folds)" in body and "overlap ≤ 400 rows (40%)" in body and "disjoint" in body
    images = [base64.b64decode(b) for b in re.findall(r'base64,([A-Za-z0-9+/=]+)"', body)]
    assert len(images) == 1 and png_size(images[0])[0] > 100
    overview = _section(html, "overview")
    assert "1,400 / 300 / 900" in overview and "mlp (dense), sets (deepsets)" in overview
    assert 'class="missing">missing: 1 cell(s)' in overview


def test_missing_plot_and_broken_record_are_said_not_raised(tmp_path):
    write_summary(tmp_path, _curves(pending=0))
    (tmp_path / filenames.CURVES_PNG).unlink()
    html = write_report(tmp_path).read_text()
    assert "missing: " + str(tmp_path / filenames.CURVES_PNG) in _section(html, "curves")
    (tmp_path / filenames.CURVES).write_text((tmp_path / filenames.CURVES).read_text().replace("0.61", "0.91"))
    html = write_report(tmp_path).read_text()
    assert "content hash does not match" in _section(html, "problems")
    assert "missing: " in _section(html, "curves")
