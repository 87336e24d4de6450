"""BOPs (arXiv:2103.05579 Eq. 1) on hand-computed layers, float and quantized."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from edgenn.compression.bops import dense_bops, model_bops
from edgenn.config.recipe import QatSpec, QuantBits


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


def tiny_cnn(pooling: str, qat: QatSpec | None):
    from edgenn.architectures.registry import get_family

    family = get_family("cnn")
    params = family.params_model(filters=[2, 4], kernel_size=3, pool_size=2, pooling=pooling, dense=[4], l1=0.0)
    return family.build(params, (12, 12, 1), 3, qat)


CNN_QAT = QatSpec(input=QuantBits(bits=10, integer=0), weight=QuantBits(bits=6, integer=0),
                  activation=QuantBits(bits=8, integer=3))


def test_input_bits_look_through_pooling_and_flatten():
    # 12 -> conv 10 -> pool 5 -> conv 3 -> pool 1 -> flatten: conv_1 and dense_0 read 8-bit ReLU outputs
    by_layer = {entry.layer: entry for entry in model_bops(tiny_cnn("max", CNN_QAT))}
    assert by_layer["conv_0"].activation_bits == 10  # the input quantizer
    assert by_layer["conv_1"].activation_bits == 8  # conv_relu_0 -> pool_0
    assert by_layer["dense_0"].activation_bits == 8  # conv_relu_1 -> pool_1 -> flatten
    # a 2x2 average adds two fraction bits, as in the firmware's exact type
    avg = {entry.layer: entry for entry in model_bops(tiny_cnn("average", CNN_QAT))}
    assert avg["conv_1"].activation_bits == avg["dense_0"].activation_bits == 10
    # float layers stay 32-bit
    assert {e.activation_bits for e in model_bops(tiny_cnn("max", None))} == {32}


def test_input_bits_of_graph_layers_follow_permutes_and_fixed_matrices():
    from edgenn.architectures.registry import get_family

    family = get_family("interaction_net")
    params = family.params_model(edge=[4], node=[4], head=[4], l1=0.0)
    qat = QatSpec(input=QuantBits(bits=12, integer=3), weight=QuantBits(bits=8, integer=1),
                  activation=QuantBits(bits=8, integer=3))
    by_layer = {entry.layer: entry for entry in model_bops(family.build(params, (4, 3), 5, qat))}
    # edge_0 reads gathered particle features (one term per output of a 0/1 matrix): the 12-bit input
    assert by_layer["edge_0"].activation_bits == 12
    # node_0 reads [particle features (12 bits), sum over 3 incoming edges of 8-bit values (8 + 2 bits)]
    assert by_layer["node_0"].activation_bits == 12
    assert by_layer["aggregate"].activation_bits == 8
    assert by_layer["gather_receivers"].activation_bits == 12  # input quantizer -> Permute
    # mean pooling over 4 particles of 8-bit ReLU outputs: two more fraction bits
    assert by_layer["head_0"].activation_bits == 10


def test_convolution_kernels_are_pruned_by_the_pruning_wrapper():
    import tensorflow as tf

    from edgenn.compression.layers import is_prunable, kernel_sparsity
    from edgenn.compression.prune import PruningPlan, PruningSteps, wrap_for_pruning
    from edgenn.config.recipe import PruneSpec

    model = tiny_cnn("max", CNN_QAT)
    assert is_prunable(model.get_layer("conv_0")) and is_prunable(model.get_layer("dense_0"))
    assert is_prunable(tiny_cnn("max", None).get_layer("conv_1"))
    assert not is_prunable(model.get_layer("pool_0"))
    plan = PruningPlan(PruneSpec(final_sparsity=0.5), PruningSteps(0, 2, 1, 4), ("conv_0", "conv_1", "dense_0", "logits"))
    wrapped = wrap_for_pruning(model, plan)
    import tensorflow_model_optimization as tfmot

    wrapped.compile(optimizer="adam", loss=tf.keras.losses.SparseCategoricalCrossentropy())
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 1, (32, 12, 12, 1)).astype(np.float32), rng.integers(0, 3, 32)
    wrapped.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    stripped = tfmot.sparsity.keras.strip_pruning(wrapped)
    sparsity = kernel_sparsity(stripped, effective=False)
    assert sparsity["conv_0"] == pytest.approx(0.5, abs=0.5 / 18 + 1e-9)  # 3*3*1*2 = 18 weights
    assert sparsity["conv_1"] == pytest.approx(0.5, abs=0.5 / 72 + 1e-9)


def test_sum_of_squares_counts_the_product_width_not_float():
    # the VAE score model's tail: 6-bit mu, mu * mu (exact: 12 bits), then the fixed all-ones sum
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits

    x = inp = tf.keras.layers.Input((3,))
    mu = QActivation(quantized_bits(6, 2, alpha=1), name="mu_quant")(x)
    sq = tf.keras.layers.Multiply(name="mu_squared")([mu, mu])
    out = QDense(1, use_bias=False, trainable=False, kernel_quantizer=quantized_bits(2, 1, alpha=1),
                 name="sum_squares")(sq)
    layer = model_bops(tf.keras.Model(inp, out))[-1]
    assert (layer.layer, layer.activation_bits, layer.weight_bits) == ("sum_squares", 12, 2)
    # a float factor makes the product float
    fsq = tf.keras.layers.Multiply()([x, mu])
    fout = QDense(1, use_bias=False, kernel_quantizer=quantized_bits(2, 1, alpha=1))(fsq)
    assert model_bops(tf.keras.Model(inp, fout))[-1].activation_bits == 32
