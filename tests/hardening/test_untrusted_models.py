"""A user's model file never runs code from the file unless --trust-model is given, in both Keras formats
(.h5 and the Keras 2.14 .keras zip with config.json): Lambda layers and custom classes are refused by reading the
stored config as JSON, before Keras deserialises anything."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edgenn.errors import InvalidInputError
from edgenn.modelio import load_model

FORMATS = [".h5", ".keras"]


def _side_effect_lambda_model(tmp: Path, suffix: str, marker: Path) -> Path:
    """A Lambda whose code creates ``marker`` whenever Keras runs it (building the model on load does)."""
    import tensorflow as tf

    inp = tf.keras.Input((4,))
    out = tf.keras.layers.Lambda(lambda t, p=str(marker): (open(p, "a").close(), t * 2)[1], name="times_two")(inp)
    path = tmp / f"lam{suffix}"
    tf.keras.Model(inp, out).save(path)
    return path


@pytest.mark.parametrize("suffix", FORMATS)
def test_lambda_is_refused_without_running_it_and_loads_when_trusted(tmp_path, suffix):
    marker = tmp_path / "code_ran"
    path = _side_effect_lambda_model(tmp_path, suffix, marker)
    marker.unlink(missing_ok=True)  # saving traced the layer once
    with pytest.raises(InvalidInputError) as err:
        load_model(path)
    assert "'times_two' is a Lambda" in str(err.value) and "--trust-model" in str(err.value)
    assert not marker.exists(), "code from the model file ran although the file was refused"

    model = load_model(path, trust_model=True)
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    assert np.array_equal(model(x).numpy(), 2 * x)
    assert marker.exists()  # the probe works: trusted code does run, so its absence above means something


@pytest.mark.parametrize("suffix", FORMATS)
def test_custom_class_is_refused_and_loads_when_trusted_and_importable(tmp_path, suffix):
    import tensorflow as tf

    @tf.keras.utils.register_keras_serializable(package="hardening")
    class DoubledDense(tf.keras.layers.Dense):
        def call(self, inputs):
            return 2 * super().call(inputs)

    inp = tf.keras.Input((4,))
    original = tf.keras.Model(inp, DoubledDense(3, name="doubled")(inp))
    path = tmp_path / f"custom{suffix}"
    original.save(path)
    with pytest.raises(InvalidInputError) as err:
        load_model(path)
    assert "'doubled'" in str(err.value) and "custom class" in str(err.value) and "--trust-model" in str(err.value)

    model = load_model(path, trust_model=True)
    x = np.ones((2, 4), np.float32)
    assert np.array_equal(model(x).numpy(), original(x).numpy())
