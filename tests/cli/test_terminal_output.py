"""What a terminal (or a log file) gets: tables that fit 80 columns without cutting a cell, no colour codes when the
output is not a terminal or NO_COLOR is set, and progress bars only on stderr, only for a person watching.

`edgenn check` runs for real in a subprocess (it needs no TensorFlow, so it starts in about a second) on an export
report shaped like the fpga target's and the shipped jet_mlp budget, whose method lists made the limit column
overflow ("<= 100, by analytic|da4m…") before.
"""

from __future__ import annotations

import io
import json
import os
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from edgenn.cli import render
from edgenn.cli.common import progress_wanted
from edgenn_testing import write_export_report

ROOT = Path(__file__).resolve().parents[2]
EDGENN = Path(sys.executable).parent / "edgenn"
BUDGET = ROOT / "firmware" / "budgets" / "jet_mlp.yml"
COLOUR = re.compile(r"\x1b\[[0-9;]*(3[0-9]|4[0-9]|9[0-7]|10[0-7])(;[0-9;]*)?m")  # SGR codes that set a colour

# figures of an fpga export of the jet MLP (names, units, methods and intervals as the target writes them; the
# resource counts are those of the uncompressed float model, the widest numbers the table shows)
FIGURES = {
    "accuracy": {"value": 0.7412, "unit": "fraction", "method": "csim"},
    "accuracy_drop": {"value": 0.0031, "unit": "fraction", "method": "csim"},
    "auc.t": {"value": 0.9312, "unit": "fraction", "method": "csim"},
    "auc.W": {"value": 0.8120, "unit": "fraction", "method": "csim"},
    "bit_exact_fraction": {"value": 1.0, "unit": "fraction", "method": "csim"},
    "latency_ns": {"value": 45.0, "unit": "ns", "method": "analytic", "interval": [10.03, 150.4]},
    "ii_cycles": {"value": 1, "unit": "cycles", "method": "analytic"},
    "dsp": {"value": 3385, "unit": "count", "method": "analytic", "interval": [1480.2, 11877.0]},
    "lut": {"value": 170329.4, "unit": "count", "method": "analytic", "interval": [99410.7, 455425.1]},
}


def _export_dir(tmp: Path) -> Path:
    d = tmp / "firmware" / "jet_mlp" / "fpga"
    d.mkdir(parents=True)
    write_export_report(d, FIGURES)
    (d / "manifest.json").write_text("{}")
    return d


def _env(**extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "CI", "COLUMNS", "TERM")}
    return {**env, "COLUMNS": "80", "TERM": "xterm-256color", **extra}


