"""Inputs that parse but make no sense, through the real CLI: budget limits outside their unit's range, empty or
limitless budgets and scan spaces (whose fixes must point at a file of the same schema), `report` on a directory
edgenn never made, and model files of a kind edgenn does not read. Exit 2, the problem named, nothing written.

Fast: no TensorFlow model is built or trained; every input is a few bytes written here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from edgenn.cli.app import app
from edgenn.config.budget import Budget
from edgenn.config.examples import EXAMPLES
from edgenn.config.load import load
from edgenn.config.recipe import Recipe
from edgenn.config.scan import ScanSpace
from edgenn.input_kinds import ACCEPTED, REFUSED
from edgenn_testing import write_export_report

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _run(argv: list[str]):
    res = runner.invoke(app, ["--no-progress", *argv])
    text = " ".join(res.output.split())  # rich may wrap long lines
    assert "Traceback" not in res.output, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    return res, text


def _export_dir(tmp: Path) -> Path:
    d = tmp / "fw"
    d.mkdir()
    write_export_report(d, {"accuracy": {"value": 0.9, "unit": "fraction", "method": "csim"},
                            "lut": {"value": 120, "unit": "count", "method": "analytic"}})
    (d / "manifest.json").write_text("{}")
    return d


def _check(tmp: Path, budget_text: str):
    (tmp / "b.yml").write_text(budget_text)
    junit = tmp / "check.xml"
    res, text = _run(["check", str(_export_dir(tmp)), "--budget", str(tmp / "b.yml"), "--junit", str(junit)])
    return res, text, junit


# ---------------------------------------------------------------- budget limits against their unit

@pytest.mark.parametrize("line, needles", [
    ("lut: {max: -5}", ["lut.max", "resource count cannot be negative", "(got -5)", "Fix:"]),
    ("dsp: {min: -1, max: 10}", ["dsp.min", "cannot be negative", "(got -1)"]),
    ("latency_ns: {max: -25}", ["latency_ns.max", "time in ns cannot be negative", "(got -25)"]),
    ("ii_cycles: {max: -1}", ["ii_cycles.max", "clock cycles cannot be negative"]),
    ("accuracy: {min: 95}", ["accuracy.min", "fraction must be in [0, 1]", "(got 95)", "did you mean 0.95?"]),
    ("bit_exact_fraction: {min: -0.1}", ["bit_exact_fraction.min", "fraction must be in [0, 1]", "(got -0.1)"]),
    ("auc: {t: {min: 1.5}}", ["auc.t.min", "fraction must be in [0, 1]", "(got 1.5)"]),
    ("efficiency: {emu: {min: 2}}", ["efficiency.emu.min", "fraction must be in [0, 1]"]),
    ("teacher_correlation: {min: -2}", ["teacher_correlation.min", "correlation must be in [-1, 1]", "(got -2)"]),
    ("accuracy_drop: {max: 1.5}", ["accuracy_drop.max", "accuracy difference must be in [-1, 1]"]),
], ids=lambda v: v if isinstance(v, str) else None)
def test_budget_limit_outside_its_unit_is_refused_at_load(tmp_path, line, needles):
    res, text, junit = _check(tmp_path, f"name: b\n{line}\n")
    assert res.exit_code == 2, res.output
    assert "b.yml" in text
    for needle in needles:
        assert needle in text, f"{needle!r} missing from: {res.output}"
    assert "budget broken" not in text  # refused as input, never compared
    assert not junit.exists()


def test_every_out_of_range_limit_is_reported_at_once(tmp_path):
    res, text, _ = _check(tmp_path, "lut: {max: -5}\naccuracy: {min: 95}\nauc: {t: {min: 1.5}}\n")
    errors = [line for line in res.output.splitlines() if line.startswith("error: ")]
    assert res.exit_code == 2
    assert len(errors) == 3, res.output
    assert all(f in text for f in ("lut.max", "accuracy.min", "auc.t.min"))


@pytest.mark.parametrize("line", ["accuracy: {min: 0, max: 1}", "accuracy_drop: {max: -0.01}",
                                  "teacher_correlation: {min: -0.5}", "lut: {max: 0}"])
def test_limits_at_the_edge_of_their_range_are_accepted(tmp_path, line):
    """A negative accuracy_drop (firmware better than float) and a negative correlation are real limits."""
    res, text, junit = _check(tmp_path, f"{line}\n")
    assert res.exit_code in (0, 1), res.output  # compared with the report, pass or fail: not refused
    assert junit.is_file()


def test_the_api_refuses_the_same_budget_objects():
    with pytest.raises(ValueError, match="lut.max: a resource count cannot be negative"):
        Budget(lut={"max": -5})


def test_every_shipped_budget_and_example_still_loads():
    for path in sorted((ROOT / "firmware" / "budgets").glob("*.yml")):
        load(Budget, path)
    schemas = {"Recipe": Recipe, "Budget": Budget, "ScanSpace": ScanSpace}
    for kind, (example, _) in EXAMPLES.items():  # every fix points at a file that exists and is of that schema
        load(schemas[kind], ROOT / example)


# ---------------------------------------------------------------- fixes point at a file of the same schema

@pytest.mark.parametrize("text, needles", [
    ("", ["b.yml", "file is empty", "firmware/budgets/jet_mlp.yml"]),
    ("name: only_a_name\n", ["b.yml", "names no limit", "firmware/budgets/jet_mlp.yml"]),
    ("auc: {}\n", ["b.yml", "names no limit"]),
    ("- lut\n", ["b.yml", "top level must be a mapping", "firmware/budgets/jet_mlp.yml"]),
    ("lat: {max: 3}\n", ["b.yml", "lat", "Extra inputs", "firmware/budgets/jet_mlp.yml"]),
], ids=["empty", "no-limit", "empty-auc", "not-a-mapping", "unknown-key"])
def test_budget_errors_point_at_a_budget(tmp_path, text, needles):
    res, out, junit = _check(tmp_path, text)
    assert res.exit_code == 2, res.output
    for needle in needles:
        assert needle in out, f"{needle!r} missing from: {res.output}"
    assert "models/jet_mlp.yml" not in out  # a recipe is a different schema
    assert not junit.exists()


def test_missing_budget_says_where_budgets_live(tmp_path):
    res, text = _run(["check", str(_export_dir(tmp_path)), "--budget", str(tmp_path / "none.yml")])
    assert res.exit_code == 2
    assert "none.yml" in text and "not found" in text and "firmware/budgets/" in text


@pytest.mark.parametrize("text, needles", [
    ("", ["s.yml", "file is empty"]),
    ("objectives: [accuracy, lut]\n", ["s.yml", "space", "Field required"]),
    ("space: {}\n", ["s.yml", "names no dimension"]),
    ("space: {weight_bits: [4]}\nsampler: {knd: tpe}\n", ["s.yml", "sampler.knd", "Extra inputs"]),
], ids=["empty", "no-space", "no-dimension", "unknown-key"])
def test_scan_space_errors_point_at_the_scan_space_example(tmp_path, text, needles):
    (tmp_path / "s.yml").write_text(text)
    res, out = _run(["scan", str(ROOT / "models" / "jet_mlp.yml"), "--space", str(tmp_path / "s.yml"),
                     "--out", str(tmp_path / "scan")])
    assert res.exit_code == 2, res.output
    for needle in [*needles, "benchmarks/scan/jet_mlp_space.yml"]:
        assert needle in out, f"{needle!r} missing from: {res.output}"
    assert not (tmp_path / "scan").exists()


# ---------------------------------------------------------------- report needs an edgenn run

def test_report_refuses_a_directory_without_an_edgenn_run(tmp_path):
    d = tmp_path / "etc"
    d.mkdir()
    (d / "hosts").write_text("127.0.0.1 localhost\n")
    (d / "notes.json").write_text("{}")
    res, text = _run(["report", str(d)])
    assert res.exit_code == 2, res.output
    assert "holds no edgenn run" in text and "Fix:" in text
    assert sorted(p.name for p in d.iterdir()) == ["hosts", "notes.json"]  # no report.html written


def test_report_under_json_says_why_in_the_document(tmp_path):
    import json

    res = runner.invoke(app, ["--no-progress", "report", str(tmp_path), "--json"])
    doc = json.loads(res.stdout)
    assert res.exit_code == 2 and doc["status"] == "error" and doc["exit_code"] == 2
    assert "holds no edgenn run" in doc["errors"][0]["message"]
    assert not (tmp_path / "report.html").exists()


# ---------------------------------------------------------------- model inputs of a kind edgenn does not read

@pytest.mark.parametrize("suffix", sorted(REFUSED))
@pytest.mark.parametrize("exists", [True, False], ids=["file", "missing"])
def test_export_names_a_model_kind_it_does_not_read(tmp_path, suffix, exists):
    source = tmp_path / f"model{suffix}"
    if exists:
        source.write_bytes(b"\x08\x01")
    out = tmp_path / "fw"
    res, text = _run(["export", str(source), "--target", "onnx", "--out", str(out)])
    what, instead = REFUSED[suffix]
    assert res.exit_code == 2, res.output
    assert f"model{suffix}: {what}" in text, res.output
    assert "a kind of input edgenn does not read" in text
    assert all(s in text for s in ACCEPTED)  # says what it does read
    assert instead in text
    assert "no trained model here" not in text
    assert not out.exists()


def test_unreadable_onnx_input_is_named_as_onnx(tmp_path):
    # .onnx is read as QONNX (issue 18): these two bytes parse as an empty ONNX graph, refused as one without
    # quantizers, not as a run directory
    (tmp_path / "model.onnx").write_bytes(b"\x08\x07")
    res, text = _run(["export", str(tmp_path / "model.onnx"), "--out", str(tmp_path / "fw")])
    assert res.exit_code == 2
    assert "model.onnx: an ONNX graph without Quant" in text


def test_export_names_an_unknown_file_kind(tmp_path):
    (tmp_path / "weights.xyz").write_text("?")
    res, text = _run(["export", str(tmp_path / "weights.xyz"), "--out", str(tmp_path / "fw")])
    assert res.exit_code == 2
    assert "weights.xyz: not a model edgenn reads" in text and "'.xyz'" in text and "Fix:" in text


def test_suffix_check_ignores_case(tmp_path):
    (tmp_path / "MODEL.ONNX").write_bytes(b"\x08\x07")
    res, text = _run(["export", str(tmp_path / "MODEL.ONNX"), "--out", str(tmp_path / "fw")])
    assert res.exit_code == 2 and "an ONNX graph" in text


def test_accepted_and_refused_kinds_do_not_overlap():
    assert not set(ACCEPTED) & set(REFUSED)
    assert all(s == s.lower() and s.startswith(".") for s in [*ACCEPTED, *REFUSED])


@pytest.mark.parametrize("name", ["k.h5", "k.keras"])
def test_compress_refuses_a_model_file_and_says_what_to_do(tmp_path, name):
    (tmp_path / name).write_bytes(b"")
    res, text = _run(["compress", str(tmp_path / name), "--out", str(tmp_path / "c")])
    assert res.exit_code == 2, res.output
    assert "takes a run directory" in text and f"edgenn export {tmp_path / name}" in text
    assert not (tmp_path / "c").exists()


def test_report_on_the_parent_of_exports_names_them(tmp_path):
    for target in ("fpga", "onnx"):
        (tmp_path / "jet_mlp" / target).mkdir(parents=True)
        (tmp_path / "jet_mlp" / target / "report.json").write_text('{"figures": {}}')
    res, text = _run(["report", str(tmp_path / "jet_mlp")])
    assert res.exit_code == 2, res.output
    assert f"point at one of its exports: {tmp_path / 'jet_mlp' / 'fpga'}, {tmp_path / 'jet_mlp' / 'onnx'}." in text
    assert not (tmp_path / "jet_mlp" / "report.html").exists()


@pytest.mark.parametrize("argv_of, noun, example", [
    (lambda f: ["train", f], "recipe", "models/jet_mlp.yml"),
    (lambda f: ["check", "fw", "--budget", f], "budget", "firmware/budgets/jet_mlp.yml"),
    (lambda f: ["scan", str(ROOT / "models" / "jet_mlp.yml"), "--space", f], "scan space",
     "benchmarks/scan/jet_mlp_space.yml"),
], ids=["train", "check", "scan"])
@pytest.mark.parametrize("name", ["model.h5", "model.onnx", "model.pt", "val.npz"])
def test_a_model_given_where_yaml_belongs_is_named(tmp_path, argv_of, noun, example, name):
    from edgenn.input_kinds import describe_file

    what = describe_file(Path(name))  # the kind table's own words (accepted model, refused model, or data)
    assert what
    (tmp_path / name).write_bytes(b"\x89HDF\r\n")
    res, text = _run(argv_of(str(tmp_path / name)))
    assert res.exit_code == 2, res.output
    assert f"{name}: {what}, not a YAML {noun}" in text and example in text
