"""Absent objects (zero-padded slots) must not change the autoencoder's loss or score (ADC2021 tutorial masking)."""

from __future__ import annotations

import numpy as np

from edgenn.training.anomaly_mask import masked_error, masked_mse_tf


def _events(n=64, seed=0):
    # standardised 57-input rows; slot 1 (first electron, inputs 3..5) absent in the first half of the events
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 57)).astype(np.float32)
    x[:, 1] = 0.0  # MET eta is always zero
    x[: n // 2, 3:6] = 0.0
    return x


def test_padded_slot_does_not_change_the_error():
    x = _events()
    recon = np.random.default_rng(1).normal(size=x.shape).astype(np.float32)
    moved = recon.copy()
    moved[:, 3:6] += 10.0  # the model "predicts" an electron everywhere
    before, after = masked_error(x, recon), masked_error(x, moved)
    np.testing.assert_array_equal(before[:32], after[:32])  # electron absent: score unchanged
    assert np.all(after[32:] > before[32:])  # electron present: a wrong reconstruction costs
    # the unmasked error would have counted the padded slot: the masking is what makes the difference
    assert np.all(np.mean((moved - x) ** 2, axis=1)[:32] > before[:32])


def test_tensorflow_loss_equals_numpy_score():
    import tensorflow as tf

    x = _events(seed=2)
    recon = np.random.default_rng(3).normal(size=x.shape).astype(np.float32)
    np.testing.assert_allclose(masked_mse_tf(tf.constant(x), tf.constant(recon)).numpy(), masked_error(x, recon),
                               rtol=1e-6)


def test_autoencoder_score_ignores_its_output_on_absent_objects():
    # the real score path (reconstruction_error, also the student's teacher score, and the export score) on a built
    # autoencoder whose output bias for the electron slot is pushed far off
    from edgenn.architectures.autoencoder import AutoencoderParams, build_autoencoder
    from edgenn.runners.figures import anomaly_score
    from edgenn.training.anomaly import reconstruction_error

    x = _events(seed=4)
    model = build_autoencoder(AutoencoderParams(), (57,))
    before = reconstruction_error(model, x)
    out = model.get_layer("output")
    kernel, bias = out.get_weights()
    bias[3:6] += 50.0
    out.set_weights([kernel, bias])
    after = reconstruction_error(model, x)
    np.testing.assert_allclose(after[:32], before[:32], rtol=1e-6)
    assert np.all(after[32:] > before[32:] + 100)
    host = anomaly_score("reconstruction", model.predict(x, verbose=0), x)
    np.testing.assert_allclose(host, after, rtol=1e-5)