def _check(tmp: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run([str(EDGENN), "check", str(_export_dir(tmp)), "--budget", str(BUDGET)], capture_output=True,
                          text=True, env=_env(**env), timeout=120)


def _in_a_terminal(argv: list[str], **env) -> str:
    """Run under a pseudo-terminal (stdout and stderr are a TTY) and return everything it printed."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=_env(**env), close_fds=True)
    os.close(slave)
    chunks = []
    while True:  # read while it runs: a full pty buffer would block the child
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            proc.kill()
            raise TimeoutError(argv)
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(master)
    return b"".join(chunks).decode(errors="replace")


def test_check_table_fits_80_columns_without_cutting_a_cell(tmp_path):
    res = _check(tmp_path)
    assert res.returncode == 1, res.stderr  # latency_ns and lut fail by their interval's upper end, dsp by its value
    out = res.stdout
    assert "…" not in out and "..." not in out
    assert max(len(line) for line in out.splitlines()) <= 80, out
    rows = {line.split()[0]: line for line in out.splitlines() if line.strip() and line.split()[0] in FIGURES}
    assert set(rows) == set(FIGURES), out  # every figure on one row, its name unbroken
    assert "<= 100 [a]" in rows["latency_ns"] and "<= 200 [a]" in rows["dsp"]  # same methods, same mark
    assert "<= 200000 [b]" in rows["lut"] and ">= 0.55" in rows["accuracy"]
    assert "[a] method must be analytic, da4ml or vendor" in out
    assert "[b] method must be analytic, da4ml, yosys or vendor" in out
    assert "170,329" in rows["lut"] and "455,425" in rows["lut"] and "3,385" in rows["dsp"]
    # each failure with its whole reason under the table (wrapped at words by the terminal width)
    flat = " ".join(out.split())
    assert "FAIL latency_ns: 90 % interval upper end 150.4 > 100 (point 45 fits; `--compare point` tests the point " \
           "estimate)" in flat, out
    assert "FAIL lut: 90 % interval upper end 455425 > 200000" in flat and "FAIL dsp: 3385 > 200" in flat
    assert flat.endswith("budget broken")


def test_check_json_has_the_methods_the_table_footnotes(tmp_path):
    res = subprocess.run([str(EDGENN), "check", str(_export_dir(tmp_path)), "--budget", str(BUDGET), "--json"],
                         capture_output=True, text=True, env=_env(), timeout=120)
    lines = {x["figure"]: x for x in json.loads(res.stdout)["lines"]}
    assert lines["lut"]["bounds"] == "<= 200000"
    assert lines["lut"]["methods"] == ["analytic", "da4ml", "yosys", "vendor"]
    assert lines["ii_cycles"]["methods"] is None


def test_no_escape_codes_when_output_is_not_a_terminal(tmp_path):
    res = _check(tmp_path)
    assert "\x1b[" not in res.stdout and "\x1b[" not in res.stderr


def test_no_colour_in_a_terminal_under_no_color(tmp_path):
    argv = [str(EDGENN), "check", str(_export_dir(tmp_path)), "--budget", str(BUDGET)]
    coloured = _in_a_terminal(argv)
    assert COLOUR.search(coloured), "control: a terminal without NO_COLOR gets colour"
    plain = _in_a_terminal(argv, NO_COLOR="1")
    assert "budget broken" in plain and not COLOUR.search(plain), plain


def test_usage_errors_have_no_colour_when_piped():
    res = subprocess.run([str(EDGENN), "check", "--bogus"], capture_output=True, text=True, env=_env(), timeout=60)
    assert res.returncode == 2 and "No such option" in res.stderr
    assert "\x1b[" not in res.stderr


# ---------------------------------------------------------------- the other tables at 80 columns

def _render(fn, *args) -> str:
    console = Console(width=80, file=io.StringIO(), color_system=None)
    fn(console, *args)
    return console.file.getvalue()


class _Result:  # the attributes render.export_summary reads from an ExportResult
    target, directory = "fpga", Path("firmware/jet_mlp_hgq/fpga")
    report = {"figures": {**FIGURES,
                          "float_agreement.logits_exact_fraction": {"value": 0.2537, "unit": "fraction",
                                                                    "method": "csim"},
                          "float_agreement.output_max_abs_diff": {"value": 0.005859, "unit": "absolute",
                                                                  "method": "csim"},
                          "keras_latency_us_batch1": {"value": 412.7, "unit": "us", "method": "onnxruntime"}},
              "notes": ["validated on 600 held-out samples (fewer than 10,000: a larger dataset gives a stronger "
                        "check)"]}


def test_export_summary_fits_80_columns():
    out = _render(render.export_summary, _Result())
    assert "…" not in out and max(map(len, out.splitlines())) <= 80
    for name in _Result.report["figures"]:
        assert name in out  # no figure name broken or cut
    assert "onnxruntime" in out


def test_synth_table_fits_80_columns():
    from edgenn.cli.render import figures_table

    figs = {"lut": {"value": 15065, "unit": "count", "method": "yosys", "note": "LUT6 after abc9 mapping, before "
                                                                                 "place and route"},
            "latency_ns": {"value": 45.0, "unit": "ns", "method": "vendor", "note": "csynth estimate at the target "
                                                                                     "clock, timing not verified"}}
    console = Console(width=80, file=io.StringIO(), color_system=None)
    figures_table(console, figs, title="synthesis (yosys)")
    out = console.file.getvalue()
    assert "…" not in out and max(map(len, out.splitlines())) <= 80
    assert "timing not" in out and "verified" in out


# ---------------------------------------------------------------- progress bars

@pytest.mark.parametrize("no_progress, ci, tty, wanted", [
    (False, "", True, True), (True, "", True, False), (False, "true", True, False), (False, "1", True, False),
    (False, "", False, False)])
def test_progress_only_for_a_person_watching(monkeypatch, no_progress, ci, tty, wanted):
    class Stderr(io.StringIO):
        def isatty(self) -> bool:
            return tty

    monkeypatch.setenv("CI", ci)
    monkeypatch.setattr(sys, "stderr", Stderr())
    assert progress_wanted(no_progress) is wanted


def test_training_progress_bar_writes_to_stderr_only(capsys):
    from edgenn.training.callbacks import progress_callback

    bar = progress_callback(2, "train jet_mlp", enabled=True)
    bar.on_train_begin()
    for epoch in range(2):
        bar.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "val_loss": 1.2})
    bar.on_train_end()
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "train jet_mlp" in captured.err and "2/2" in captured.err


def test_disabled_progress_bar_prints_nothing(capsys):
    from edgenn.training.callbacks import progress_callback

    bar = progress_callback(2, "train jet_mlp", enabled=False)
    bar.on_train_begin()
    bar.on_epoch_end(0, {"loss": 1.0})
    bar.on_train_end()
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("budget", sorted((ROOT / "firmware" / "budgets").glob("*.yml")), ids=lambda p: p.stem)
def test_every_shipped_budget_checks_into_80_columns(budget):
    """Every line of every shipped budget, with wide values (six-digit counts with a 90 % interval, the longest
    method name): no cell cut, no figure name broken, nothing past column 80."""
    from edgenn.config.load import load_budget
    from edgenn.verification.budget import check_figures

    spec = load_budget(budget)
    figures = {}
    for name, unit, _ in spec.limits():
        value = 123456.7 if unit == "count" else 0.987654 if unit in ("fraction", "ratio") else 1234.5
        figures[name] = {"value": value, "unit": unit, "method": "analytic" if unit == "count" else "onnxruntime",
                         "interval": [value / 2, value * 2.7]}
    out = _render(render.check_table, check_figures(figures, spec, source=str(budget)))
    assert "…" not in out and max(map(len, out.splitlines())) <= 80, out
    first_words = {line.split()[0] for line in out.splitlines() if line.strip()}
    assert {name for name, _, _ in spec.limits()} <= first_words, out


def test_pareto_front_of_a_full_scan_fits_80_columns():
    """Eight parameters and three objectives (the jet MLP scan space): one column per trial, split as needed."""
    from edgenn.scan.driver import ScanResult

    params = {"weight_bits": 6, "activation_bits": 8, "sparsity": 0.7, "hidden.0": 64, "hidden.1": 32,
              "hidden.2": 32, "reuse_factor": 2, "strategy": "Resource"}
    rows = tuple({"trial": t, **{f"param.{k}": v for k, v in params.items()}, "objective.accuracy": 0.7412,
                  "objective.lut_dsp": 123456.0 + t, "objective.latency_cycles": 12.0, "bit_exact": True}
                 for t in (3, 12, 17, 21, 30, 44, 51, 60, 71))
    out = _render(render.pareto_tables, ScanResult(Path("scans/x"), 100, 90, rows,
                                                   ("accuracy", "lut_dsp", "latency_cycles"), ()))
    assert "…" not in out and max(map(len, out.splitlines())) <= 80, out
    for t in (3, 12, 17, 21, 30, 44, 51, 60, 71):
        assert f"trial {t} " in out and f"{123456 + t:,}" in out
    for name in [*params, "accuracy", "lut_dsp", "latency_cycles", "bit-exact"]:
        assert re.search(rf"^\S* ?{re.escape(name)} ", out, re.M), name  # each quantity labels a whole row
