"""Anomaly-detection families on the 57 trigger inputs: dense autoencoder, VAE (AXOL1TL-style), distilled student.

- ``autoencoder``: 57 -> 32 -> 16 -> 3 -> 16 -> 32 -> 57; anomaly score = mean squared reconstruction error,
  computed on the host (the firmware would need the decoder plus 57 subtract/square/add stages for one number).
- ``vae``: encoder 57 -> 32 -> 16 -> (mu, log variance) in 3 latent dimensions, decoder mirrored. The training model
  takes (x, eps) and returns (mu, log_var, reconstruction) using plain Keras layers only (no Lambda, no custom
  class), so it saves and reloads without trusting code. The firmware model (``vae_score_model``, the family's
  ``deploy``) is the encoder up to mu followed by mu * mu (Multiply) and a Dense(1) with all-ones weights and no
  bias: the sum of squares, exact in fixed point once the precision walk gives the product and the sum enough bits.
  In the quantized build mu is rounded by a ``mu_quant`` quantizer (the layer's activation bits): without it mu is a
  wide accumulator whose square needs more than float32's 24 significant bits, so QKeras itself would round the
  score and no firmware could equal it. The all-ones sum is then a non-trainable QDense whose 2-bit kernel
  quantizer holds 1 exactly (as the interaction network's 0/1 matrices), so the exact QDense precision rule applies.
- ``ae_student``: a small MLP regressing log(teacher reconstruction error) (CICADA-style): QDense layers under QAT,
  so the firmware outputs the score directly.

Layer names are the same in float and quantized builds, so weights move between them by name.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from edgenn.architectures.registry import register_family
from edgenn.config.recipe import QatSpec


class AutoencoderParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hidden: list[int] = Field(default_factory=lambda: [32, 16], min_length=1)
    latent: int = Field(3, ge=1)
    l1: float = Field(0.0, ge=0)


class VaeParams(AutoencoderParams):
    # Both loss terms are means (reconstruction over the 57 inputs, KL over the latent dimensions). On 32k background
    # training events beta = 0.5 collapsed the posterior (mu spread 0.001: every event scored ~0, AUC 0.5 once
    # quantized); beta = 0.01 keeps mu spread ~1 (inside the +-8 mu quantizer) and scored best of 0.5 / 0.01 / 0.001.
    beta: float = Field(0.01, ge=0, description="weight of the KL term against the reconstruction loss")


class StudentParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hidden: list[int] = Field(default_factory=lambda: [16, 8], min_length=1)
    l1: float = Field(0.0, ge=0)


def _encoder_layers(params: AutoencoderParams) -> list[str]:
    return [f"enc_{i}" for i in range(len(params.hidden))]


def _ae_layers(params: AutoencoderParams) -> list[str]:
    return _encoder_layers(params) + ["latent"] + [f"dec_{i}" for i in range(len(params.hidden))] + ["output"]


def _vae_layers(params: VaeParams) -> list[str]:
    return _encoder_layers(params) + ["mu"]  # only the firmware part (encoder -> mu) is quantized


def _student_layers(params: StudentParams) -> list[str]:
    return [f"dense_{i}" for i in range(len(params.hidden))] + ["score"]


def _dense(units: int, name: str, qat: QatSpec | None, l1: float):
    from tensorflow.keras import layers, regularizers

    reg = regularizers.l1(l1) if l1 else None
    if qat is None:
        return layers.Dense(units, kernel_regularizer=reg, name=name)
    from qkeras import QDense

    from edgenn.architectures.quantizers import bits_quantizer, layer_quant

    w, b, _ = layer_quant(qat, name)
    return QDense(units, kernel_quantizer=bits_quantizer(w), bias_quantizer=bits_quantizer(b),
                  kernel_regularizer=reg, name=name)


def _relu(name: str, layer: str, qat: QatSpec | None):
    from tensorflow.keras import layers

    if qat is None:
        return layers.Activation("relu", name=name)
    from qkeras import QActivation

    from edgenn.architectures.quantizers import layer_quant, relu_quantizer

    return QActivation(relu_quantizer(layer_quant(qat, layer)[2]), name=name)


def _input(input_shape, qat: QatSpec | None):
    from tensorflow.keras import layers

    inputs = layers.Input(shape=input_shape, name="input")
    if qat is None:
        return inputs, inputs
    from qkeras import QActivation

    from edgenn.architectures.quantizers import bits_quantizer

    return inputs, QActivation(bits_quantizer(qat.input), name="input_quant")(inputs)


def _encode(x, params: AutoencoderParams, qat: QatSpec | None):
    for i, units in enumerate(params.hidden):
        x = _dense(units, f"enc_{i}", qat, params.l1)(x)
        x = _relu(f"enc_relu_{i}", f"enc_{i}", qat)(x)
    return x


@register_family("autoencoder", params_model=AutoencoderParams, input_kind="events", quantizable_layers=_ae_layers,
                 task="anomaly", description="dense autoencoder on 57 trigger inputs; score = reconstruction MSE",
                 objective="reconstruct", score="reconstruction", fine_tune_layer="output",
                 compress_refusal=(
                     "the autoencoder is scored on the host (decoder + 57-input squared error); it has no firmware "
                     "form to compress.", "compress its distilled student instead (models/ae_student.yml), or "
                                          "remove the compress section."))
def build_autoencoder(params: AutoencoderParams, input_shape: tuple[int, ...], num_classes: int = 0,
                      qat: QatSpec | None = None):
    import tensorflow as tf

    inputs, x = _input(input_shape, qat)
    x = _encode(x, params, qat)
    x = _dense(params.latent, "latent", qat, params.l1)(x)
    for i, units in enumerate(reversed(params.hidden)):
        x = _dense(units, f"dec_{i}", qat, params.l1)(x)
        x = _relu(f"dec_relu_{i}", f"dec_{i}", qat)(x)
    outputs = _dense(int(input_shape[-1]), "output", qat, params.l1)(x)
    return tf.keras.Model(inputs, outputs, name="autoencoder")


def vae_score_model(vae, params: VaeParams):
    """Firmware model from a VAE: x -> encoder -> mu [-> mu_quant] -> mu * mu -> Dense(1, ones, no bias) = sum(mu^2).

    The encoder layers are rebuilt with the same names/classes and their weights copied, so the result contains
    only the firmware part (no log-variance head, no decoder). A quantized VAE (it has ``mu_quant``) gets a QDense
    sum whose kernel quantizer holds 1 exactly; a float VAE a plain Dense.
    """
    import numpy as np
    import tensorflow as tf
    from tensorflow.keras import layers

    x = inputs = layers.Input(shape=vae.input_shape[0][1:], name="input")
    names = ["input_quant"] + [n for i in range(len(params.hidden)) for n in (f"enc_{i}", f"enc_relu_{i}")] + \
        ["mu", "mu_quant"]
    present = {layer.name for layer in vae.layers}
    for name in names:
        if name not in present:
            continue  # float model: no input or mu quantizer
        layer = vae.get_layer(name)
        clone = layer.__class__.from_config(layer.get_config())
        x = clone(x)
        clone.set_weights(layer.get_weights())
    square = layers.Multiply(name="mu_squared")([x, x])
    if "mu_quant" in present:
        from qkeras import QDense, quantized_bits

        sum_layer = QDense(1, use_bias=False, trainable=False, kernel_initializer="ones", name="sum_squares",
                           kernel_quantizer=quantized_bits(2, 1, alpha=1))
    else:
        sum_layer = layers.Dense(1, use_bias=False, trainable=False, kernel_initializer="ones", name="sum_squares")
    total = sum_layer(square)
    model = tf.keras.Model(inputs, total, name="vae_score")
    sum_layer.set_weights([np.ones((params.latent, 1), dtype=np.float32)])
    return model


@register_family("vae", params_model=VaeParams, input_kind="events", quantizable_layers=_vae_layers,
                 task="anomaly", description="VAE; firmware = encoder + sum(mu^2) (AXOL1TL)", deploy=vae_score_model,
                 objective="vae", fine_tune_layer="mu")
def build_vae(params: VaeParams, input_shape: tuple[int, ...], num_classes: int = 0, qat: QatSpec | None = None):
    """Training model: inputs (x, eps) -> outputs (mu, log_var, reconstruction); z = mu + exp(log_var / 2) * eps."""
    import tensorflow as tf
    from tensorflow.keras import layers

    inputs, x = _input(input_shape, qat)
    eps = layers.Input(shape=(params.latent,), name="eps")
    h = _encode(x, params, qat)
    mu = _dense(params.latent, "mu", qat, params.l1)(h)
    if qat is not None:
        from qkeras import QActivation

        from edgenn.architectures.quantizers import bits_quantizer, layer_quant

        mu = QActivation(bits_quantizer(layer_quant(qat, "mu")[2]), name="mu_quant")(mu)
    log_var = layers.Dense(params.latent, name="log_var")(h)
    sigma = layers.Activation("exponential", name="sigma")(layers.Rescaling(0.5, name="half_log_var")(log_var))
    z = layers.Add(name="z")([mu, layers.Multiply(name="noise")([sigma, eps])])
    d = z
    for i, units in enumerate(reversed(params.hidden)):
        d = layers.Dense(units, activation="relu", name=f"dec_{i}")(d)
    recon = layers.Dense(int(input_shape[-1]), name="output")(d)
    return tf.keras.Model([inputs, eps], [mu, log_var, recon], name="vae")


@register_family("ae_student", params_model=StudentParams, input_kind="events", quantizable_layers=_student_layers,
                 task="anomaly", description="small MLP regressing log(teacher reconstruction error) (CICADA)",
                 objective="regress_teacher", teacher="autoencoder", fine_tune_layer="score")
def build_student(params: StudentParams, input_shape: tuple[int, ...], num_classes: int = 0,
                  qat: QatSpec | None = None):
    import tensorflow as tf

    inputs, x = _input(input_shape, qat)
    for i, units in enumerate(params.hidden):
        x = _dense(units, f"dense_{i}", qat, params.l1)(x)
        x = _relu(f"relu_{i}", f"dense_{i}", qat)(x)
    outputs = _dense(1, "score", qat, params.l1)(x)
    return tf.keras.Model(inputs, outputs, name="ae_student")
