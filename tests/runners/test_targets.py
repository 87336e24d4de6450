"""The export-target registry: every registered target is reachable by name from the API and the CLI, an unknown
name lists the registered ones, and the example ``hls_project`` target (one module, no edit elsewhere) works."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import edgenn.api
from edgenn.errors import InvalidInputError
from edgenn.runners.targets import get_target, registered_targets

VENV_BIN = Path(sys.executable).parent


def test_registry_holds_the_shipped_targets_and_each_is_callable():
    targets = registered_targets()
    assert {"fpga", "onnx", "rtl", "hls_project"} <= set(targets)
    for name, target in targets.items():
        assert target.name == name and callable(target.run) and target.help
    assert edgenn.api.export_targets() == {n: t.help for n, t in targets.items()}


def test_unknown_target_lists_the_registered_ones():
    with pytest.raises(InvalidInputError) as err:
        get_target("vhdl")
    fix = err.value.fix
    assert all(name in fix for name in registered_targets())


def test_cli_refuses_an_unknown_target_with_the_registered_names(tmp_path):
    res = subprocess.run([str(VENV_BIN / "edgenn"), "export", str(tmp_path), "--target", "vhdl"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    out = res.stdout + res.stderr
    assert "vhdl" in out and "hls_project" in out


def test_hls_project_target_writes_an_uncompiled_project_with_estimates(tmp_path):
    from edgenn_testing import build_small_qmlp

    model_path, data_path = build_small_qmlp(tmp_path)
    result = edgenn.api.export(model_path, target="hls_project", data=data_path, out=tmp_path / "fw",
                               progress=False, report=False)
    report = json.loads((tmp_path / "fw" / "report.json").read_text())
    assert report["target"] == "hls_project" and "bitexact" not in report
    assert report["figures"]["lut"]["value"] > 0 and report["figures"]["lut"]["method"]
    hls = tmp_path / "fw" / "hls"
    assert (hls / "firmware" / "myproject.cpp").exists()
    assert not list(hls.rglob("*.so")), "the hls_project target must not compile the C simulation"
    assert result.directory == tmp_path / "fw"
