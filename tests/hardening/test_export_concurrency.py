"""Two FPGA exports of one run at the same time: into different directories both succeed and give the same firmware
project byte for byte; into the same directory the second is refused with "locked by PID" while the first completes.

What is compared: every file of the hls4ml project except build products (``*.so``/``*.o``: g++ output is not
reproducible byte for byte and is rebuilt from the sources), the arrays of ``csim_outputs.npz`` (the zip entry times
differ), and report.json / manifest.json without wall-clock timings and the command line.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from hardening_support import hidden_leftovers, run_edgenn, start_edgenn, wait_for

pytestmark = pytest.mark.slow  # two hls4ml conversions + g++ builds: minutes on a loaded 2-core machine

BUILD_PRODUCTS = (".so", ".o")
VOLATILE = {"timings_s", "compile_seconds", "convert_seconds", "csim_seconds", "command", "total"}


def _args(run: Path, out: Path) -> list[str]:
    return ["export", str(run), "--target", "fpga", "--out", str(out), "--no-report"]


@pytest.fixture(scope="module")
def two_exports(trained_run, tmp_path_factory):
    base = tmp_path_factory.mktemp("concurrent")
    a, b = base / "a" / "fpga", base / "b" / "fpga"
    procs = [start_edgenn(_args(trained_run, a)), start_edgenn(_args(trained_run, b))]
    results = [p.communicate(timeout=1800) + (p.returncode,) for p in procs]
    return a, b, results


def _project_hashes(export_dir: Path) -> dict[str, str]:
    out = {}
    for path in sorted((export_dir / "hls").rglob("*")):
        if path.is_file() and path.suffix not in BUILD_PRODUCTS:
            out[str(path.relative_to(export_dir))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _without_volatile(obj):
    if isinstance(obj, dict):
        return {k: _without_volatile(v) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [_without_volatile(v) for v in obj]
    return obj


def test_exports_into_different_directories_run_side_by_side(two_exports):
    a, b, results = two_exports
    for out, (_, err, code) in zip((a, b), results):
        assert code == 0, err
        assert (out / "manifest.json").is_file() and not hidden_leftovers(out)


def test_same_run_gives_an_identical_firmware_project(two_exports):
    a, b, _ = two_exports
    ha, hb = _project_hashes(a), _project_hashes(b)
    assert len(ha) > 20 and "hls/firmware/myproject.cpp" in ha and "hls/firmware/parameters.h" in ha
    assert ha == hb, sorted(k for k in ha if ha.get(k) != hb.get(k))
    # the library name carries a content stamp, not a random one
    assert sorted(p.name for p in (a / "hls" / "firmware").glob("*.so")) == \
        sorted(p.name for p in (b / "hls" / "firmware").glob("*.so"))
    config = (a / "hls" / "hls4ml_config.yml").read_text()
    assert str(a.parent) not in config and ".tmp-" not in config  # no absolute or staging paths
    for name in ("report.json", "manifest.json"):
        ja = _without_volatile(json.loads((a / name).read_text()))
        jb = _without_volatile(json.loads((b / name).read_text()))
        assert ja == jb, name
    with np.load(a / "csim_outputs.npz") as na, np.load(b / "csim_outputs.npz") as nb:
        assert sorted(na.files) == sorted(nb.files)
        for key in na.files:
            assert np.array_equal(na[key], nb[key]), key


def test_second_export_into_the_same_directory_is_locked_out(trained_run, tmp_path):
    out = tmp_path / "fpga"
    first = start_edgenn(_args(trained_run, out))
    lock = out.parent / f".{out.name}.lock"
    wait_for(lock.exists, 600, "the first export to take the lock", first)
    second = run_edgenn(_args(trained_run, out))
    assert first.poll() is None, "the first export ended before the second one tried: nothing was tested"
    text = " ".join(second.stderr.split())
    assert second.returncode == 2, second.stderr
    assert f"locked by PID {first.pid}" in text and "Fix:" in text and "Traceback" not in text
    _, err = first.communicate(timeout=1800)
    assert first.returncode == 0, err
    assert (out / "manifest.json").is_file() and not hidden_leftovers(out)
