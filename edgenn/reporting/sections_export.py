"""The export page's own sections: numerical profile, bit-exactness, resources, ONNX check and budget.

Same contract as ``sections``: ``Sources`` in, an HTML ``<section>`` out, never raising for missing inputs.
"""

from __future__ import annotations


import numpy as np

import edgenn.filenames as filenames
from edgenn.reporting.html import esc, img, missing, note, section, table
from edgenn.reporting.numbers import fmt, pct
from edgenn.reporting.sections import csim_outputs, figure_table, figure_value, stage_outputs
from edgenn.reporting.sources import CSIM_OUTPUTS, Sources


# ----- numerical profile -------------------------------------------------------------------------------------------
def numerical_profile(src: Sources) -> str:
    from edgenn.reporting.figures import ProfileRow, numerical_profile as plot

    title = "Numerical profile per layer (values vs fixed-point types)"
    report = src.export_report("fpga")
    precision = typed_section(src, report, "precision")
    if precision is None:
        return section("profile", title, missing("per-layer fixed-point types (report.json 'precision')",
                                                 f"run `edgenn export runs/{src.name} --target fpga`"))
    stage = src.model_stage()
    outputs = stage_outputs(src, stage) if stage else None
    if outputs is None:
        where = src.stage_dirs.get(stage) if stage else None
        return section("profile", title, _precision_table(precision) + missing(
            f"the model stage's saved layer outputs ({where / filenames.OUTPUTS if where else 'no model stage found'})",
            src.problems.get(str(where / filenames.OUTPUTS)) if where else
            f"keep runs/{src.name} where the export recorded it ({report.lineage.get('model_dir', '?')})"))

    def typed(label, values, fp) -> ProfileRow:
        return ProfileRow(label, np.asarray(values), fp.type, fp.lsb, fp.min, fp.max)

    weight_rows, act_rows = [], []
    if precision.input is not None:
        act_rows.append(typed(f"input ({precision.input_name or 'input'})", outputs.x, precision.input))
    for layer in precision.layers:
        for key in ("weight", "bias"):
            if key in layer.types and key in outputs.weights.get(layer.name, {}):
                weight_rows.append(typed(f"{layer.name} {key}", outputs.weights[layer.name][key], layer.types[key]))
        if layer.name in outputs.layers and "result" in layer.types:
            act_rows.append(typed(f"{layer.name} ({layer.class_name or '?'})", outputs.layers[layer.name],
                                  layer.types["result"]))
    body = (f"<p>Weights and biases as the layers compute with them; activations measured on {len(outputs.y):,} "
            f"test {src.task().data_kind} through the {esc(stage)} model (saved by the stage). Grey: the range a "
            f"value can take in its firmware type (from one lsb to the largest magnitude). Overflow: a value outside "
            f"[min, max] of its type; underflow: a non-zero value smaller than one lsb.</p>")
    body += img(plot({"weights and biases": weight_rows, "activations (layer outputs)": act_rows}),
                "numerical profile")
    rows = []
    for r in weight_rows + act_rows:
        s = r.stats()
        risk = "overflow" if s.get("overflow", 0) > 0 else "underflow" if s.get("underflow", 0) > 0 else "ok"
        rows.append((r.label, r.type_name or "n/a", f"[{fmt(s['observed_min'])}, {fmt(s['observed_max'])}]",
                     f"[{fmt(r.min)}, {fmt(r.max)}]" if r.has_type else "n/a", fmt(r.lsb),
                     f"{s['num_zero'] / max(1, s['num_values']):.1%}", pct(s.get("overflow")),
                     pct(s.get("underflow")), f"<span class='{'pass' if risk == 'ok' else 'fail'}'>{risk}</span>"))
    body += table(["tensor", "firmware type", "observed [min, max]", "type [min, max]", "lsb", "zeros", "overflow",
                   "underflow", "risk"], rows, raw_columns={8})
    return section("profile", title, body)


def typed_section(src: Sources, report, name: str):
    """``report``'s typed ``name`` section (``records.export_sections``); None if absent, or malformed (then the
    one-line reason is kept in ``src.problems``)."""
    from edgenn.errors import EdgennError

    if report is None:
        return None
    try:
        return getattr(report, name)
    except EdgennError as exc:
        src.problems[f"report.json ({report.target}) {name}"] = str(exc)
        return None


def _precision_table(precision) -> str:
    rows = [(layer.name, key, fp.type or "?", fmt(fp.lsb), fmt(fp.min), fmt(fp.max))
            for layer in precision.layers for key, fp in layer.types.items()]
    return table(["layer", "tensor", "type", "lsb", "min", "max"], rows)


