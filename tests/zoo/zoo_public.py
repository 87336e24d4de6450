"""Builders of zoo models rebuilt from public models written by other people (layer stacks, widths and quantizers
read from their published definitions; the code is written here). ``zoo_models.ZOO`` lists them."""

from __future__ import annotations


def _q(bits, integer):
    from qkeras import quantized_bits

    return quantized_bits(bits, integer, alpha=1)


def l1_llp_jet_tagger():
    """Brainz22/L1JetTagger ``qkerasModel.py`` (an L1 long-lived-particle jet tagger): 10 particles x 14 features, two
    per-particle QConv1D(10, kernel 1) with quantized_bits(8, 3) weights and quantized_relu(8), global average pooling,
    QDense(10) + quantized_relu(8), QDense(1), sigmoid. No input quantizer (the export types the input from --data)."""
    import tensorflow as tf
    from qkeras import QActivation, QConv1D, QDense, quantized_relu

    w = dict(kernel_quantizer=_q(8, 3), bias_quantizer=_q(8, 3))
    inp = tf.keras.Input((10, 14), name="input_1")
    x = QActivation(quantized_relu(8), name="q_activation")(QConv1D(10, 1, name="q_conv1d", **w)(inp))
    x = QActivation(quantized_relu(8), name="q_activation_1")(QConv1D(10, 1, name="q_conv1d_1", **w)(x))
    x = tf.keras.layers.GlobalAveragePooling1D(name="global_average_pooling1d")(x)
    x = QActivation(quantized_relu(8), name="q_activation_2")(QDense(10, name="q_dense", **w)(x))
    x = QDense(1, name="q_dense_1", **w)(x)
    return tf.keras.Model(inp, tf.keras.layers.Activation("sigmoid", name="sigmoid")(x), name="l1_llp_jet_tagger")


def cms_l1_jet_tagger():
    """The CMS L1 jet-tagging QKeras ``baseline`` (tagger/model, JetTagModel): BatchNormalization on the inputs, two
    per-constituent QConv1D(10, kernel 1) with quantized_bits(9, 2) weights and quantized_relu(9), a
    QActivation(quantized_bits(18, 8)) before GlobalAveragePooling1D, then two heads: jet ID QDense 32-16-classes with
    quantized_relu(9) and softmax, and pT regression QDense(10) + quantized_relu(9), QDense(1) with quantized_bits(16, 6).
    The input shape is not in the definition: 16 constituents x 8 features here; 8 classes."""
    import tensorflow as tf
    from qkeras import QActivation, QConv1D, QDense, quantized_relu

    w = dict(kernel_quantizer=_q(9, 2), bias_quantizer=_q(9, 2))
    inp = tf.keras.Input((16, 8), name="model_input")
    x = tf.keras.layers.BatchNormalization(name="norm_input")(inp)
    x = QActivation(quantized_relu(9), name="relu_1")(QConv1D(10, 1, name="Conv1D_1", **w)(x))
    x = QActivation(quantized_relu(9), name="relu_2")(QConv1D(10, 1, name="Conv1D_2", **w)(x))
    x = QActivation("quantized_bits(18,8)", name="act_pool")(x)
    x = tf.keras.layers.GlobalAveragePooling1D(name="avgpool")(x)
    j = QActivation(quantized_relu(9), name="relu_1_jetID")(QDense(32, name="Dense_1_jetID", **w)(x))
    j = QActivation(quantized_relu(9), name="relu_2_jetID")(QDense(16, name="Dense_2_jetID", **w)(j))
    j = tf.keras.layers.Activation("softmax", name="jet_id_output")(QDense(8, name="Dense_3_jetID", **w)(j))
    p = QActivation(quantized_relu(9), name="relu_1_pt")(QDense(10, name="Dense_1_pT", **w)(x))
    p = QDense(1, kernel_quantizer=_q(16, 6), bias_quantizer=_q(16, 6), name="pT_output")(p)
    return tf.keras.Model(inp, [j, p], name="cms_l1_jet_tagger")


def smart_pixel():
    """KastnerRG/edge-nns ``smart-pixel/models.py`` ``qkeras_dense_model`` (on-sensor pixel-cluster filter): 13 inputs,
    QDense(58) with quantized_bits(4, 0) weights, BatchNormalization, quantized_relu(8, 0), QDense(3) logits."""
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_relu

    inp = tf.keras.Input((13,), name="input1")
    x = QDense(58, kernel_quantizer=_q(4, 0), bias_quantizer=_q(4, 0), name="dense1")(inp)
    x = tf.keras.layers.BatchNormalization(name="batch_normalization")(x)
    x = QActivation(quantized_relu(8, 0), name="q_activation")(x)
    x = QDense(3, kernel_quantizer=_q(4, 0), bias_quantizer=_q(4, 0), name="dense2")(x)
    return tf.keras.Model(inp, x, name="smart_pixel")
