"""Scan outputs from the study: trials table (CSV, plus Parquet when pyarrow is installed), Pareto table and plot.

Rows are rebuilt from the study each time, so the files always match ``study.db``, including after a resume.
A hardware figure appears with its method (``lut`` and ``lut_method``); quality figures are validation-split values
(``accuracy``) beside the test-split ones (``test_accuracy``).
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

from edgenn.config.scan import ScanSpace
from edgenn.io import atomic_write_bytes, atomic_write_text
from edgenn.scan.objectives import directions, objective_values, pareto_indices

TRIALS_CSV = "trials.csv"
TRIALS_PARQUET = "trials.parquet"
PARETO_CSV = "pareto.csv"
PARETO_PNG = "pareto.png"
HARDWARE = ("lut", "ff", "dsp", "bram", "latency_cycles", "ii_cycles", "latency_ns")


def trial_rows(study, space: ScanSpace, exports: dict[int, dict] | None = None) -> list[dict[str, Any]]:
    exports = exports or {}
    rows = []
    for t in study.get_trials(deepcopy=False):
        figs = t.user_attrs.get("figures", {})
        row: dict[str, Any] = {"trial": t.number, "state": t.state.name}
        row.update({f"param.{k}": v for k, v in sorted(t.params.items())})
        if figs:
            row.update({f"objective.{n}": v for n, v in zip(space.objectives, objective_values(figs, space))})
        for name, fig in sorted(figs.items()):
            row[name] = fig["value"]
            if name in HARDWARE:
                row[f"{name}_method"] = fig["method"]
        for name, fig in sorted(t.user_attrs.get("prior_figures", {}).items()):
            if name in ("lut", "dsp", "latency_cycles"):
                row[f"prior_{name}"] = fig["value"]
        row["feasible"] = t.user_attrs.get("feasible")
        row["violated"] = ";".join(t.user_attrs.get("violated", ()))
        row["bit_exact_expected"] = t.user_attrs.get("bit_exact_expected")
        row["bit_exact"] = exports.get(t.number, {}).get("bit_exact")
        row["seconds"] = t.user_attrs.get("seconds", {}).get("total")
        row["run_dir"] = t.user_attrs.get("run_dir")
        row["note"] = t.user_attrs.get("error") or t.user_attrs.get("pruned_reason") or \
            ("interrupted; re-run" if t.state.name == "FAIL" else "")
        rows.append(row)
    return rows


def pareto_rows(rows: list[dict[str, Any]], space: ScanSpace) -> list[dict[str, Any]]:
    """Non-dominated complete, feasible trials, best first by the first maximised objective (else the first one)."""
    cols = [f"objective.{n}" for n in space.objectives]
    cand = [r for r in rows if r["state"] == "COMPLETE" and r.get("feasible") is not False
            and all(isinstance(r.get(c), (int, float)) and math.isfinite(r[c]) for c in cols)]
    dirs = directions(space)
    front = [cand[i] for i in pareto_indices([[r[c] for c in cols] for r in cand], dirs)]
    key = next((i for i, d in enumerate(dirs) if d == "maximize"), 0)
    sign = -1.0 if dirs[key] == "maximize" else 1.0
    return sorted(front, key=lambda r: (sign * r[cols[key]], r["trial"]))


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    cols: list[str] = []
    for r in rows:
        cols.extend(k for k in r if k not in cols)
    return cols


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=_columns(rows) or ["trial"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, buf.getvalue())


def write_parquet(path: Path, rows: list[dict[str, Any]]) -> bool:
    """Parquet copy of the table when pyarrow is installed (it comes with ``edgenn[scan]``); False otherwise."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return False
    cols = _columns(rows)
    table = pa.table({c: [r.get(c) for r in rows] for c in cols}) if rows else pa.table({"trial": []})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    atomic_write_bytes(path, sink.getvalue().to_pybytes())
    return True


def plot_pareto(path: Path, rows: list[dict[str, Any]], front: list[dict[str, Any]], space: ScanSpace) -> None:
    """Quality vs LUT for every complete trial (grey) and the Pareto front coloured by latency in cycles."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    quality = next((o for o in space.objectives if o == "accuracy" or o.startswith("auc.")), "accuracy")
    done = [r for r in rows if r["state"] == "COMPLETE" and isinstance(r.get("lut"), (int, float))]
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    ax.scatter([r["lut"] for r in done], [r.get(quality) for r in done], s=18, c="0.75", label="all trials")
    if front:
        sc = ax.scatter([r["lut"] for r in front], [r.get(quality) for r in front],
                        c=[r.get("latency_cycles") for r in front], cmap="viridis", s=46, edgecolors="k",
                        label="Pareto front")
        fig.colorbar(sc, ax=ax, label="latency (cycles, analytic)")
        for r in front:
            ax.annotate(str(r["trial"]), (r["lut"], r.get(quality)), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
    ax.set_xlabel("LUT (analytic estimate)")
    ax.set_ylabel(f"{quality} (validation split)")
    ax.set_title(f"Scan: {len(done)} trials, Pareto over {', '.join(space.objectives)}", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def pareto_markdown(front: list[dict[str, Any]], space: ScanSpace) -> str:
    params = sorted({k for r in front for k in r if k.startswith("param.")})
    cols = ["trial", *params, "accuracy", "test_accuracy", "lut", "dsp", "ff", "latency_cycles"]
    lines = ["| " + " | ".join(c.removeprefix("param.") for c in cols) + " |", "|" + "---|" * len(cols)]
    for r in front:
        cells = []
        for c in cols:
            v = r.get(c)
            cells.append(f"{v:g}" if isinstance(v, float) and c.startswith("param.") else
                         f"{v:.4f}" if isinstance(v, float) and c.endswith("accuracy") else
                         f"{v:,.0f}" if isinstance(v, float) else str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