# ----- bit-exactness -----------------------------------------------------------------------------------------------
def bit_exactness(src: Sources) -> str:
    from edgenn.reporting.figures import abs_diff_histogram

    title = "Bit-exactness: firmware C simulation vs software model"
    report = src.export_report("fpga")
    b = report.bitexact if report is not None else None
    if b is None:
        return section("bitexact", title, missing("bit-exactness results (report.json 'bitexact')",
                                                  f"run `edgenn export runs/{src.name} --target fpga`"))
    ok = b.bit_exact
    body = f"<p><b>{esc(b.claim)}</b></p>"
    if b.compared:
        body += f"<p>Compared: {esc(b.compared)}.</p>"
    body += (f"<p class='big {'pass' if ok else 'fail'}'>exact fraction {pct(b.exact_fraction)} of "
             f"{fmt(b.num_values)} logit values on {fmt(b.num_samples)} samples</p>")
    rows = [(o.name, o.label, fmt(o.num_values), pct(o.exact_fraction), fmt(o.max_abs_diff), pct(o.argmax_agreement))
            for o in b.outputs]
    body += table(["output", "comparison", "values", "exact", "max |Δ|", "argmax agreement"], rows)
    first = b.first_diverging_layer
    body += f"<p>First diverging layer: <b>{esc(first) if first else 'none (every traced layer agrees)'}</b></p>"
    csim = csim_outputs(src)
    diffs = {}
    if csim is not None:
        for out in ("logits", "output"):
            if f"{out}_firmware" in csim and f"{out}_reference" in csim:
                diffs[out] = csim[f"{out}_firmware"].astype(np.float64) - csim[f"{out}_reference"].astype(np.float64)
    if diffs:
        body += "<h3>Histogram of |Δ| per value</h3>" + img(abs_diff_histogram(diffs), "|Δ| histogram")
    else:
        body += missing(f"per-value outputs for the |Δ| histogram ({CSIM_OUTPUTS} in the export directory)",
                        "re-export with an edgenn that saves them: `edgenn export runs/<name> --target fpga`")
    for n in b.notes:
        body += note(n)
    return section("bitexact", title, body)


# ----- resources ---------------------------------------------------------------------------------------------------
def resources(src: Sources) -> str:
    from edgenn.reporting.figures import resource_bars

    title = "Resources and latency per layer"
    res = typed_section(src, src.export_report("fpga"), "resources")
    if res is None:
        return section("resources", title, missing("resource estimates (report.json 'resources')",
                                                   f"run `edgenn export runs/{src.name} --target fpga`"))
    keys = ("lut", "ff", "dsp", "bram", "latency_cycles", "ii_cycles", "latency_ns")
    body = (f"<p>Part {esc(res.part or '?')}, clock period {fmt(res.clock_period_ns)} ns. "
            f"Every figure carries the method that produced it; 'analytic' is an estimate, not synthesis.</p>")
    if res.layers:
        body += img(resource_bars(res.layers), "resources per layer")
    rows = [[layer.name] + [_cell(layer.figures.get(k)) for k in keys]
            for layer in res.layers + ((res.total,) if res.total else ())]
    body += table(["layer"] + [k for k in keys], rows)
    lut = res.total.figures.get("lut") if res.total else None
    if lut is not None and lut.interval_note:
        body += note(f"Total in brackets: the 90 % interval on the real figure ({lut.interval_note}, measured against "
                     "real HLS synthesis, docs/estimates.md). '≥' marks a lower bound: a layer the model does not "
                     "describe was counted as zero.")
    for a in res.assumptions:
        body += note(a)
    return section("resources", title, body)


def _cell(fig) -> str:
    return "n/a" if fig is None else f"{figure_value(fig)} ({fig.method})"


# ----- ONNX --------------------------------------------------------------------------------------------------------
def onnx(src: Sources) -> str:
    report = src.export_report("onnx")
    title = "ONNX export"
    if report is None:
        return section("onnx", title, missing("ONNX export report",
                                              f"run `edgenn export runs/{src.name} --target onnx`"))
    body = ""
    o = typed_section(src, report, "onnx")
    if o is not None:
        ok = o.passed
        body += (f"<p>onnxruntime vs Keras on {fmt(o.num_samples)} samples: max |Δ| = "
                 f"{fmt(o.max_abs_diff)} (tolerance {fmt(o.tolerance)}), argmax agreement "
                 f"{pct(o.argmax_agreement)}: <span class='{'pass' if ok else 'fail'}'>"
                 f"{'pass' if ok else 'FAIL'}</span>.</p>")
    if report.figures:
        body += figure_table(report.figures)
    return section("onnx", title, body or missing("'onnx' section of the ONNX report", "re-run the ONNX export"))


# ----- budget ------------------------------------------------------------------------------------------------------
def budget(src: Sources) -> str:
    title = "Budget"
    report = src.export_report("fpga") or src.export_report()
    if src.budget_path is None:
        return section("budget", title, missing(
            "budget file", f"write firmware/budgets/{src.name}.yml or run `edgenn report {src.target} --budget FILE`"))
    from edgenn.config.load import load_budget
    from edgenn.errors import EdgennError
    from edgenn.verification.budget import check_figures

    try:
        spec = load_budget(src.budget_path)
    except EdgennError as exc:
        return section("budget", title, missing(f"a valid budget ({exc.message if hasattr(exc, 'message') else exc})",
                                                f"fix {src.budget_path}"))
    check = check_figures(report.figures if report is not None else {}, spec, source=str(src.budget_path))
    rows = [(l.figure, l.limit, fmt(l.value), l.unit or "", l.method or "",
             f"<span class='{'pass' if l.passed else 'fail'}'>{'pass' if l.passed else 'FAIL'}</span>", l.reason)
            for l in check.lines]
    verdict = "pass" if check.passed else "fail"
    body = (f"<p class='big {verdict}'>{esc(str(src.budget_path))}: {verdict.upper()} "
            f"({sum(l.passed for l in check.lines)}/{len(check.lines)} lines)</p>")
    body += table(["figure", "limit", "value", "unit", "method", "result", "reason"], rows, raw_columns={5})
    return section("budget", title, body)
