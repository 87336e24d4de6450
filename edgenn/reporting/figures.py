"""The report's own plots (the ones no stage directory already holds), each returned as PNG bytes to be inlined.

Every function takes plain numbers (numpy arrays, dicts read from report.json) and returns PNG bytes; none reads or
writes files, so a page can be rebuilt from what is on disk without touching the stage directories. Style: labelled
axes with units, legends, ticks on all four sides pointing in (the HEP look, without mplhep), and layouts sized from the
number of rows so labels never overlap.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from edgenn.training.anomaly_metrics import BUNCH_CROSSING_KHZ  # a background FPR f is a rate f x 40 MHz

# The look of HEP plots (ROOT / mplhep) reproduced with plain rcParams: inward ticks on all sides, minor ticks.
_STYLE = {
    "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8, "legend.frameon": False,
    "xtick.direction": "in", "ytick.direction": "in", "xtick.top": True, "ytick.right": True,
    "xtick.minor.visible": True, "ytick.minor.visible": True, "axes.grid": False,
}
_DPI = 100


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    plt = _plt()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _styled(fn):
    def wrapper(*args, **kwargs):
        import matplotlib

        with matplotlib.rc_context(_STYLE):
            return fn(*args, **kwargs)

    wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
    return wrapper


# ----- dataset ---------------------------------------------------------------------------------------------------
@_styled
def feature_distributions(features: np.ndarray, labels: np.ndarray, class_names: Sequence[str],
                          feature_names: Sequence[str], *, num_columns: int = 4) -> bytes:
    """Normalised histograms of every feature, one step line per class; x range = 0.5-99.5 % quantiles."""
    plt = _plt()
    num = len(feature_names)
    rows = max(1, -(-num // num_columns))
    fig, axes = plt.subplots(rows, num_columns, figsize=(3.0 * num_columns, 2.3 * rows), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, ax in enumerate(axes.ravel()):
        if i >= num:
            ax.set_visible(False)
            continue
        col = features[:, i]
        lo, hi = np.nanquantile(col, [0.005, 0.995])
        if not hi > lo:
            lo, hi = lo - 0.5, hi + 0.5
        bins = np.linspace(lo, hi, 31)
        for k, name in enumerate(class_names):
            values = col[labels == k]
            if values.size:
                ax.hist(np.clip(values, lo, hi), bins=bins, density=True, histtype="step", lw=1.2,
                        color=colors[k % len(colors)], label=name)
        ax.set_xlabel(feature_names[i] + " (raw units)", fontsize=8)
        ax.set_ylabel("density (a.u.)", fontsize=8)
        ax.tick_params(labelsize=7)
    handles, names = axes.ravel()[0].get_legend_handles_labels()
    fig.legend(handles, [f"{n} jets" for n in names], loc="upper center", ncol=len(names),
               bbox_to_anchor=(0.5, 1.0 + 0.12 / rows))
    fig.tight_layout()
    return _png(fig)


# ----- ROC ---------------------------------------------------------------------------------------------------------
@_styled
def roc_overlay(curves: Mapping[str, Mapping[str, tuple[np.ndarray, np.ndarray]]]) -> bytes:
    """Background rejection 1/eps_B vs signal efficiency eps_S, log y; ``curves``: model -> signal -> (eps_S, eps_B).

    One colour per signal class, one line style per model (e.g. float solid, compressed dashed, firmware dotted).
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.0, 4.6))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    styles = ["-", "--", ":", "-."]
    signals = sorted({s for per_model in curves.values() for s in per_model})
    for m, (model, per_signal) in enumerate(curves.items()):
        for signal, (eps_s, eps_b) in per_signal.items():
            ok = np.asarray(eps_b) > 0
            ax.plot(np.asarray(eps_s)[ok], 1.0 / np.asarray(eps_b)[ok], styles[m % len(styles)],
                    color=colors[signals.index(signal) % len(colors)], lw=1.4, label=f"{signal} vs q+g, {model}")
    ax.set_yscale("log")
    ax.set_xlim(0, 1)
    ax.set_xlabel(r"signal efficiency $\varepsilon_S$")
    ax.set_ylabel(r"background rejection $1/\varepsilon_B$ (q+g)")
    ax.grid(True, which="major", alpha=0.25)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return _png(fig)


