"""ii_target: the PF/RF choice per layer, refusals, and the settings precedence (no compile: planner only)."""

import pytest

from edgenn.config.recipe import FpgaSpec
from edgenn.errors import InvalidInputError
from edgenn.exporters.hls import HlsSettings
from edgenn.exporters.throughput import ii_target_cycles, plan_ii, valid_reuse_factor


@pytest.fixture(scope="module")
def set_model():
    import tensorflow as tf

    x = inp = tf.keras.Input((16, 5))
    x = tf.keras.layers.Dense(8, name="phi_0")(x)           # per particle: a PointwiseConv1D over 16 particles
    x = tf.keras.layers.GlobalAveragePooling1D(name="pool")(x)
    x = tf.keras.layers.Dense(4, name="head_0")(x)          # flat Dense
    return tf.keras.Model(inp, x)


@pytest.fixture(scope="module")
def cnn_model():
    import tensorflow as tf

    x = inp = tf.keras.Input((16, 16, 1))
    x = tf.keras.layers.Conv2D(4, 3, name="conv_0")(x)      # 14 x 14 = 196 output pixels
    x = tf.keras.layers.MaxPooling2D(2, name="pool_0")(x)
    x = tf.keras.layers.Flatten(name="flat")(x)
    x = tf.keras.layers.Dense(5, name="logits")(x)
    return tf.keras.Model(inp, x)


@pytest.mark.parametrize("target, pf", [(1, 16), (2, 8), (5, 4), (16, 1), (100, 1)])
def test_smallest_parallelization_that_meets_the_target(set_model, target, pf):
    plan = plan_ii(set_model, target, reuse_factor=1, io_type="io_parallel")
    assert plan["phi_0"].parallelization_factor == pf
    assert plan["phi_0"].ii_cycles == 16 // pf <= target
    assert plan["head_0"].parallelization_factor is None and plan["head_0"].ii_cycles == 1


def test_target_lowers_a_reuse_factor_that_would_miss_it_but_never_raises_one(set_model):
    plan = plan_ii(set_model, 4, reuse_factor=8, io_type="io_parallel")
    for choice in plan.values():
        assert choice.ii_cycles <= 4 and choice.reuse_factor <= 4
    assert plan_ii(set_model, 4, reuse_factor=1, io_type="io_parallel")["head_0"].reuse_factor == 1


def test_conv_partitions_divide_the_output_image(cnn_model):
    choice = plan_ii(cnn_model, 5, reuse_factor=1, io_type="io_parallel")["conv_0"]
    assert 196 % choice.parallelization_factor == 0 and choice.ii_cycles == 196 // choice.parallelization_factor <= 5
    assert choice.parallelization_factor == 49  # 196 / 49 = 4 partitions; 28 would give 7 > 5


def test_stream_convolution_that_cannot_keep_up_is_refused(cnn_model):
    with pytest.raises(InvalidInputError, match=r"layer 'conv_0'.*II 256 .*io_parallel"):
        plan_ii(cnn_model, 5, reuse_factor=1, io_type="io_stream")


def test_explicit_layer_settings_win_and_are_checked(set_model):
    plan = plan_ii(set_model, 8, reuse_factor=1, io_type="io_parallel", explicit={"phi_0": {"parallelization_factor": 4}})
    assert plan["phi_0"].parallelization_factor == 4 and plan["phi_0"].ii_cycles == 4
    with pytest.raises(InvalidInputError, match="phi_0.*II 4.*export.fpga.layers.phi_0"):
        plan_ii(set_model, 2, reuse_factor=1, io_type="io_parallel", explicit={"phi_0": {"parallelization_factor": 4}})
    with pytest.raises(InvalidInputError, match="does not divide"):
        plan_ii(set_model, 2, reuse_factor=1, io_type="io_parallel", explicit={"phi_0": {"parallelization_factor": 3}})


def test_build_hls_config_writes_the_choice_and_explicit_settings_override_it(set_model):
    from edgenn.exporters.hls import apply_layer_settings

    cfg = {name: {"ReuseFactor": 1} for name in ("phi_0", "pool", "head_0")}
    apply_layer_settings(set_model, cfg, HlsSettings(ii_target=1))
    assert cfg["phi_0"]["ParallelizationFactor"] == 16
    apply_layer_settings(set_model, cfg, HlsSettings(layers={"phi_0": {"parallelization_factor": 2}}))
    assert cfg["phi_0"]["ParallelizationFactor"] == 2
    with pytest.raises(InvalidInputError, match="unknown layer"):
        apply_layer_settings(set_model, cfg, HlsSettings(layers={"phi_9": {"reuse_factor": 2}}))


def test_input_rate_is_converted_with_the_clock():
    assert ii_target_cycles(None, 40.0, 5.0) == 5       # 200 MHz clock, 40 MHz bunch crossings
    assert ii_target_cycles(None, 40.0, 25.0) == 1
    assert ii_target_cycles(None, 30.0, 5.0) == 6       # rounded down: 6.67 cycles would fall behind
    with pytest.raises(InvalidInputError, match="faster than"):
        ii_target_cycles(None, 400.0, 5.0)
    with pytest.raises(InvalidInputError, match="not both"):
        ii_target_cycles(5, 40.0, 5.0)
    assert HlsSettings.from_spec(FpgaSpec(input_rate_mhz=40)).to_dict()["ii_target"] == 5


def test_reuse_factor_rule_matches_hls4ml():
    from hls4ml.backends import get_backend

    backend = get_backend("Vitis")
    for n_in, n_out in [(5, 8), (16, 16), (10, 3)]:
        assert [rf for rf in range(1, 20) if valid_reuse_factor(n_in, n_out, rf)] == \
            [rf for rf in backend.get_valid_reuse_factors(n_in, n_out) if rf < 20]


def test_a_layer_whose_ii_is_not_modelled_is_refused():
    import tensorflow as tf

    x = inp = tf.keras.Input((8,))
    x = tf.keras.layers.LSTM(4, name="rnn")(tf.keras.layers.Reshape((2, 4))(x))
    with pytest.raises(InvalidInputError, match="layer 'rnn' \\(LSTM\\) is not modelled"):
        plan_ii(tf.keras.Model(inp, x), 5, reuse_factor=1, io_type="io_parallel")
