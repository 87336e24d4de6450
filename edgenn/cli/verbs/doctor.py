"""``edgenn doctor``: which parts of the toolchain this machine can run, and what each missing piece would enable.

Only looks (package metadata, PATH); imports nothing heavy, so it answers in well under a second.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import typer

from edgenn.cli.common import Verb

# (distribution, what it enables); versions are those pinned in constraints.txt
PACKAGES = (
    ("tensorflow", "training and every model export"), ("qkeras", "quantization-aware training"),
    ("tensorflow-model-optimization", "pruning"), ("hls4ml", "export --target fpga (hls4ml project, C simulation)"),
    ("onnx", "export --target onnx"), ("tf2onnx", "export --target onnx"),
    ("onnxruntime", "checking ONNX exports"), ("da4ml", "export --target rtl and the da4ml strategy"),
    ("optuna", "edgenn scan"), ("ray", "--ray-address (scan, compare, data generate on a cluster)"),
    ("pythia8mc", "edgenn data generate (Pythia 8)"), ("fastjet", "edgenn data generate (jet clustering)"),
)
# (program, version flag, what it enables)
PROGRAMS = (
    ("g++", "--version", "hls4ml C simulation (bit-exact check of fpga exports)"),
    ("verilator", "--version", "simulating rtl exports (bit-exact check)"),
    ("yosys", "-V", "edgenn synth --tool yosys"),
    ("vitis_hls", "-version", "edgenn synth --tool vitis"), ("vivado", "-version", "edgenn synth --tool vivado"),
    ("chromium", "--version", "PDF copies of report.html"),
)


def _package(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _program(name: str, flag: str) -> tuple[str | None, str | None]:
    path = shutil.which(name) or (shutil.which("chromium-browser") if name == "chromium" else None)
    if path is None:
        return None, None
    try:  # vendor tools can take seconds to print a version; a short timeout keeps doctor fast
        out = subprocess.run([path, flag], capture_output=True, text=True, timeout=10)
        first = (out.stdout or out.stderr).strip().splitlines()
        return path, _version_number(first[0]) if first else "found"
    except (OSError, subprocess.TimeoutExpired):
        return path, "found (version not readable)"


def _version_number(line: str) -> str:
    """The last dotted number of a program's version line ("g++ (Debian 12.2.0-14) 12.2.0" -> "12.2.0"): the
    whole line wraps the table at 80 columns and says nothing more."""
    numbers = re.findall(r"\d+(?:\.\d+)+", line)
    return numbers[-1] if numbers else line[:40]


def environment() -> list[dict]:
    rows = [{"name": "python", "kind": "python", "version": __import__("platform").python_version(),
             "path": None, "enables": "edgenn itself (3.11)"}]
    rows += [{"name": n, "kind": "package", "version": _package(n), "path": None, "enables": e} for n, e in PACKAGES]
    for name, flag, enables in PROGRAMS:
        path, ver = _program(name, flag)
        rows.append({"name": name, "kind": "program", "version": ver, "path": path, "enables": enables})
    return rows


def doctor(json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout.")) -> dict:
    """Versions of the pinned stack and the external tools on PATH, each with what it enables."""
    from rich.table import Table

    from edgenn.cli.common import console

    rows = environment()
    table = Table(title="edgenn doctor")
    # names and versions never wrap (a package name split over two lines reads as two packages); only the
    # free-text column folds
    table.add_column("component", no_wrap=True)
    table.add_column("version", no_wrap=True)
    table.add_column("enables", overflow="fold")
    for r in rows:
        table.add_row(r["name"], r["version"] or "[yellow]missing[/]", r["enables"])
    console.print(table)
    return {"components": rows}


VERB = Verb("doctor", doctor, panel="Tools",
            epilog="Example: edgenn doctor\n\nExample: edgenn doctor --json | jq '.components[] | "
                   "select(.version == null) | .name'")
