"""Constituent families (Deep Sets, interaction network, linear graph network): structure, permutation invariance in Keras, and (slow) the
C simulation: bit-exact against QKeras on 10,000 random in-range inputs and unchanged under particle shuffles."""

import numpy as np
import pytest

from edgenn.architectures.registry import get_family
from edgenn.config.recipe import QatSpec, QuantBits
from edgenn_testing import quantized_family_model

N, P, CLASSES = 16, 3, 5
QAT = QatSpec(input=QuantBits(bits=12, integer=3))
CASES = {
    "deepsets_mean": ("deepsets", {"phi": [8, 8], "head": [8], "pooling": "mean"}),
    "deepsets_max": ("deepsets", {"phi": [8, 8], "head": [8], "pooling": "max"}),
    "interaction_net": ("interaction_net", {"edge": [8, 4], "node": [8, 4], "head": [8]}),
    "jedi_linear": ("jedi_linear", {"phi": [8, 8], "node": [8, 4], "head": [8]}),
}


def quantized_model(case: str, seed: int = 0):
    """The family's QKeras build with random weights stored on their quantizer grids (as the QAT pass leaves them)."""
    family, params = CASES[case]
    return quantized_family_model(family, params, (N, P), CLASSES, QAT, seed)


def jets(num: int, seed: int = 1) -> np.ndarray:
    """Random constituents in the input quantizer's range, the last particles of some jets zero-padded."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.uniform(0, 1, (num, N, 1)), rng.uniform(-0.8, 0.8, (num, N, P - 1))], axis=-1)
    num_real = rng.integers(N // 2, N + 1, size=num)
    x[np.arange(N)[None, :] >= num_real[:, None]] = 0.0
    return QAT_INPUT.quantize(x).astype(np.float32)


def _input_type():
    from edgenn.exporters.fixed_point import FixedPoint

    return FixedPoint(12, 4, True, "RND_CONV", "SAT")


QAT_INPUT = _input_type()


def shuffled(x: np.ndarray, seed: int = 2) -> np.ndarray:
    """Each jet's particles in a random order (padding rows included: the models see them as particles)."""
    rng = np.random.default_rng(seed)
    order = np.argsort(rng.random(x.shape[:2]), axis=1)
    return np.take_along_axis(x, order[..., None], axis=1)


def test_incidence_matrices_describe_the_complete_directed_graph():
    from edgenn.architectures.interaction_net import incidence_matrices

    r, s = incidence_matrices(5)
    assert r.shape == s.shape == (5, 20)
    assert (r.sum(axis=0) == 1).all() and (s.sum(axis=0) == 1).all()
    edges = {(int(np.argmax(r[:, e])), int(np.argmax(s[:, e]))) for e in range(20)}
    assert edges == {(i, j) for i in range(5) for j in range(5) if i != j}


@pytest.mark.parametrize("case", sorted(CASES))
def test_quantized_model_ignores_particle_order(case):
    model = quantized_model(case)
    x = jets(256)
    y, y_shuffled = model.predict(x, verbose=0), model.predict(shuffled(x), verbose=0)
    # all sums in the quantized model are exact in float32 (fewer than 24 significant bits), so order cannot matter
    assert np.array_equal(y, y_shuffled)
    assert np.std(y[:, 0]) > 0  # the check is not vacuous: outputs depend on the input


def test_float_interaction_net_is_permutation_invariant_up_to_float_rounding():
    fam = get_family("interaction_net")
    model = fam.build(fam.params_model(edge=[8], node=[8], head=[8]), (N, P), CLASSES, None)
    x = jets(64)
    # float32 sums in another order round differently: equal within float32 rounding, not bit for bit
    np.testing.assert_allclose(model.predict(x, verbose=0), model.predict(shuffled(x), verbose=0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case, fixed_names, trained", [
    ("interaction_net", ("gather_receivers", "gather_senders", "aggregate"), "edge_0"),
    ("jedi_linear", ("aggregate", "broadcast"), "node_0")])
def test_fixed_matrices_are_neither_trained_nor_pruned(case, fixed_names, trained):
    from edgenn.compression.layers import is_prunable

    model = quantized_model(case)
    fixed = [model.get_layer(n) for n in fixed_names]
    assert all(not layer.trainable and not is_prunable(layer) for layer in fixed)
    assert is_prunable(model.get_layer(trained))


