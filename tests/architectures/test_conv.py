"""The cnn family: registered, float and QKeras builds share layer names and shapes, bad geometry is refused."""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.architectures.registry import get_family
from edgenn.config.recipe import LayerQuant, QatSpec, QuantBits
from edgenn.errors import InvalidInputError


def test_family_is_registered_for_images():
    family = get_family("cnn")
    assert family.input_kind == "images"
    params = family.params_model()
    assert family.quantizable_layers(params) == ["conv_0", "conv_1", "dense_0", "logits"]


def test_float_and_quantized_builds_share_names_shapes_and_weights():
    family = get_family("cnn")
    params = family.params_model(filters=[4, 8], dense=[16])
    float_model = family.build(params, (16, 16, 1), 5)
    qat = QatSpec(input=QuantBits(bits=10, integer=0), layers={"conv_1": LayerQuant(weight=QuantBits(bits=4, integer=0))})
    q_model = family.build(params, (16, 16, 1), 5, qat=qat)
    float_names = [layer.name for layer in float_model.layers]
    q_names = [layer.name for layer in q_model.layers]
    assert [n for n in q_names if n != "input_quant"] == float_names
    for name in float_names:
        assert float_model.get_layer(name).output_shape == q_model.get_layer(name).output_shape, name
        q_model.get_layer(name).set_weights(float_model.get_layer(name).get_weights())  # same weight shapes
    # 16 -> conv 14 -> pool 7 -> conv 5 -> pool 2: 2*2*8 features into the head
    assert float_model.get_layer("flatten").output_shape == (None, 32)
    assert q_model.get_layer("conv_1").kernel_quantizer_internal.bits == 4  # per-layer override reached the layer
    x = np.random.default_rng(0).random((3, 16, 16, 1)).astype(np.float32)
    probs = q_model.predict(x, verbose=0)
    assert probs.shape == (3, 5) and np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_average_pooling_and_same_padding_build():
    family = get_family("cnn")
    params = family.params_model(filters=[4], pooling="average", padding="same", dense=[])
    model = family.build(params, (8, 8, 1), 3, qat=QatSpec())
    assert type(model.get_layer("pool_0")).__name__ == "AveragePooling2D"
    assert model.get_layer("flatten").output_shape == (None, 4 * 4 * 4)


def test_too_many_blocks_for_the_image_is_refused_naming_the_fix():
    family = get_family("cnn")
    params = family.params_model(filters=[4, 4, 4])
    with pytest.raises(InvalidInputError, match="shrink a 8x8 image"):
        family.build(params, (8, 8, 1), 5)


def test_bad_params_are_rejected():
    family = get_family("cnn")
    with pytest.raises(ValueError):
        family.params_model(filters=[0])
    with pytest.raises(ValueError):
        family.params_model(pooling="median")
    with pytest.raises(ValueError):
        family.params_model(kernal_size=3)  # typo: extra="forbid"
