"""Builders of the zoo models for the layers hls4ml 1.3 converts that edgenn added last (issue 13, step 1): Dot,
Embedding, LayerNormalization, TimeDistributed. ``zoo_models.ZOO`` lists them with the rest."""

from __future__ import annotations


def _q(bits=6, integer=0):
    from qkeras import quantized_bits

    return quantized_bits(bits, integer, alpha=1)


def dot_similarity():
    """Two QDense embeddings of one input and their inner product (a similarity score), as in matching models."""
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_relu

    inp = tf.keras.Input((10,), name="x")
    h = QActivation(_q(8, 3), name="q_in")(inp)
    a = QActivation(quantized_relu(6, 2), name="ra")(QDense(8, kernel_quantizer=_q(), bias_quantizer=_q(),
                                                            name="a")(h))
    b = QActivation(quantized_bits_signed(), name="qb")(QDense(8, kernel_quantizer=_q(), bias_quantizer=_q(),
                                                                name="b")(h))
    return tf.keras.Model(inp, tf.keras.layers.Dot(axes=1, name="score")([a, b]), name="dot_similarity")


def quantized_bits_signed():
    return _q(6, 2)


def embedding_tokens():
    """Integer tokens (e.g. particle-type codes) -> Embedding -> Flatten -> QDense, weights stored on a 2**-5 grid."""
    import numpy as np
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_relu

    inp = tf.keras.Input((6,), name="tokens")
    emb = tf.keras.layers.Embedding(12, 4, name="embed")
    h = tf.keras.layers.Flatten(name="flat")(emb(inp))
    h = QActivation(quantized_relu(6, 2), name="relu1")(QDense(8, kernel_quantizer=_q(), bias_quantizer=_q(),
                                                               name="fc1")(h))
    model = tf.keras.Model(inp, QDense(3, kernel_quantizer=_q(), bias_quantizer=_q(), name="out")(h),
                           name="embedding_tokens")
    table = np.random.default_rng(3).uniform(-1, 1, (12, 4))
    emb.set_weights([(np.round(table * 32) / 32).astype(np.float32)])  # a quantized embedding table
    return model


def time_distributed():
    """Per-particle QDense written with TimeDistributed (a fused quantized_relu), then a pooled QDense head."""
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_relu

    inp = tf.keras.Input((8, 3), name="particles")
    h = QActivation(_q(8, 3), name="q_in")(inp)
    h = tf.keras.layers.TimeDistributed(QDense(8, kernel_quantizer=_q(), bias_quantizer=_q(),
                                               activation=quantized_relu(6, 2)), name="per_particle")(h)
    h = tf.keras.layers.TimeDistributed(QDense(4, kernel_quantizer=_q(), bias_quantizer=_q()), name="per_particle2")(h)
    h = tf.keras.layers.GlobalAveragePooling1D(name="pool")(h)
    return tf.keras.Model(inp, QDense(3, kernel_quantizer=_q(), bias_quantizer=_q(), name="out")(h),
                          name="time_distributed")


def layer_norm():
    """A per-particle QDense, LayerNormalization over the features (transformer-style), pooled QDense head; inputs in
    [-1, 1) so every row's variance stays below 1, the range of hls4ml's 1/sqrt table."""
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_relu

    inp = tf.keras.Input((4, 6), name="particles")
    h = QActivation(_q(8, 0), name="q_in")(inp)
    h = tf.keras.layers.LayerNormalization(name="norm")(h)
    h = QActivation(_q(8, 2), name="q_norm")(h)
    h = tf.keras.layers.TimeDistributed(QDense(8, kernel_quantizer=_q(), bias_quantizer=_q()), name="fc")(h)
    h = QActivation(quantized_relu(6, 2), name="relu")(h)
    h = tf.keras.layers.GlobalAveragePooling1D(name="pool")(h)
    return tf.keras.Model(inp, QDense(3, kernel_quantizer=_q(), bias_quantizer=_q(), name="out")(h),
                          name="layer_norm")


def two_inputs_float():
    """A float two-input trigger model (jets and muons, Dense branches, Concatenate, softmax head) for --ptq."""
    import tensorflow as tf

    jets, muons = tf.keras.Input((10,), name="jets"), tf.keras.Input((4,), name="muons")
    a = tf.keras.layers.Dense(12, activation="relu", name="jet_fc")(jets)
    b = tf.keras.layers.Dense(6, name="muon_fc")(muons)
    b = tf.keras.layers.BatchNormalization(name="muon_bn")(b)
    b = tf.keras.layers.Activation("relu", name="muon_relu")(b)
    h = tf.keras.layers.Concatenate(name="join")([a, b])
    h = tf.keras.layers.Dense(8, activation="relu", name="fc")(h)
    return tf.keras.Model([jets, muons], tf.keras.layers.Dense(3, activation="softmax", name="out")(h),
                          name="two_inputs_float")
