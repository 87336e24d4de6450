"""BOPs (arXiv:2103.05579 Eq. 1) on hand-computed layers, float and quantized."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from edgenn.compression.bops import dense_bops, model_bops  # noqa: E402
from edgenn.config.recipe import QatSpec, QuantBits  # noqa: E402


def test_dense_bops_matches_equation_by_hand():
    # m=64, n=16, b_a=8, b_w=6, a quarter of the weights left: 64*16*(0.25*8*6 + 8 + 6 + log2 16) = 1024*30
    assert dense_bops(16, 64, 8, 6, 0.25) == 30720.0
    # nothing pruned, float: m*n*(32*32 + 64 + log2 n)
    assert dense_bops(10, 3, 32, 32, 1.0) == pytest.approx(30 * (1024 + 64 + math.log2(10)))
    # everything pruned still costs the accumulation terms
    assert dense_bops(4, 2, 8, 4, 0.0) == 8 * (8 + 4 + 2)


def test_dense_bops_rejects_nonsense():
    with pytest.raises(ValueError):
        dense_bops(0, 4, 8, 8, 1.0)
    with pytest.raises(ValueError):
        dense_bops(4, 4, 8, 8, 1.5)


def test_model_bops_reads_bits_and_pruning_from_layers():
    from edgenn.architectures.registry import get_family

    family = get_family("dense")
    params = family.params_model(hidden=[8], l1=0.0)
    qat = QatSpec(weight=QuantBits(bits=4, integer=0), activation=QuantBits(bits=6, integer=2),
                  input=QuantBits(bits=10, integer=3))
    q = family.build(params, (16,), 5, qat)
    rng = np.random.default_rng(0)
    kernel = rng.choice([-0.5, 0.25, 0.5], size=(16, 8)).astype(np.float32)  # on the 4-bit grid, no zeros
    kernel[:, :3] = 0.0  # 48 of 128 weights pruned
    q.get_layer("dense_0").set_weights([kernel, np.zeros(8, np.float32)])
    by_layer = {entry.layer: entry for entry in model_bops(q)}
    d0, logits = by_layer["dense_0"], by_layer["logits"]
    assert (d0.activation_bits, d0.weight_bits) == (10, 4)  # input quantizer feeds dense_0
    assert d0.remaining_fraction == pytest.approx(80 / 128)
    assert d0.bops == pytest.approx(8 * 16 * (80 / 128 * 10 * 4 + 10 + 4 + 4))
    assert (logits.activation_bits, logits.weight_bits, logits.num_inputs, logits.num_outputs) == (6, 4, 8, 5)

    f = family.build(params, (16,), 5, None)
    d0f = {entry.layer: entry for entry in model_bops(f)}["dense_0"]
    assert (d0f.activation_bits, d0f.weight_bits) == (32, 32)
