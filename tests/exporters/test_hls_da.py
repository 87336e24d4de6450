"""distributed_arithmetic strategy: settings validation, and (slow: hls4ml's DA conversion + numba JIT take minutes)
a bit-exact C simulation with da4ml-costed figures."""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.exporters import HlsSettings


def test_recipe_rejects_da_with_reuse(tmp_path):
    from pydantic import ValidationError

    from edgenn.config.recipe import FpgaSpec

    with pytest.raises(ValidationError, match="reuse_factor 1"):
        FpgaSpec(strategy="distributed_arithmetic", reuse_factor=2)
    assert FpgaSpec(strategy="distributed_arithmetic").reuse_factor == 1


def test_kernel_depth_reads_da4ml_latency_comments():
    from edgenn.estimates.da4ml_cost import kernel_depth

    code = "ap_fixed<9,4> v3 = v1 + v2; // 1\nap_fixed<11,5> v4 = v3 - (v0 << 2); // 2.0\nout[0] = v4; // 7\n"
    assert kernel_depth(code) == 7
    assert kernel_depth("out[0] = inp[0];") == 0


@pytest.mark.slow
def test_da_csim_bit_exact_with_da4ml_figures(qmlp_builder, tmp_path):
    from edgenn.estimates.da4ml_cost import estimate_da
    from edgenn.exporters import export_hls, simulate_csim

    model = qmlp_builder(hidden=(8,), sparsity=0.5, softmax=False, seed=7)
    project = export_hls(model, tmp_path / "da", HlsSettings(strategy="distributed_arithmetic"))
    dense = [layer for layer in project.hls_model.get_layers() if layer.class_name == "Dense"]
    assert dense and all(layer.attributes.get("da_kernel_cost", 0) > 0 for layer in dense)
    fp = project.input_type
    x = np.random.default_rng(0).uniform(fp.min, fp.max + fp.lsb, (10_000, 16))
    result = simulate_csim(project, model, x)
    for name in result.layer_names:
        assert np.array_equal(result.firmware[name], result.reference[name]), name
    report = estimate_da(project.hls_model)
    assert report.total.lut.method == "da4ml" and report.total.dsp.value == 0
    kernels = sum(layer.attributes["da_kernel_cost"] for layer in dense)
    assert kernels <= report.total.lut.value <= kernels * 1.5
    assert report.total.latency_cycles.value >= len(dense)


class _Var:
    def __init__(self, n, width):
        self.shape = (n,)
        self.type = type("T", (), {"precision": type("P", (), {"width": width})()})()


class _Layer:
    def __init__(self, name, cls, n, width, **attrs):
        self.name, self.class_name, self._out, self.attributes, self.types = name, cls, _Var(n, width), attrs, {}

    def get_output_variable(self):
        return self._out

    def get_attr(self, key, default=None):
        return self.attributes.get(key, default)


def test_estimate_da_sums_kernels_and_keeps_softmax_analytic():
    from edgenn.estimates.da4ml_cost import estimate_da

    source = type("S", (), {"code": "v1 = a + b; // 1\nv9 = v1 + c; // 12\n"})()
    layers = [_Layer("in", "Input", 16, 12), _Layer("fc", "Dense", 8, 16, da_kernel_cost=700.0, da_codegen=source),
              _Layer("relu", "Activation", 8, 8, activation="relu"), _Layer("sm", "Softmax", 8, 16)]
    config = type("C", (), {"get_config_value": lambda self, k, d=None: {"ClockPeriod": 5, "Part": "xcvu13p"}.get(k, d)})()
    model = type("M", (), {"get_layers": lambda self: layers, "config": config})()
    report = estimate_da(model)
    by_name = {e.name: e for e in report.layers}
    assert by_name["fc"].lut.value == 700 and by_name["fc"].lut.method == "da4ml"
    assert by_name["fc"].latency_cycles.value == 4  # ceil(12 / 5 levels) + 1
    assert by_name["relu"].lut.value == 64 and by_name["relu"].lut.method == "analytic"
    assert by_name["sm"].bram.value > 0 and by_name["sm"].lut.method == "analytic"
    assert report.total.lut.value == sum(e.lut.value for e in report.layers)
    assert report.total.bram.method == "analytic" and report.total.dsp.value == by_name["sm"].dsp.value


def test_estimate_da_counts_every_parallel_copy_of_a_per_particle_kernel():
    from edgenn.estimates.da4ml_cost import estimate_da

    source = type("S", (), {"code": "v1 = a + b; // 3\n"})()
    config = type("C", (), {"get_config_value": lambda self, k, d=None: {"ClockPeriod": 5}.get(k, d)})()

    def report(n_partitions):
        conv = _Layer("phi", "PointwiseConv1D", 8, 16, da_kernel_cost=100.0, da_codegen=source,
                      n_partitions=n_partitions)
        conv._out.shape = (16, 8)  # 16 particles x 8 filters
        return estimate_da(type("M", (), {"get_layers": lambda self: [conv], "config": config})())

    full, half = report(1), report(2)
    layers = [_Layer("t", "Transpose", 128, 8), _Layer("relu", "Activation", 128, 8, activation="relu")]
    wiring = estimate_da(type("M", (), {"get_layers": lambda self: layers, "config": config})())
    assert [e.name for e in wiring.layers] == ["relu"]  # a transpose is wires: no LUTs
    assert full.total.lut.value == 1600 and full.total.ii_cycles.value == 1  # 16 kernels side by side
    assert half.total.lut.value == 800 and half.total.ii_cycles.value == 2
    assert half.total.latency_cycles.value == full.total.latency_cycles.value + 1
