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


def econt_encoder():
    """The ECON-T sensor-data-compression encoder, fastmachinelearning/fastml-science
    ``sensor-data-compression/qDenseCNN.py`` (``qDenseCNN.init``, its default ``pams``) with the bit widths of
    ``sensor-data-compression/train.py`` (``build_model``): a (4, 4, 3) wafer image, input quantizer
    quantized_bits(10, 3), one QConv2D(8, 3x3, 'same') with quantized_bits(5, 1) weights and biases,
    quantized_relu(11, 3), Flatten, QDense(16) with quantized_bits(5, 1), and the 16 encoded values through
    quantized_relu(9, 1). The encoder is what goes on the ASIC/FPGA; the decoder runs off-detector."""
    import tensorflow as tf
    from qkeras import QActivation, QConv2D, QDense, quantized_bits, quantized_relu

    w = dict(kernel_quantizer=quantized_bits(5, 1, keep_negative=1, alpha=1),
             bias_quantizer=quantized_bits(5, 1, keep_negative=1, alpha=1))
    inp = tf.keras.Input((4, 4, 3), name="input_1")
    x = QActivation(quantized_bits(10, 3, keep_negative=1, alpha=1), name="input_qa")(inp)
    x = QConv2D(8, 3, padding="same", strides=(1, 1), name="conv2d_0_m", **w)(x)
    x = QActivation(quantized_relu(bits=11, integer=3), name="accum1_qa")(x)
    x = tf.keras.layers.Flatten(name="flatten")(x)
    x = QDense(16, name="encoded_vector", **w)(x)
    x = QActivation(quantized_relu(bits=9, integer=1), name="encod_qa")(x)
    return tf.keras.Model(inp, x, name="encoder")


def svhn_cnn():
    """The hls4ml tutorial's QKeras SVHN digit classifier, fastmachinelearning/hls4ml-tutorial
    ``_sources/part6_cnns.ipynb`` (the ``qmodel`` cell): (32, 32, 3) images, three QConv2DBatchnorm blocks of 16,
    16 and 24 filters (3x3, 'valid', quantized_bits(6, 0, alpha=1) weights and biases given as strings) each with
    QActivation('quantized_relu(6)') and MaxPooling2D(2x2), Flatten, QDense 42 and 64 without bias, each followed by
    a float BatchNormalization and quantized_relu(6), then a float Dense(10) head and a softmax: the tutorial
    leaves the last layer unquantized."""
    import tensorflow as tf
    from qkeras import QActivation, QConv2DBatchnorm, QDense

    L = tf.keras.layers
    x = x_in = tf.keras.Input((32, 32, 3), name="input_1")
    for i, filters in enumerate((16, 16, 24)):
        x = QConv2DBatchnorm(filters, kernel_size=(3, 3), strides=(1, 1),
                             kernel_quantizer="quantized_bits(6,0,alpha=1)",
                             bias_quantizer="quantized_bits(6,0,alpha=1)", use_bias=True,
                             name=f"fused_convbn_{i}")(x)
        x = QActivation("quantized_relu(6)", name=f"conv_act_{i}")(x)
        x = L.MaxPooling2D(pool_size=(2, 2), name=f"pool_{i}")(x)
    x = L.Flatten(name="flatten")(x)
    for i, n in enumerate((42, 64)):
        x = QDense(n, kernel_quantizer="quantized_bits(6,0,alpha=1)", use_bias=False, name=f"dense_{i}")(x)
        x = L.BatchNormalization(name=f"bn_dense_{i}")(x)
        x = QActivation("quantized_relu(6)", name=f"dense_act_{i}")(x)
    x = L.Dense(10, name="output_dense")(x)
    return tf.keras.Model(x_in, L.Activation("softmax", name="output_softmax")(x), name="qkeras")