def test_jedi_linear_weights_grow_linearly_with_the_particle_count():
    """Kernels shared by every particle do not grow with N; the fixed sum/broadcast kernels hold N ones each (the
    interaction network's fixed matrices grow as N^2 (N - 1))."""
    fam = get_family("jedi_linear")
    params = fam.params_model(phi=[8], node=[8], head=[8])

    def weights(n):
        model = fam.build(params, (n, P), CLASSES, QAT)
        fixed = sum(int(np.count_nonzero(model.get_layer(k).get_weights()[0])) for k in ("aggregate", "broadcast"))
        return model.count_params() - sum(model.get_layer(k).count_params() for k in ("aggregate", "broadcast")), fixed

    (shared_8, fixed_8), (shared_32, fixed_32) = weights(8), weights(32)
    assert shared_8 == shared_32
    assert (fixed_8, fixed_32) == (16, 64)


def test_jedi_linear_gives_every_particle_the_jet_sum():
    """The concatenated form, as JEDI-linear writes it: every particle's node input holds the jet's sum of phi."""
    from tensorflow import keras

    family, params = CASES["jedi_linear"]
    model = quantized_family_model(family, {**params, "global_term": "concatenated"}, (N, P), CLASSES, QAT)
    x = jets(32)
    probe = keras.Model(model.input, [model.get_layer("phi_relu_1").output,
                                      model.get_layer("global_to_particles").output])
    h, spread = probe.predict(x, verbose=0)
    assert np.array_equal(spread, np.repeat(h.sum(axis=1, keepdims=True), N, axis=1))


def test_factored_global_term_is_the_concatenated_network_with_the_sum_term_computed_once():
    """[h_i, s] W + b = h_i W_a + s W_b + b: the default build, given the concatenated build's weights with node_0's
    kernel split in two, has the same exact outputs; its global kernel runs on one row, not on N."""
    from edgenn.reference import evaluate

    family, params = CASES["jedi_linear"]
    concatenated = quantized_family_model(family, {**params, "global_term": "concatenated"}, (N, P), CLASSES, QAT)
    factored = quantized_model("jedi_linear", seed=9)
    assert factored.get_layer("node_0_global").input_shape == (None, 1, params["phi"][-1])
    width = params["phi"][-1]
    for layer in concatenated.layers:
        weights = layer.get_weights()
        if layer.name == "node_0":
            kernel, bias = weights
            factored.get_layer("node_0").set_weights([kernel[:width], bias])
            factored.get_layer("node_0_global").set_weights([kernel[width:]])
        elif weights:
            factored.get_layer(layer.name).set_weights(weights)
    x = jets(500)
    want, got = evaluate(concatenated, x), evaluate(factored, x)
    assert want.is_exact("logits") and got.is_exact("logits")
    assert len(np.unique(want.outputs["logits"], axis=0)) > 10  # the outputs depend on the input
    assert np.array_equal(got.outputs["logits"], want.outputs["logits"])


@pytest.mark.slow
@pytest.mark.parametrize("case", ["deepsets_mean", "interaction_net"])
def test_csim_is_bit_exact_and_permutation_invariant(case, tmp_path):
    from edgenn.exporters.csim import simulate_csim
    from edgenn.exporters.hls import HlsSettings, export_hls

    model = quantized_model(case)
    project = export_hls(model, tmp_path / "hls", HlsSettings())
    assert project.precision.bit_exact
    x = jets(10000)
    result = simulate_csim(project, model, x)
    logits = project.precision.logits_layer
    assert result.firmware[logits].shape == (10000, CLASSES)
    assert np.array_equal(result.firmware[logits], result.reference[logits])
    again = simulate_csim(project, model, shuffled(x))
    assert np.array_equal(again.firmware[logits], result.firmware[logits])
    assert np.array_equal(again.firmware[project.precision.output_layer], result.firmware[project.precision.output_layer])


def test_interaction_net_round_trips_through_the_saved_model_file(tmp_path):
    from edgenn.modelio import load_model, save_model

    model = quantized_model("interaction_net")
    save_model(model, tmp_path / "model.h5")
    again = load_model(tmp_path / "model.h5", trust_model=True)
    x = jets(64)
    assert np.array_equal(model.predict(x, verbose=0), again.predict(x, verbose=0))
    assert not again.get_layer("aggregate").trainable