# ----- numerical profile -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProfileRow:
    """Values of one tensor (a layer's weights, biases or outputs) and the fixed-point type that must carry them."""

    label: str
    values: np.ndarray
    type_name: str | None = None  # e.g. "ap_fixed<8,3,AP_RND_CONV,AP_SAT>"
    lsb: float | None = None
    min: float | None = None
    max: float | None = None

    @property
    def has_type(self) -> bool:
        return self.lsb is not None and self.min is not None and self.max is not None

    def stats(self) -> dict:
        """Counts that decide the risk: overflow = outside [min, max]; underflow = 0 < |x| < lsb (lost entirely)."""
        v = np.asarray(self.values, dtype=np.float64).ravel()
        out = {"num_values": int(v.size), "num_zero": int(np.sum(v == 0)),
               "observed_min": float(v.min()) if v.size else float("nan"),
               "observed_max": float(v.max()) if v.size else float("nan")}
        if self.has_type and v.size:
            out["overflow"] = float(np.mean((v > self.max) | (v < self.min)))
            out["underflow"] = float(np.mean((v != 0) & (np.abs(v) < self.lsb)))
        return out


@_styled
def numerical_profile(panels: Mapping[str, Sequence[ProfileRow]]) -> bytes:
    """hls4ml-style profile: per row a box plot of |x| (log x) over the grey band [lsb, max|type|] of its type.

    Values beyond the type's range are drawn as red crosses (overflow), non-zero values below one lsb as orange dots
    (underflow: they round away). Zeros (pruned weights, dead ReLUs) cannot sit on a log axis; the table beside the
    plot counts them. ``panels``: title -> rows, drawn side by side.
    """
    plt = _plt()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    panels = {k: list(v) for k, v in panels.items() if v}
    num_rows = max((len(v) for v in panels.values()), default=1)
    fig, axes = plt.subplots(1, max(1, len(panels)), figsize=(5.4 * max(1, len(panels)), 0.9 + 0.42 * num_rows),
                             squeeze=False)
    for ax, (title, rows) in zip(axes[0], panels.items()):
        positions = np.arange(len(rows))[::-1]
        all_abs = []
        for y, row in zip(positions, rows):
            v = np.abs(np.asarray(row.values, dtype=np.float64).ravel())
            nz = v[v > 0]
            if row.has_type:
                top = max(abs(row.min), abs(row.max))
                ax.barh(y, top - row.lsb, left=row.lsb, height=0.8, color="0.85", zorder=0)
                all_abs += [row.lsb, top]
            if nz.size:
                all_abs += [nz.min(), nz.max()]
                ax.boxplot(nz, positions=[y], vert=False, widths=0.5, whis=(0, 100), showfliers=False,
                           medianprops={"color": "tab:blue"}, boxprops={"color": "tab:blue"},
                           whiskerprops={"color": "tab:blue"}, capprops={"color": "tab:blue"}, manage_ticks=False)
                if row.has_type:
                    raw = np.asarray(row.values, dtype=np.float64).ravel()
                    over = np.abs(raw[(raw > row.max) | (raw < row.min)])
                    under = nz[nz < row.lsb]
                    if over.size:
                        ax.plot(np.unique(over)[:200], np.full(min(200, np.unique(over).size), y), "x",
                                color="tab:red", ms=5, zorder=3)
                    if under.size:
                        ax.plot(np.unique(under)[:200], np.full(min(200, np.unique(under).size), y), ".",
                                color="tab:orange", ms=4, zorder=3)
        ax.set_yticks(positions, [r.label for r in rows], fontsize=8)
        ax.set_ylim(-0.6, len(rows) - 0.4)
        ax.set_xscale("log", base=2)
        if all_abs:
            lo, hi = min(all_abs), max(all_abs)
            ax.set_xlim(lo / 2, hi * 2)
        ax.set_xlabel("|value| (dimensionless, log2 scale)")
        ax.set_title(title)
        ax.tick_params(axis="y", which="minor", left=False, right=False)
    handles = [Patch(color="0.85", label="fixed-point range [lsb, max]"),
               Line2D([], [], color="tab:blue", label="observed |x| (box: quartiles, whiskers: min/max)"),
               Line2D([], [], ls="", marker="x", color="tab:red", label="overflow (outside [min, max])"),
               Line2D([], [], ls="", marker=".", color="tab:orange", label="underflow (0 < |x| < lsb)")]
    fig.legend(handles=handles, loc="lower center", ncol=2, bbox_to_anchor=(0.5, 1.0))
    fig.tight_layout()
    return _png(fig)


