"""CICADA-style anomaly families on calorimeter-region images (18 phi x 14 eta regions of ET, ``datasets.calo_regions``).

- ``calo_autoencoder`` (the teacher): a convolutional autoencoder, 18x14x1 -> Conv 3x3 (``filters[0]``) -> ReLU ->
  2x2 average pooling (9x7) -> Conv 3x3 (``filters[1]``) -> ReLU -> Flatten -> Dense(``latent``) -> ReLU ->
  Dense(9*7*``filters[1]``) -> ReLU -> Reshape -> Conv 3x3 -> ReLU -> 2x2 upsampling (18x14) -> Conv 3x3
  (``filters[0]``) -> ReLU -> Conv 3x3 (1 filter) = the reconstructed image; 'same' padding throughout. Score: the
  plain mean squared error over the 252 regions (a region with no energy is a measurement, not an absent object, so
  nothing is masked; CICADA's teacher does the same). Scored on the host, like the dense ``autoencoder``: its
  firmware form is the student.
- ``calo_student``: Conv 2x2 with stride 2 (``filters`` maps, non-overlapping windows: 9x7 outputs) -> ReLU ->
  Flatten -> (Dense -> ReLU)* -> Dense(1) regressing log(teacher error) (``regress_teacher``, the anomaly task's
  distillation), QKeras layers under QAT so the firmware outputs the score directly. The stride-2 2x2 window is
  CICADA v2's; it keeps the convolution at 9*7*4*filters multiplications, so a fully parallel layer (II 1) stays
  small.

Layer names are the same in the float and the quantized build, so weights move between them by name; no
BatchNormalization (its folding changes the rounding of quantized weights, see ``conv``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from edgenn.architectures.registry import register_family
from edgenn.config.recipe import QatSpec


class CaloAutoencoderParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    filters: tuple[int, int] = Field((20, 30), description="filters of the two encoder (and decoder) convolutions")
    latent: int = Field(80, ge=1, description="units of the dense bottleneck")


class CaloStudentParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    filters: int = Field(4, ge=1, description="feature maps of the 2x2 stride-2 convolution")
    hidden: list[int] = Field(default_factory=lambda: [16], description="dense units after the convolution")
    l1: float = Field(0.0, ge=0)


def _check_image(family: str, input_shape: tuple[int, ...]) -> None:
    from edgenn.errors import InvalidInputError

    if len(input_shape) != 3 or input_shape[0] % 2 or input_shape[1] % 2:
        raise InvalidInputError(f"model.family {family}: input shape {input_shape} is not an image of even height "
                                "and width (18 x 14 regions x 1 channel).",
                                fix="train it on calorimeter-region images (a zero_bias event dataset).")


def _teacher_layers(params: CaloAutoencoderParams) -> list[str]:
    return []  # scored on the host, never quantized (``compress_refusal``)


@register_family("calo_autoencoder", params_model=CaloAutoencoderParams, input_kind="regions",
                 quantizable_layers=_teacher_layers, task="anomaly",
                 description="CICADA teacher: convolutional autoencoder on 18x14 calorimeter regions; score = MSE",
                 objective="reconstruct", score="reconstruction", fine_tune_layer="output",
                 compress_refusal=("the calorimeter autoencoder is scored on the host (decoder + 252-region squared "
                                   "error); it has no firmware form to compress.",
                                   "compress its distilled student instead (models/cicada_student.yml), or remove "
                                   "the compress section."))
def build_calo_autoencoder(params: CaloAutoencoderParams, input_shape: tuple[int, ...], num_classes: int = 0,
                           qat: QatSpec | None = None):
    import tensorflow as tf
    from tensorflow.keras import layers

    _check_image("calo_autoencoder", tuple(input_shape))
    f0, f1 = params.filters
    height, width = input_shape[0] // 2, input_shape[1] // 2
    x = inputs = layers.Input(shape=input_shape, name="input")
    x = layers.Conv2D(f0, 3, padding="same", activation="relu", name="enc_conv_0")(x)
    x = layers.AveragePooling2D(2, name="enc_pool")(x)
    x = layers.Conv2D(f1, 3, padding="same", activation="relu", name="enc_conv_1")(x)
    x = layers.Flatten(name="enc_flatten")(x)
    x = layers.Dense(params.latent, activation="relu", name="latent")(x)
    x = layers.Dense(height * width * f1, activation="relu", name="dec_dense")(x)
    x = layers.Reshape((height, width, f1), name="dec_reshape")(x)
    x = layers.Conv2D(f1, 3, padding="same", activation="relu", name="dec_conv_0")(x)
    x = layers.UpSampling2D(2, name="dec_upsample")(x)
    x = layers.Conv2D(f0, 3, padding="same", activation="relu", name="dec_conv_1")(x)
    outputs = layers.Conv2D(int(input_shape[-1]), 3, padding="same", name="output")(x)
    return tf.keras.Model(inputs, outputs, name="calo_autoencoder")


def _student_layers(params: CaloStudentParams) -> list[str]:
    return ["conv"] + [f"dense_{i}" for i in range(len(params.hidden))] + ["score"]


@register_family("calo_student", params_model=CaloStudentParams, input_kind="regions",
                 quantizable_layers=_student_layers, task="anomaly",
                 description="CICADA student: 2x2/2 conv + dense regressing log(teacher MSE) on 18x14 regions",
                 objective="regress_teacher", teacher="calo_autoencoder", fine_tune_layer="score")
def build_calo_student(params: CaloStudentParams, input_shape: tuple[int, ...], num_classes: int = 0,
                       qat: QatSpec | None = None):
    import tensorflow as tf
    from tensorflow.keras import layers, regularizers

    _check_image("calo_student", tuple(input_shape))
    reg = regularizers.l1(params.l1) if params.l1 else None
    names = _student_layers(params)
    inputs = layers.Input(shape=input_shape, name="input")
    if qat is None:
        x = layers.Conv2D(params.filters, 2, strides=2, padding="valid", kernel_regularizer=reg, name="conv")(inputs)
        x = layers.Activation("relu", name="conv_relu")(x)
        x = layers.Flatten(name="flatten")(x)
        for i, units in enumerate(params.hidden):
            x = layers.Dense(units, kernel_regularizer=reg, name=names[1 + i])(x)
            x = layers.Activation("relu", name=f"relu_{i}")(x)
        outputs = layers.Dense(1, kernel_regularizer=reg, name="score")(x)
        return tf.keras.Model(inputs, outputs, name="calo_student")
    from qkeras import QActivation, QConv2D, QDense

    from edgenn.architectures.quantizers import bits_quantizer, layer_quant, relu_quantizer

    x = QActivation(bits_quantizer(qat.input), name="input_quant")(inputs)
    w, b, a = layer_quant(qat, "conv")
    x = QConv2D(params.filters, 2, strides=2, padding="valid", kernel_quantizer=bits_quantizer(w),
                bias_quantizer=bits_quantizer(b), kernel_regularizer=reg, name="conv")(x)
    x = QActivation(relu_quantizer(a), name="conv_relu")(x)
    x = layers.Flatten(name="flatten")(x)
    for i, units in enumerate(params.hidden):
        w, b, a = layer_quant(qat, names[1 + i])
        x = QDense(units, kernel_quantizer=bits_quantizer(w), bias_quantizer=bits_quantizer(b),
                   kernel_regularizer=reg, name=names[1 + i])(x)
        x = QActivation(relu_quantizer(a), name=f"relu_{i}")(x)
    w, b, _ = layer_quant(qat, "score")
    outputs = QDense(1, kernel_quantizer=bits_quantizer(w), bias_quantizer=bits_quantizer(b), kernel_regularizer=reg,
                     name="score")(x)
    return tf.keras.Model(inputs, outputs, name="calo_student")
