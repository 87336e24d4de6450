"""Reconstruction error that ignores absent objects, as the ADC2021 authors' autoencoder tutorial does.

The 57 inputs hold fixed slots (MET, 4 e, 4 mu, 10 jets); a slot with no object is zero-padded, and the standardiser
keeps it exactly zero. Counting the reconstruction of those zeros trains the model to spend its capacity on
predicting "nothing here" and makes an event's score depend on how many empty slots it has. The ADC2021 tutorial
multiplies the output by ``inputs != 0`` before the squared error and averages over all 57 inputs; this module does
the same, element by element, so MET's always-zero eta is masked as well. The denominator stays 57 (not the number of
present inputs), as in the tutorial: the score is the summed error of the objects that exist, on a fixed scale.

Noisy distillation copies have no exact zeros, so for them every slot counts: on purpose (an object appearing in
an empty slot is what many signals look like).

Images (calorimeter regions, (N, H, W, C)) have no absent objects: a region without energy is a measured zero, so
their error is the plain mean over every pixel, as CICADA's teacher uses. ``reconstruction_error`` and
``reconstruction_loss_tf`` choose by the input's rank: flat object rows are masked, images are not.
"""

from __future__ import annotations

import numpy as np


def present(x: np.ndarray) -> np.ndarray:
    """float32 mask, 1 where the input is a real value, 0 where it is zero padding."""
    return (np.asarray(x) != 0).astype(np.float32)


def masked_error(x: np.ndarray, recon: np.ndarray, dtype=np.float32) -> np.ndarray:
    """Per-event mean over the 57 inputs of (mask * recon - x)^2 (x is 0 wherever the mask is).

    ``dtype`` float64 for firmware comparisons, where float32 rounding would hide a bit-level difference."""
    x = np.asarray(x, dtype).reshape(len(x), -1)
    recon = np.asarray(recon, dtype).reshape(len(x), -1)
    return np.mean(((x != 0) * recon - x) ** 2, axis=1)


def masked_mse_tf(x, recon):
    """The same error as a TensorFlow expression (per event), for the AE loss and the VAE reconstruction term."""
    import tensorflow as tf

    mask = tf.cast(tf.not_equal(x, 0.0), recon.dtype)
    return tf.reduce_mean(tf.square(mask * recon - x), axis=1)


def reconstruction_error(x: np.ndarray, recon: np.ndarray, dtype=np.float32) -> np.ndarray:
    """Per-event error: ``masked_error`` of flat object rows (N, F), the plain mean squared error of images."""
    if np.ndim(x) <= 2:
        return masked_error(x, recon, dtype)
    x = np.asarray(x, dtype).reshape(len(x), -1)
    return np.mean((np.asarray(recon, dtype).reshape(len(x), -1) - x) ** 2, axis=1)


def reconstruction_loss_tf(x, recon):
    """``reconstruction_error`` as a TensorFlow expression (per event): the autoencoder training loss."""
    import tensorflow as tf

    if x.shape.rank is not None and x.shape.rank <= 2:
        return masked_mse_tf(x, recon)
    return tf.reduce_mean(tf.square(recon - x), axis=list(range(1, x.shape.rank)))
