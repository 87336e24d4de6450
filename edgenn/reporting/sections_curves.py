"""Report sections for a training-set-size curve directory (``edgenn compare ... --train-sizes``): what was trained
on what, the saved plot, and the table of mean ± std over folds. Read from the saved ``curves.json`` record and
``curves.png`` only; nothing is re-trained or re-drawn from models."""

from __future__ import annotations

import edgenn.filenames as filenames
from edgenn.reporting.curve_tables import cell_text, epochs_text, metric_label, overlap_text
from edgenn.reporting.html import img_file, missing, note, section, table
from edgenn.reporting.numbers import fmt
from edgenn.reporting.sources import Sources

_RERUN = "re-run `edgenn compare RECIPE... --train-sizes N,N,... --folds K` with the same --out (it resumes)"


def _curves(src: Sources):
    from edgenn.errors import EdgennError
    from edgenn.records.curves import LearningCurves

    key = "curves"
    if key not in src.memo:
        src.memo[key] = None
        try:
            src.memo[key] = LearningCurves.load(src.target)
        except EdgennError as exc:
            src.problems[str(src.target / filenames.CURVES)] = exc.message
    return src.memo[key]


def curves_overview(src: Sources) -> str:
    c = _curves(src)
    if c is None:
        return section("overview", "Training-set-size curves", missing(str(src.target / filenames.CURVES), _RERUN))
    rows = [("directory", str(src.target)), ("dataset", c.dataset),
            ("families", ", ".join(f"{n} ({f})" for n, f in c.families.items())),
            ("training jets per cell", ", ".join(f"{s:,}" for s in c.train_sizes)),
            ("folds (training subsets per size)", str(c.folds)),
            ("split (train / val / test jets)", " / ".join(f"{c.split_sizes.get(k, 0):,}" for k in
                                                            ("train", "val", "test"))),
            ("split seed", str(c.split_seed)),
            ("early stopping", f"patience {fmt(c.settings.get('patience'))}, ceiling "
                               f"{fmt(c.settings.get('max_epochs'))} epochs, validation subset >= "
                               f"{fmt(c.settings.get('min_val_jets'))} jets"),
            ("cells not trained yet", str(c.pending_cells))]
    body = table(["", ""], rows, header=False)
    body += note("Every cell scores its float model on the same test split; the folds of one size are stratified "
                 "training subsets of the split's training part, disjoint where it holds K times the size.")
    if c.pending_cells:
        body += missing(f"{c.pending_cells} cell(s)", _RERUN)
    return section("overview", "Training-set-size curves", body)


def curves_plot_and_table(src: Sources) -> str:
    c = _curves(src)
    title = "Accuracy vs training jets"
    if c is None:
        return section("curves", title, missing(str(src.target / filenames.CURVES), _RERUN))
    body = img_file(src.target / filenames.CURVES_PNG, f"{metric_label(c.metric)} vs training jets", _RERUN)
    headers = ["training jets", *(f"{n} ({f})" for n, f in c.families.items()), "folds' training subsets",
               "epochs run"]
    rows = [[f"{s:,}", *(cell_text(c.point(n, s), c.metric, c.folds) for n in c.families), overlap_text(c, s),
             epochs_text(c, s)] for s in c.train_sizes]
    body += f"<h3>{metric_label(c.metric).capitalize()}: mean ± std over {c.folds} folds</h3>" + table(headers, rows)
    return section("curves", title, body)


CURVE_SECTIONS = (curves_overview, curves_plot_and_table)
