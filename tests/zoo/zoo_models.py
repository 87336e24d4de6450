"""The model zoo (issue 13 item 8): Keras / QKeras models written the way users write them, each exported as saved.

Every entry builds a model (Sequential or functional, as its users would write it), saves it to ``.h5`` and gives
validation inputs of the right shape; ``export_args`` are the extra ``edgenn export`` flags the user would pass.
``origin`` says where the way of writing it comes from: "rebuilt from" entries follow published models written by
other people (layer stacks and quantizers read from the public source; the code is written here). A model with
several inputs gives ``input_shape`` as {input name: shape}; its ``--data`` file holds one array per input under the
input names, as the README tells users to save it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import zoo_layers
import zoo_public


@dataclass(frozen=True)
class ZooModel:
    name: str
    origin: str
    build: Callable[[], object]
    input_shape: tuple[int, ...] | dict[str, tuple[int, ...]]
    export_args: tuple[str, ...] = ()
    classes: int | None = None  # labels for --data (accuracy figures); None: no labels
    tags: tuple[str, ...] = field(default_factory=tuple)
    index_range: int | None = None  # inputs are integer indices in [0, index_range) (an Embedding's tokens)
    fpga_args: tuple[str, ...] = ()  # flags of the fpga target only (hardware settings: onnx takes none)

    def write(self, directory: Path, rows: int = 400, seed: int = 0) -> tuple[Path, Path]:
        import tensorflow as tf

        tf.keras.utils.set_random_seed(seed)
        model = self.build()
        _randomise_batchnorm(model, np.random.default_rng(seed))
        path, data = directory / f"{self.name}.h5", directory / f"{self.name}.npz"
        model.save(path)
        rng = np.random.default_rng(seed + 1)
        shapes = self.input_shape if isinstance(self.input_shape, dict) else {"x": self.input_shape}
        if self.index_range is not None:
            arrays = {key: rng.integers(0, self.index_range, (rows, *shape)).astype(np.float32)
                      for key, shape in shapes.items()}
        else:
            arrays = {key: rng.normal(0, 1.5, (rows, *shape)).astype(np.float32) for key, shape in shapes.items()}
        if self.classes is not None:
            arrays["y"] = rng.integers(0, self.classes, rows)
        np.savez(data, **arrays)
        return path, data


def _randomise_batchnorm(model, rng) -> None:
    """Trained-looking BatchNorm statistics (a fresh layer is the identity up to epsilon)."""
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            n = layer.gamma.shape[0]
            layer.set_weights([rng.uniform(0.5, 1.5, n), rng.normal(0, 0.3, n), rng.normal(0, 0.5, n),
                               rng.uniform(0.5, 2.0, n)])


def _q(bits=6, integer=0):
    from qkeras import quantized_bits

    return quantized_bits(bits, integer, alpha=1)


def _tutorial_part4():
    """hls4ml-tutorial part 4 (QKeras jet tagger): Sequential 16-64-32-32-5, quantized_bits(6,0,alpha=1),
    quantized_relu(6), softmax head."""
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_relu

    layers = []
    for i, width in enumerate((64, 32, 32)):
        kw = {"input_shape": (16,)} if i == 0 else {}
        layers += [QDense(width, kernel_quantizer=_q(), bias_quantizer=_q(), name=f"fc{i + 1}", **kw),
                   QActivation(quantized_relu(6), name=f"relu{i + 1}")]
    layers += [QDense(5, kernel_quantizer=_q(), bias_quantizer=_q(), name="output"),
               tf.keras.layers.Activation("softmax", name="softmax")]
    return tf.keras.Sequential(layers, name="tutorial_part4")


def _baseline_bn():
    """The public 6-bit QKeras jet-tagging baseline (QDense + BatchNormalization + quantized_relu, softmax)."""
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_relu

    layers = []
    for i, width in enumerate((64, 32, 32)):
        kw = {"input_shape": (16,)} if i == 0 else {}
        layers += [QDense(width, kernel_quantizer=_q(), bias_quantizer=_q(), name=f"fc{i + 1}", **kw),
                   tf.keras.layers.BatchNormalization(name=f"bn{i + 1}"),
                   QActivation(quantized_relu(6), name=f"relu{i + 1}")]
    layers += [QDense(5, kernel_quantizer=_q(), bias_quantizer=_q(), name="output"),
               tf.keras.layers.Activation("softmax", name="softmax")]
    return tf.keras.Sequential(layers, name="baseline_bn")


def _functional_mlp():
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_relu

    inp = tf.keras.Input((10,), name="features")
    h = QActivation(_q(8, 3), name="q_in")(inp)
    h = QDense(16, kernel_quantizer=_q(), bias_quantizer=_q(), name="fc1")(h)
    h = QActivation(quantized_relu(8, 3), name="relu1")(h)
    out = QDense(3, kernel_quantizer=_q(), bias_quantizer=_q(), name="out")(h)
    return tf.keras.Model(inp, out, name="functional_mlp")


def _fused_activations():
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_relu

    return tf.keras.Sequential([
        QActivation(_q(8, 3), input_shape=(12,), name="q_in"),
        QDense(16, kernel_quantizer=_q(), bias_quantizer=_q(), activation=quantized_relu(6, 2), name="fc1"),
        QDense(8, kernel_quantizer=_q(), bias_quantizer=_q(), activation="relu", name="fc2"),
        QDense(4, kernel_quantizer=_q(), bias_quantizer=_q(), activation="softmax", name="out")], name="fused")


def _dropout_seq():
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_relu

    return tf.keras.Sequential([
        QActivation(_q(8, 3), input_shape=(16,), name="q_in"),
        QDense(32, kernel_quantizer=_q(), bias_quantizer=_q(), name="fc1"), QActivation(quantized_relu(6), name="r1"),
        tf.keras.layers.Dropout(0.2, name="drop1"),
        QDense(5, kernel_quantizer=_q(), bias_quantizer=_q(), name="out")], name="dropout_seq")


def _conv2d_bn():
    """A trigger-style CNN: QConv2D + BatchNormalization + quantized_relu, pooled, flattened, QDense head."""
    import tensorflow as tf
    from qkeras import QActivation, QConv2D, QDense, quantized_relu

    return tf.keras.Sequential([
        QActivation(_q(8, 3), input_shape=(8, 8, 1), name="q_in"),
        QConv2D(4, (3, 3), kernel_quantizer=_q(), bias_quantizer=_q(), name="conv1"),
        tf.keras.layers.BatchNormalization(name="bn1"), QActivation(quantized_relu(6), name="relu1"),
        tf.keras.layers.MaxPooling2D((2, 2), name="pool1"), tf.keras.layers.Flatten(name="flat"),
        QDense(5, kernel_quantizer=_q(), bias_quantizer=_q(), name="out"),
        tf.keras.layers.Activation("softmax", name="softmax")], name="conv2d_bn")


def _conv2d_pool():
    import tensorflow as tf
    from qkeras import QActivation, QConv2D, QDense, quantized_relu

    return tf.keras.Sequential([
        QActivation(_q(8, 3), input_shape=(8, 8, 2), name="q_in"),
        QConv2D(4, (3, 3), padding="same", kernel_quantizer=_q(), bias_quantizer=_q(), name="conv1"),
        QActivation(quantized_relu(6), name="relu1"), tf.keras.layers.AveragePooling2D((2, 2), name="pool1"),
        tf.keras.layers.Flatten(name="flat"),
        QDense(3, kernel_quantizer=_q(), bias_quantizer=_q(), name="out")], name="conv2d_pool")


def _conv1d():
    import tensorflow as tf
    from qkeras import QActivation, QConv1D, QDense, quantized_relu

    return tf.keras.Sequential([
        QActivation(_q(8, 3), input_shape=(16, 3), name="q_in"),
        QConv1D(4, 3, kernel_quantizer=_q(), bias_quantizer=_q(), name="conv1"),
        QActivation(quantized_relu(6), name="relu1"), tf.keras.layers.Flatten(name="flat"),
        QDense(4, kernel_quantizer=_q(), bias_quantizer=_q(), name="out")], name="conv1d")


def _softmax_layer():
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_relu

    return tf.keras.Sequential([
        QDense(16, input_shape=(16,), kernel_quantizer=_q(), bias_quantizer=_q(), name="fc1"),
        QActivation(quantized_relu(6), name="relu1"),
        QDense(5, kernel_quantizer=_q(), bias_quantizer=_q(), name="logits"),
        tf.keras.layers.Softmax(name="softmax")], name="softmax_layer")


def _thresholded_relu():
    import tensorflow as tf
    from qkeras import QActivation, QDense

    return tf.keras.Sequential([
        QActivation(_q(8, 3), input_shape=(10,), name="q_in"),
        QDense(12, kernel_quantizer=_q(), bias_quantizer=_q(), name="fc1"),
        tf.keras.layers.ThresholdedReLU(0.25, name="thr"),
        QDense(3, kernel_quantizer=_q(), bias_quantizer=_q(), name="out")], name="thresholded_relu")


def _crop_upsample():
    import tensorflow as tf
    from qkeras import QActivation, QConv2D, QDense, quantized_relu

    return tf.keras.Sequential([
        QActivation(_q(8, 3), input_shape=(6, 6, 1), name="q_in"),
        tf.keras.layers.Cropping2D(((1, 1), (0, 2)), name="crop"),
        tf.keras.layers.UpSampling2D((2, 1), name="up"),
        QConv2D(2, (3, 3), kernel_quantizer=_q(), bias_quantizer=_q(), name="conv1"),
        QActivation(quantized_relu(6), name="relu1"), tf.keras.layers.Flatten(name="flat"),
        QDense(3, kernel_quantizer=_q(), bias_quantizer=_q(), name="out")], name="crop_upsample")


def _global_pool_1d():
    """Deep-Sets-like: a per-particle QConv1D (kernel 1: hls4ml 1.3 drops the quantizers of a QDense on a 2-D
    input, which edgenn refuses), global average pooling, a QDense head."""
    import tensorflow as tf
    from qkeras import QActivation, QConv1D, QDense, quantized_relu

    inp = tf.keras.Input((8, 3), name="particles")
    h = QActivation(_q(8, 3), name="q_in")(inp)
    h = QConv1D(8, 1, kernel_quantizer=_q(), bias_quantizer=_q(), name="phi")(h)
    h = QActivation(quantized_relu(6), name="phi_relu")(h)
    h = tf.keras.layers.GlobalAveragePooling1D(name="pool")(h)
    return tf.keras.Model(inp, QDense(2, kernel_quantizer=_q(), bias_quantizer=_q(), name="rho")(h), name="gpool")


def _branches_concat():
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_relu

    inp = tf.keras.Input((12,), name="x")
    h = QActivation(_q(8, 3), name="q_in")(inp)
    a = QActivation(quantized_relu(6), name="ra")(QDense(8, kernel_quantizer=_q(), bias_quantizer=_q(), name="a")(h))
    b = QActivation(quantized_relu(6), name="rb")(QDense(4, kernel_quantizer=_q(), bias_quantizer=_q(), name="b")(h))
    h = tf.keras.layers.Concatenate(name="join")([a, b])
    return tf.keras.Model(inp, QDense(3, kernel_quantizer=_q(), bias_quantizer=_q(), name="out")(h), name="branches")


def _residual_add():
    """A residual block: two QDense layers whose output is added back to their input (ResNet-style skip)."""
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_relu

    inp = tf.keras.Input((12,), name="x")
    h = QActivation(_q(8, 3), name="q_in")(inp)
    r = QActivation(quantized_relu(6, 2), name="r1")(QDense(12, kernel_quantizer=_q(), bias_quantizer=_q(),
                                                            name="res1")(h))
    r = QDense(12, kernel_quantizer=_q(), bias_quantizer=_q(), name="res2")(r)
    h = QActivation(quantized_relu(8, 3), name="r2")(tf.keras.layers.Add(name="skip")([h, r]))
    return tf.keras.Model(inp, QDense(3, kernel_quantizer=_q(), bias_quantizer=_q(), name="out")(h), name="residual")


def _two_inputs():
    """Jets and muons in separate inputs, each through its own branch, joined by Concatenate."""
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_relu

    jets, muons = tf.keras.Input((10,), name="jets"), tf.keras.Input((4,), name="muons")
    a = QActivation(_q(8, 3), name="q_jets")(jets)
    a = QActivation(quantized_relu(6), name="ra")(QDense(8, kernel_quantizer=_q(), bias_quantizer=_q(), name="a")(a))
    b = QActivation(_q(6, 2), name="q_muons")(muons)
    h = tf.keras.layers.Concatenate(name="join")([a, b])
    return tf.keras.Model([jets, muons], QDense(3, kernel_quantizer=_q(), bias_quantizer=_q(), name="out")(h),
                          name="two_inputs")


def _two_inputs_residual():
    """Two inputs joined by Concatenate, then a residual Add around a QDense: both merge kinds in one small graph."""
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_relu

    jets, muons = tf.keras.Input((6,), name="jets"), tf.keras.Input((2,), name="muons")
    h = tf.keras.layers.Concatenate(name="join")([QActivation(_q(8, 3), name="q_jets")(jets),
                                                  QActivation(_q(6, 2), name="q_muons")(muons)])
    r = QActivation(quantized_relu(6, 2), name="r1")(QDense(8, kernel_quantizer=_q(), bias_quantizer=_q(),
                                                            name="res")(h))
    h = tf.keras.layers.Add(name="skip")([h, r])
    return tf.keras.Model([jets, muons], QDense(2, kernel_quantizer=_q(), bias_quantizer=_q(), name="out")(h),
                          name="two_inputs_residual")


def _merges():
    """Two inputs combined by Subtract, Average, Maximum, Minimum and Multiply (hls4ml's merge test's operations)."""
    import tensorflow as tf
    from qkeras import QActivation, QDense

    a, b = tf.keras.Input((6,), name="a"), tf.keras.Input((6,), name="b")
    qa, qb = QActivation(_q(6, 2), name="qa")(a), QActivation(_q(6, 2), name="qb")(b)
    L = tf.keras.layers
    parts = [L.Subtract(name="sub")([qa, qb]), L.Average(name="avg")([qa, qb]), L.Maximum(name="max")([qa, qb]),
             L.Minimum(name="min")([qa, qb]), L.Multiply(name="mul")([qa, qb])]
    h = L.Concatenate(name="cat1")(parts[:2])
    for i, part in enumerate(parts[2:]):
        h = L.Concatenate(name=f"cat{i + 2}")([h, part])
    return tf.keras.Model([a, b], QDense(3, kernel_quantizer=_q(), bias_quantizer=_q(), name="out")(h), name="merges")


def _multi_output():
    """A shared trunk with a classification head and a regression head (two model outputs)."""
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_relu

    inp = tf.keras.Input((10,), name="x")
    h = QActivation(_q(8, 3), name="q_in")(inp)
    h = QActivation(quantized_relu(6), name="r1")(QDense(16, kernel_quantizer=_q(), bias_quantizer=_q(),
                                                         name="trunk")(h))
    cls = QDense(4, kernel_quantizer=_q(), bias_quantizer=_q(), name="cls")(h)
    reg = QDense(1, kernel_quantizer=_q(), bias_quantizer=_q(), name="reg")(h)
    return tf.keras.Model(inp, [cls, reg], name="multi_output")


def _leaky_relu():
    """Float Keras LeakyReLU after a QDense (hls4ml converts it; the negative slope is a float multiply)."""
    import tensorflow as tf
    from qkeras import QActivation, QDense

    return tf.keras.Sequential([
        QActivation(_q(8, 3), input_shape=(10,), name="q_in"),
        QDense(16, kernel_quantizer=_q(), bias_quantizer=_q(), name="fc1"),
        tf.keras.layers.LeakyReLU(alpha=0.25, name="leaky1"),
        QDense(3, kernel_quantizer=_q(), bias_quantizer=_q(), name="out")], name="leaky_relu")


def _sigmoid_out():
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_relu

    return tf.keras.Sequential([
        QActivation(_q(8, 3), input_shape=(10,), name="q_in"),
        QDense(16, kernel_quantizer=_q(), bias_quantizer=_q(), name="fc1"), QActivation(quantized_relu(6), name="r1"),
        QDense(1, kernel_quantizer=_q(), bias_quantizer=_q(), name="score"),
        tf.keras.layers.Activation("sigmoid", name="sigmoid")], name="sigmoid_out")


def _tanh_hidden():
    import tensorflow as tf
    from qkeras import QActivation, QDense

    return tf.keras.Sequential([
        QActivation(_q(8, 3), input_shape=(10,), name="q_in"),
        QDense(16, kernel_quantizer=_q(), bias_quantizer=_q(), name="fc1"),
        tf.keras.layers.Activation("tanh", name="tanh1"),
        QDense(3, kernel_quantizer=_q(), bias_quantizer=_q(), name="out")], name="tanh_hidden")


def _sum_of_squares():
    """A trigger encoder's anomaly score written with TF ops (rebuilt from published CMS L1 AD encoder headers)."""
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_relu

    inp = tf.keras.Input((19,), name="objects")
    h = QActivation(_q(10, 5), name="q_in")(inp)
    h = QActivation(quantized_relu(6), name="r1")(QDense(16, kernel_quantizer=_q(), bias_quantizer=_q(),
                                                         name="enc1")(h))
    mu = QDense(3, kernel_quantizer=_q(), bias_quantizer=_q(), name="mu")(h)
    return tf.keras.Model(inp, tf.reduce_sum(tf.square(mu), axis=-1, keepdims=True), name="ad_score")


