"""A QONNX model (Brevitas' shapes, written with onnx.helper: no torch) through the CLI: export fpga -> check, and
export onnx; plus the refusals a user meets first. The fpga export is the suite's one QONNX g++ compile; the Conv and
residual graphs' C simulations are @slow (tests/exporters/test_qonnx_hls.py)."""

import json
import re

import numpy as np
import onnx
import pytest
from typer.testing import CliRunner

from edgenn_testing import ROOT
from edgenn.cli.app import app
from edgenn.qonnx.brevitas_graphs import GraphWriter, mlp_graph
from edgenn.qonnx.evaluate import evaluate_qonnx

runner = CliRunner()


def run(*args):
    return runner.invoke(app, ["--no-progress", *map(str, args)])


@pytest.fixture(scope="module")
def qonnx_files(tmp_path_factory):
    base = tmp_path_factory.mktemp("qonnx")
    rng = np.random.default_rng(11)
    model = mlp_graph([rng.normal(0, 0.5, (16, 12)), rng.normal(0, 0.5, (12, 5))],
                      [rng.normal(0, 0.2, 12), rng.normal(0, 0.2, 5)])
    onnx.save(model, base / "qonnx_mlp_tiny.onnx")
    x = rng.normal(0, 2.0, (3000, 16)).astype(np.float32)  # wide enough to hit the input and ReLU clips
    y = evaluate_qonnx(model, x).values[model.graph.output[0].name].argmax(axis=1)  # labels: the model's own class
    np.savez(base / "val.npz", x=x, y=y)
    return base


@pytest.fixture(scope="module")
def fpga_export(qonnx_files):
    fw = qonnx_files / "fw"
    res = run("export", qonnx_files / "qonnx_mlp_tiny.onnx", "--data", qonnx_files / "val.npz", "--target", "fpga",
              "--out", fw)
    assert res.exit_code == 0, res.output
    return fw


def test_fpga_export_is_bit_exact_against_the_exact_qonnx_evaluation(fpga_export):
    report = json.loads((fpga_export / "report.json").read_text())
    assert report["source_format"] == "qonnx"
    b = report["bitexact"]
    assert b["bit_exact"] and b["exact_fraction"] == 1.0 and b["num_samples"] == 3000 and b["num_values"] == 15000
    assert "exact QONNX reference" in b["reference_kind"]
    assert report["figures"]["accuracy"]["value"] == 1.0  # labels are the exact evaluation's classes
    # per-layer comparison for an MLP: every traced layer equals the exact evaluation of the graph hls4ml converted
    assert len(b["outputs"]) >= 1 and b["first_diverging_layer"] is None
    layers = {layer["name"]: layer for layer in report["precision"]["layers"]}
    dense = [layer for layer in layers.values() if layer["class_name"] == "Dense"]
    assert len(dense) == 2
    for layer in dense:  # edgenn's exact sums, not hls4ml's 16-bit default
        assert layer["types"]["accum"]["width"] < 16 and layer["types"]["weight"]["width"] <= 4
    relu = [layer for layer in layers.values() if layer["class_name"] == "Activation" and "Relu" in layer["name"]]
    assert relu and relu[0]["types"]["result"] == {**relu[0]["types"]["result"], "width": 6, "integer": 3,
                                                   "signed": False}
    assert not any(f.get("bound") for f in report["figures"].values() if isinstance(f, dict))  # all layers modelled


def test_budget_check_and_report_work_on_the_qonnx_export(fpga_export):
    budget = ROOT / "firmware" / "budgets" / "qonnx_mlp_tiny.yml"
    res = run("check", fpga_export, "--budget", budget)
    assert res.exit_code == 0, res.output
    res = run("report", fpga_export, "--budget", budget)
    assert res.exit_code == 0, res.output
    html = (fpga_export / "report.html").read_text()
    assert "exact QONNX reference" in html and "qonnx_mlp_tiny" in html


def test_onnx_target_measures_qonnx_float32_executor_against_the_exact_evaluation(qonnx_files):
    out = qonnx_files / "onnx"
    res = run("export", qonnx_files / "qonnx_mlp_tiny.onnx", "--data", qonnx_files / "val.npz", "--target", "onnx",
              "--out", out, "--validation-samples", "200")
    assert res.exit_code == 0, res.output
    report = json.loads((out / "report.json").read_text())
    assert report["figures"]["qonnx_exec_exact_fraction"]["value"] == 1.0  # these sums fit float32's 24 bits
    assert onnx.load(out / "model.onnx").graph.node


def test_non_power_of_two_scale_exits_2_naming_the_node_with_the_measured_po2_cost(tmp_path):
    rng = np.random.default_rng(2)
    model = mlp_graph([rng.normal(0, 0.5, (4, 6)), rng.normal(0, 0.5, (6, 3))], [np.zeros(6), np.zeros(3)],
                      weight_scales=[0.3, 0.1])  # Brevitas' default float scales: not powers of two
    onnx.save(model, tmp_path / "odd.onnx")
    x = rng.normal(0, 1, (300, 4)).astype(np.float32)
    np.savez(tmp_path / "val.npz", x=x, y=rng.integers(0, 3, 300))
    res = run("export", tmp_path / "odd.onnx", "--data", tmp_path / "val.npz", "--target", "fpga")
    text = " ".join(res.output.split())
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert re.search(r"4 Quant node\(s\) without a single power-of-two scale .*'WeightQuant_\d+' \(scale 0.3\)", text)
    assert re.search(r"Measured on 300 rows of --data: rounding the 4 scale\(s\) to the nearest power of two keeps "
                     r"the predicted class of \d+\.\d+% of the rows \(accuracy 0\.\d+ -> 0\.\d+\)", text)


def test_float_onnx_and_missing_data_are_refused(tmp_path, qonnx_files):
    g = GraphWriter()
    onnx.save(g.model([("global_in", (1, 4))], g.node("Relu", ["global_in"]), (1, 4)), tmp_path / "float.onnx")
    np.savez(tmp_path / "val.npz", x=np.zeros((4, 4), np.float32))
    res = run("export", tmp_path / "float.onnx", "--data", tmp_path / "val.npz", "--target", "onnx")
    assert res.exit_code == 2 and "without Quant" in res.output
    res = run("export", qonnx_files / "qonnx_mlp_tiny.onnx", "--target", "onnx")
    assert res.exit_code == 2 and "needs validation data" in res.output
    res = run("export", qonnx_files / "qonnx_mlp_tiny.onnx", "--data", tmp_path / "val.npz", "--target", "onnx")
    assert res.exit_code == 2 and "expects (16,)" in res.output
    res = run("export", qonnx_files / "qonnx_mlp_tiny.onnx", "--data", qonnx_files / "val.npz", "--target", "rtl")
    assert res.exit_code == 2 and "target rtl does not take QONNX models yet" in res.output
    res = run("export", qonnx_files / "qonnx_mlp_tiny.onnx", "--data", qonnx_files / "val.npz", "--ptq")
    assert res.exit_code == 2 and "a QONNX graph is quantized already" in " ".join(res.output.split())
