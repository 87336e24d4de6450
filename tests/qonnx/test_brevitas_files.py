"""Real Brevitas QONNX exports (tests/qonnx/brevitas, made by benchmarks/brevitas_export.py with torch + brevitas in a
separate environment): edgenn reads them, evaluates them exactly (agreeing with qonnx's executor where float32 cannot
round), derives types that hold every value, and converts them with its types; the C simulations are @slow."""

import json
from pathlib import Path

import numpy as np
import pytest

from edgenn.exporters.hls import HlsSettings
from edgenn.exporters.precision_qonnx import derive_tensor_types
from edgenn.exporters.qonnx_hls import export_qonnx_hls, prepare_qonnx
from edgenn.qonnx.evaluate import evaluate_qonnx
from edgenn.qonnx.source import load_qonnx

HERE = Path(__file__).parent / "brevitas"
FILES = {"jet_mlp": (16,), "conv2d": (2, 8, 8), "residual": (8,)}


def _inputs(name: str, n: int) -> np.ndarray:
    if name == "jet_mlp":
        with np.load(HERE / "jet_mlp_rows.npz") as data:
            return data["x"][:n].astype(np.float64)
    return np.random.default_rng(3).normal(0, 2.0, (n, *FILES[name]))


@pytest.mark.parametrize("name", sorted(FILES))
def test_real_export_is_evaluated_exactly_and_agrees_with_qonnx(name):
    import qonnx.core.onnx_exec as oxe
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.transformation.infer_shapes import InferShapes

    model = load_qonnx(HERE / f"{name}.onnx")
    assert model.input_shape == FILES[name]
    x = _inputs(name, 40)
    ref = evaluate_qonnx(model.proto, x)
    out = ref.output_names[0]
    assert ref.is_exact(out)
    wrapped = ModelWrapper(model.proto).transform(InferShapes())
    got = np.concatenate([oxe.execute_onnx(wrapped, {model.input_name: row[None].astype(np.float32)})[out]
                          for row in x])
    np.testing.assert_array_equal(ref.values[out], got.astype(np.float64))


@pytest.mark.parametrize("name", ["jet_mlp", "residual"])
def test_derived_types_hold_every_value_of_the_real_export(name):
    ready = prepare_qonnx(load_qonnx(HERE / f"{name}.onnx").proto).hls_ready
    values = evaluate_qonnx(ready, _inputs(name, 1000)).values
    for tensor, t in derive_tensor_types(ready).items():
        v = values[tensor]
        assert np.array_equal(t.fixed.quantize(v), v) and t.lo <= v.min() and v.max() <= t.hi, tensor


@pytest.mark.parametrize("name", sorted(FILES))
def test_real_export_converts_with_edgenn_types(name, tmp_path):
    project = export_qonnx_hls(prepare_qonnx(load_qonnx(HERE / f"{name}.onnx").proto), tmp_path, HlsSettings(),
                               compile=False)
    accums = [p.accum for p in project.precision.layers if p.accum is not None]
    assert accums and all(a.width < 32 for a in accums)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FILES))
def test_real_export_c_simulation_is_bit_exact(name, tmp_path):
    from typer.testing import CliRunner

    from edgenn.cli.app import app

    np.savez(tmp_path / "val.npz", x=_inputs(name, 1000).astype(np.float32))
    res = CliRunner().invoke(app, ["--no-progress", "export", str(HERE / f"{name}.onnx"), "--data",
                                   str(tmp_path / "val.npz"), "--target", "fpga", "--out", str(tmp_path / "fw")])
    assert res.exit_code == 0, res.output
    b = json.loads((tmp_path / "fw" / "report.json").read_text())["bitexact"]
    assert b["bit_exact"] and b["exact_fraction"] == 1.0 and b["num_samples"] == 1000