def _float_mlp():
    import tensorflow as tf

    return tf.keras.Sequential([
        tf.keras.layers.Dense(32, input_shape=(16,), name="fc1"), tf.keras.layers.BatchNormalization(name="bn1"),
        tf.keras.layers.Activation("relu", name="relu1"),
        tf.keras.layers.Dense(16, activation="relu", name="fc2"),
        tf.keras.layers.Dense(5, activation="softmax", name="out")], name="float_mlp")


def _float_cnn():
    import tensorflow as tf

    return tf.keras.Sequential([
        tf.keras.layers.Conv2D(4, (3, 3), input_shape=(8, 8, 1), activation="relu", name="conv1"),
        tf.keras.layers.MaxPooling2D((2, 2), name="pool1"), tf.keras.layers.Flatten(name="flat"),
        tf.keras.layers.Dense(4, name="out")], name="float_cnn")


ZOO = [
    ZooModel("tutorial_part4", "rebuilt from hls4ml-tutorial part 4 (QKeras, Sequential)", _tutorial_part4, (16,),
             classes=5),
    ZooModel("baseline_bn", "public 6-bit QKeras jet-tagging baseline (Sequential, BatchNorm)", _baseline_bn, (16,),
             classes=5),
    ZooModel("softmax_table", "tutorial part 4 with the softmax kept (--softmax table)", _tutorial_part4, (16,),
             ("--softmax", "table"), classes=5),
    ZooModel("softmax_argmax", "tutorial part 4 with --softmax argmax", _tutorial_part4, (16,),
             ("--softmax", "argmax"), classes=5),
    ZooModel("functional_mlp", "functional QKeras MLP with an input quantizer", _functional_mlp, (10,)),
    ZooModel("fused_activations", "QDense(activation=quantized_relu / 'relu' / 'softmax')", _fused_activations,
             (12,)),
    ZooModel("dropout_seq", "Sequential with Dropout", _dropout_seq, (16,)),
    ZooModel("conv2d_bn", "QConv2D + BatchNormalization + MaxPooling2D (trigger CNN)", _conv2d_bn, (8, 8, 1)),
    ZooModel("conv2d_pool", "QConv2D 'same' + AveragePooling2D", _conv2d_pool, (8, 8, 2)),
    ZooModel("conv1d", "QConv1D over a sequence", _conv1d, (16, 3)),
    ZooModel("softmax_layer", "a tf.keras.layers.Softmax head (the layer class, not Activation)", _softmax_layer,
             (16,), classes=5),
    ZooModel("thresholded_relu", "ThresholdedReLU(theta=0.25) hidden activation", _thresholded_relu, (10,)),
    ZooModel("dot_similarity", "two QDense embeddings joined by Dot (an inner-product score)",
             zoo_layers.dot_similarity, (10,)),
    ZooModel("embedding_tokens", "integer tokens through an Embedding (quantized table), Flatten, QDense",
             zoo_layers.embedding_tokens, (6,), index_range=12),
    ZooModel("time_distributed", "TimeDistributed(QDense) per particle, GlobalAveragePooling1D head",
             zoo_layers.time_distributed, (8, 3)),
    ZooModel("layer_norm", "LayerNormalization over particle features (table-based in hls4ml: measured)",
             zoo_layers.layer_norm, (4, 6)),
    ZooModel("crop_upsample", "Cropping2D + nearest UpSampling2D before a QConv2D", _crop_upsample, (6, 6, 1)),
    ZooModel("global_pool_1d", "per-particle QConv1D + GlobalAveragePooling1D (Deep Sets style)", _global_pool_1d,
             (8, 3)),
    ZooModel("branches_concat", "two branches joined by Concatenate", _branches_concat, (12,)),
    ZooModel("residual_add", "a residual Add around two QDense layers", _residual_add, (12,)),
    ZooModel("two_inputs", "two inputs (jets, muons) joined by Concatenate", _two_inputs,
             {"jets": (10,), "muons": (4,)}, classes=3),
    ZooModel("two_inputs_residual", "two inputs joined by Concatenate, then a residual Add", _two_inputs_residual,
             {"jets": (6,), "muons": (2,)}),
    ZooModel("merges", "two inputs merged by Subtract, Average, Maximum, Minimum, Multiply", _merges,
             {"a": (6,), "b": (6,)}),
    ZooModel("multi_output", "two outputs (classification and regression heads)", _multi_output, (10,)),
    ZooModel("leaky_relu", "LeakyReLU(alpha=0.25) hidden activation", _leaky_relu, (10,)),
    ZooModel("sigmoid_out", "binary classifier with a sigmoid output", _sigmoid_out, (10,)),
    ZooModel("tanh_hidden", "Activation('tanh') hidden layer", _tanh_hidden, (10,)),
    ZooModel("ad_score_tfops", "rebuilt from the CMS L1 anomaly-detection encoder: score = reduce_sum(square(mu))",
             _sum_of_squares, (19,)),
    ZooModel("float_mlp_ptq", "float Keras MLP with BatchNorm through --ptq", _float_mlp, (16,), ("--ptq",),
             classes=5),
    ZooModel("two_inputs_float_ptq", "float two-input model (Dense branches, BatchNorm, Concatenate) through --ptq",
             zoo_layers.two_inputs_float, {"jets": (10,), "muons": (4,)}, ("--ptq",), classes=3),
    ZooModel("l1_llp_jet_tagger", "rebuilt from Brainz22/L1JetTagger qkerasModel.py (QConv1D per particle, sigmoid)",
             zoo_public.l1_llp_jet_tagger, (10, 14)),
    ZooModel("cms_l1_jet_tagger", "rebuilt from the CMS L1 jet-tagging QKeras baseline (BatchNorm on inputs, jet ID "
             "and pT heads)", zoo_public.cms_l1_jet_tagger, (16, 8), classes=8),
    ZooModel("smart_pixel", "rebuilt from KastnerRG/edge-nns smart-pixel qkeras_dense_model (4-bit QDense, BatchNorm)",
             zoo_public.smart_pixel, (13,), classes=3),
    ZooModel("float_cnn_ptq", "float Keras Conv2D through --ptq", _float_cnn, (8, 8, 1), ("--ptq",)),
    ZooModel("econt_encoder", "rebuilt from fastmachinelearning/fastml-science sensor-data-compression qDenseCNN.py "
             "(the ECON-T encoder: QConv2D + QDense, 16 encoded values)", zoo_public.econt_encoder, (4, 4, 3)),
    ZooModel("svhn_cnn", "rebuilt from fastmachinelearning/hls4ml-tutorial part6_cnns.ipynb (QConv2DBatchnorm "
             "blocks, BatchNorm after QDense, float Dense head, softmax; io_stream as the tutorial)",
             zoo_public.svhn_cnn, (32, 32, 3), classes=10, fpga_args=("--io-type", "io_stream")),
]
BY_NAME = {m.name: m for m in ZOO}
