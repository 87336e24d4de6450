"""The learning-curve table (Markdown, mean ± std over folds) and plot (metric vs training jets, log x, error bars,
one line per family), both drawn from the ``LearningCurves`` record only."""

from __future__ import annotations

import math
from pathlib import Path

from edgenn.records.curves import CurvePoint, LearningCurves


def metric_label(metric: str) -> str:
    return {"accuracy": "test accuracy", "mean_auc": "test mean one-vs-rest AUC"}.get(
        metric, f"test AUC {metric.removeprefix('auc.')} vs rest")


def cell_text(p: CurvePoint | None, metric: str, folds: int) -> str:
    if p is None or not p.folds:
        return "–"
    text = f"{p.mean(metric):.4f} ± {p.std(metric):.4f}" if len(p.folds) > 1 else f"{p.mean(metric):.4f}"
    return text if len(p.folds) == folds else f"{text} ({len(p.folds)} of {folds} folds)"


def overlap_text(curves: LearningCurves, size: int) -> str:
    shared = max((p.max_shared_rows for p in curves.points if p.train_size == size), default=0)
    if shared == 0:
        return "disjoint"
    return f"overlap ≤ {shared:,} rows ({shared / size:.0%})"


def epochs_text(curves: LearningCurves, size: int) -> str:
    runs = [f for p in curves.points if p.train_size == size for f in p.folds]
    if not runs:
        return "–"
    epochs = sorted(f.epochs_run for f in runs)
    capped = sum(not f.stopped_early for f in runs)
    text = f"{epochs[0]}–{epochs[-1]}" if epochs[0] != epochs[-1] else str(epochs[0])
    return text + (f" ({capped} at the {curves.settings.get('max_epochs')}-epoch ceiling)" if capped else "")


def markdown(curves: LearningCurves) -> str:
    names = list(curves.families)
    sizes = curves.split_sizes
    lines = [f"# {metric_label(curves.metric).capitalize()} vs training jets ({curves.folds} folds)", "",
             f"Dataset `{curves.dataset}`; test split {sizes.get('test', 0):,} jets (the same for every cell), "
             f"training split {sizes.get('train', 0):,}, validation split {sizes.get('val', 0):,} (split seed "
             f"{curves.split_seed}). Each cell: a stratified training subset of that size, a validation subset in "
             f"proportion (at least {curves.settings.get('min_val_jets')} jets) for early stopping (patience "
             f"{curves.settings.get('patience')}, ceiling {curves.settings.get('max_epochs')} epochs), the float "
             "model scored on the whole test split. mean ± std (ddof 1) over the folds.", "",
             "| training jets | " + " | ".join(f"{n} ({curves.families[n]})" for n in names)
             + " | training subsets of the folds | epochs run |",
             "|---:|" + "---|" * len(names) + "---|---|"]
    for size in curves.train_sizes:
        cells = [cell_text(curves.point(n, size), curves.metric, curves.folds) for n in names]
        lines.append(f"| {size:,} | " + " | ".join(cells) + f" | {overlap_text(curves, size)} | "
                     f"{epochs_text(curves, size)} |")
    if curves.pending_cells:
        lines += ["", f"**Incomplete: {curves.pending_cells} cell(s) not trained yet**; re-run the same command to "
                      "resume (finished cells are kept)."]
    return "\n".join(lines) + "\n"


def plot(curves: LearningCurves, path: Path) -> None:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from edgenn.io import atomic_write_bytes

    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    for name in curves.families:
        pts = [p for p in (curves.point(name, s) for s in curves.train_sizes) if p is not None and p.folds]
        if not pts:
            continue
        ys = [p.mean(curves.metric) for p in pts]
        errs = [p.std(curves.metric) if len(p.folds) > 1 else 0.0 for p in pts]
        ax.errorbar([p.train_size for p in pts], ys, yerr=[0.0 if math.isnan(e) else e for e in errs], marker="o",
                    capsize=3, label=f"{name} ({curves.families[name]})")
    ax.set_xscale("log")
    ax.set_xlabel("training jets")
    ax.set_ylabel(metric_label(curves.metric))
    ax.set_title(f"{curves.split_sizes.get('test', 0):,} test jets; error bars: std over {curves.folds} folds",
                 fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    atomic_write_bytes(Path(path), buf.getvalue())