# ----- bit-exactness ---------------------------------------------------------------------------------------------
@_styled
def abs_diff_histogram(diffs: Mapping[str, np.ndarray]) -> bytes:
    """Histogram of |firmware - reference| per output; exact zeros get their own bar left of the log-spaced bins."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    all_nz = np.concatenate([np.abs(np.asarray(d, dtype=np.float64)).ravel() for d in diffs.values()] or [np.zeros(0)])
    all_nz = all_nz[all_nz > 0]
    lo = float(all_nz.min()) if all_nz.size else 2.0**-12
    hi = float(all_nz.max()) if all_nz.size else 1.0
    edges = np.geomspace(lo / 1.5, hi * 1.5, 31)
    zero_x = edges[0] / 4  # where the "exactly 0" bar sits, left of the log bins
    width = len(diffs)
    for i, (name, d) in enumerate(diffs.items()):
        a = np.abs(np.asarray(d, dtype=np.float64)).ravel()
        color = colors[i % len(colors)]
        ax.hist(a[a > 0], bins=edges, histtype="step", lw=1.4, color=color,
                label=f"{name}: {np.mean(a == 0):.2%} exact, max {a.max() if a.size else 0:.3g}")
        ax.bar(zero_x * (1.15 ** (i - (width - 1) / 2)), np.sum(a == 0), width=zero_x * 0.12, color=color, alpha=0.6)
    ax.axvline(edges[0] / 1.6, color="0.5", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(zero_x / 1.6, edges[-1] * 1.2)
    ticks = [zero_x] + [t for t in ax.get_xticks() if edges[0] <= t <= edges[-1]]
    ax.set_xticks(ticks, ["0"] + [f"$10^{{{int(round(np.log10(t)))}}}$" for t in ticks[1:]])
    ax.set_xlabel("|firmware - software| (output units; bar at 0 = bit-exact values)")
    ax.set_ylabel("values")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return _png(fig)


# ----- resources -------------------------------------------------------------------------------------------------
RESOURCE_KEYS = ("lut", "ff", "dsp", "bram")


@_styled
def resource_bars(layers: Sequence, *, keys: Sequence[str] = RESOURCE_KEYS) -> bytes:
    """Per-layer bars: one panel per resource plus latency (cycles); each panel names the method of its figures.

    ``layers``: the export's per-layer estimates (``records.export_sections.LayerResources``: name, key -> figure).
    """
    plt = _plt()
    keys = [k for k in keys if any(k in l.figures for l in layers)] + ["latency_cycles"]
    names = [l.name for l in layers]
    fig, axes = plt.subplots(1, len(keys), figsize=(2.6 * len(keys), 0.9 + 0.35 * max(2, len(names))), sharey=True,
                             squeeze=False)
    positions = np.arange(len(names))[::-1]
    for ax, key in zip(axes[0], keys):
        found = [l.figures[key] for l in layers if key in l.figures]
        values = [np.nan if key not in l.figures or l.figures[key].value is None else float(l.figures[key].value)
                  for l in layers]
        methods = sorted({f.method for f in found})
        unit = found[0].unit if found else ""
        ax.barh(positions, np.nan_to_num(values), color="tab:blue" if key != "latency_cycles" else "tab:green")
        ax.set_xlabel(f"{key.upper() if key in RESOURCE_KEYS else 'latency'} ({unit})")
        ax.set_title(f"method: {', '.join(methods) or 'n/a'}", fontsize=8)
        ax.tick_params(axis="y", which="minor", left=False, right=False)
        ax.margins(x=0.15)
    axes[0][0].set_yticks(positions, names, fontsize=8)
    fig.tight_layout()
    return _png(fig)


# ----- anomaly detection -------------------------------------------------------------------------------------------


@_styled
def score_distributions(groups: Mapping[str, np.ndarray], *, threshold: float | None = None,
                        threshold_label: str = "threshold") -> bytes:
    """Normalised histogram of the anomaly score per process (``groups``: name -> scores), log y."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    finite = np.concatenate([np.asarray(v, np.float64)[np.isfinite(v)] for v in groups.values()] or [np.zeros(0)])
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    bins = np.linspace(lo, hi if hi > lo else lo + 1.0, 51)
    for name, values in groups.items():
        v = np.asarray(values, np.float64)
        if v.size:
            ax.hist(v, bins=bins, histtype="step", density=True, lw=1.4, label=f"{name} ({v.size:,} events)")
    if threshold is not None:
        ax.axvline(threshold, color="k", ls="--", lw=1, label=threshold_label)
    ax.set_yscale("log")
    ax.set_xlabel("anomaly score (model units; higher = more anomalous)")
    ax.set_ylabel("events (normalised to unit area)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return _png(fig)


@_styled
def efficiency_vs_rate(curves: Mapping[str, Mapping[str, tuple[np.ndarray, np.ndarray]]], *,
                       target_fpr: float | None = None) -> bytes:
    """Signal efficiency vs background FPR (log x) with a secondary top axis in trigger rate (kHz out of 40 MHz).

    ``curves``: model -> signal -> (fpr, efficiency); one colour per signal, one line style per model.
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.2, 4.4))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    styles = ["-", "--", ":", "-."]
    signals = sorted({s for per in curves.values() for s in per})
    lo = 1.0
    for m, (model, per_signal) in enumerate(curves.items()):
        for signal, (fpr, eff) in per_signal.items():
            fpr, eff = np.asarray(fpr, np.float64), np.asarray(eff, np.float64)
            ok = fpr > 0
            if ok.any():
                lo = min(lo, float(fpr[ok].min()))
                ax.step(fpr[ok], eff[ok], styles[m % len(styles)], where="post", lw=1.4,
                        color=colors[signals.index(signal) % len(colors)], label=f"{signal}, {model}")
    if target_fpr is not None and target_fpr > 0:
        ax.axvline(target_fpr, color="0.3", ls="--", lw=1,
                   label=f"target FPR {target_fpr:.2g} ({target_fpr * BUNCH_CROSSING_KHZ:.3g} kHz)")
        lo = min(lo, target_fpr)
    ax.set_xscale("log")
    ax.set_xlim(lo / 2, 1.0)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("background acceptance (false-positive rate, fraction of SM events)")
    ax.set_ylabel(r"signal efficiency $\varepsilon_S$")
    top = ax.secondary_xaxis("top", functions=(lambda f: f * BUNCH_CROSSING_KHZ, lambda r: r / BUNCH_CROSSING_KHZ))
    top.set_xlabel("trigger rate (kHz, out of the 40 MHz bunch-crossing rate)")
    ax.tick_params(axis="x", which="both", top=False)  # the secondary axis carries the top ticks
    ax.grid(True, which="major", alpha=0.25)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return _png(fig)


@_styled
def student_vs_teacher(panels: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> bytes:
    """Student score vs the teacher's log reconstruction error, one panel per model (stage or firmware).

    ``panels``: label -> (teacher, student, background mask); background and signal events in two colours, the
    diagonal drawn (the student regresses the teacher's value, so perfect distillation lies on it).
    """
    plt = _plt()
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4.0), squeeze=False)
    for ax, (label, (teacher, student, background)) in zip(axes[0], panels.items()):
        teacher, student = np.asarray(teacher, np.float64), np.asarray(student, np.float64)
        background = np.asarray(background, bool)
        for mask, name, color in ((background, "SM background", "C0"), (~background, "signals", "C3")):
            if mask.any():
                ax.scatter(teacher[mask], student[mask], s=3, alpha=0.3, color=color, label=f"{name} ({mask.sum()})",
                           rasterized=True)
        both = np.r_[teacher, student]
        lo, hi = float(np.min(both)), float(np.max(both))
        ax.plot([lo, hi], [lo, hi], color="0.3", lw=1, ls="--", label="student = teacher")
        r = float(np.corrcoef(teacher, student)[0, 1]) if len(teacher) > 1 else float("nan")
        ax.set_title(f"{label}: r = {r:.3f}")
        ax.set_xlabel("teacher: log(reconstruction MSE)")
        ax.set_ylabel("student score")
        ax.legend(fontsize=7, markerscale=3)
    return _png(fig)


# ----- training history (when the stage saved history.json but no plot) ------------------------------------------
@_styled
def history(hist: Mapping[str, Sequence[float]]) -> bytes:
    """One panel per quantity (loss, accuracy, ...), train solid vs validation dashed, per epoch."""
    plt = _plt()
    keys = [k for k in hist if not k.startswith("val_") and isinstance(hist[k], Sequence) and len(hist[k])]
    fig, axes = plt.subplots(1, max(1, len(keys)), figsize=(4.2 * max(1, len(keys)), 3.2), squeeze=False)
    for ax, key in zip(axes[0], keys):
        epochs = np.arange(1, len(hist[key]) + 1)
        ax.plot(epochs, hist[key], "-", label="train")
        if isinstance(hist.get(f"val_{key}"), Sequence):
            ax.plot(np.arange(1, len(hist[f"val_{key}"]) + 1), hist[f"val_{key}"], "--", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key + (" (MSE + terms of the loss)" if key == "loss" else ""))
        ax.legend()
    fig.tight_layout()
    return _png(fig)


# ----- scan --------------------------------------------------------------------------------------------------------
@_styled
def pareto_front(points: Sequence[Mapping], front: Sequence[Mapping], *, quality: str, lut_method: str,
                 latency_method: str) -> bytes:
    """Quality vs LUT: every complete trial grey, the Pareto front coloured by latency (cycles), trial numbers."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    ax.scatter([p["lut"] for p in points], [p[quality] for p in points], s=18, c="0.75", label="all complete trials")
    if front:
        lat = [p.get("latency_cycles") for p in front]
        colour = all(isinstance(v, (int, float)) for v in lat)
        sc = ax.scatter([p["lut"] for p in front], [p[quality] for p in front], c=lat if colour else "tab:blue",
                        cmap="viridis" if colour else None, s=46, edgecolors="k", label="Pareto front", zorder=3)
        if colour:
            fig.colorbar(sc, ax=ax, label=f"latency (cycles, {latency_method})")
        for p in front:
            ax.annotate(str(p.get("trial", "")), (p["lut"], p[quality]), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
    ax.set_xlabel(f"LUT ({lut_method})")
    ax.set_ylabel(f"{quality} (validation split)")
    ax.grid(True, alpha=0.25)
    ax.legend(loc="lower right")
    return _png(fig)
