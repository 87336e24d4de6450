"""distributed_arithmetic strategy: settings validation, and (slow: hls4ml's DA conversion + numba JIT take minutes)
a bit-exact C simulation with da4ml-costed figures."""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.errors import InvalidInputError
from edgenn.exporters import HlsSettings


def test_da_requires_reuse_factor_one_and_io_parallel():
    assert HlsSettings(strategy="distributed_arithmetic").strategy == "distributed_arithmetic"
    with pytest.raises(InvalidInputError, match="reuse_factor 1"):
        HlsSettings(strategy="distributed_arithmetic", reuse_factor=4)
    with pytest.raises(InvalidInputError, match="io_parallel"):
        HlsSettings(strategy="distributed_arithmetic", io_type="io_stream")


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
