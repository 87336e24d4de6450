"""Convolutional classifier on jet images: (Conv2D -> ReLU -> pooling)* -> Flatten -> (Dense -> ReLU)* -> logits.

The shape follows the hls4ml CNN tutorials: few filters, 3x3 kernels, 'valid' padding and 2x2 pooling after each
convolution, a small dense head. Layer names are the same in the float and the quantized build (``conv_k``,
``conv_relu_k``, ``pool_k``, ``flatten``, ``dense_k``, ``relu_k``, ``logits``, ``softmax``) so weights move between
them by name.

Choices made for exact firmware:
- No BatchNormalization (its folding into the convolution changes the rounding of the quantized weights).
- ReLU is a separate layer (hls4ml splits a fused activation off anyway, and QKeras needs it as a QActivation).
- Max pooling by default: it only selects values, so it is exact for any type. Average pooling is exact only for
  power-of-two windows, with extra fraction bits in the firmware type (see ``exporters.precision_conv``).
- 'valid' padding by default: hls4ml's io_stream needs an extra ZeroPadding2D node for 'same'.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from edgenn.architectures.quantizers import dense_head
from edgenn.architectures.registry import register_family
from edgenn.config.recipe import QatSpec


class ConvParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    filters: list[int] = Field(default_factory=lambda: [8, 16], min_length=1,
                               description="filters of each convolution block")
    kernel_size: int = Field(3, ge=1, le=7)
    pool_size: int = Field(2, ge=1, le=4, description="pooling window and stride after each convolution (1: none)")
    pooling: Literal["max", "average"] = "max"
    padding: Literal["valid", "same"] = "valid"
    dense: list[int] = Field(default_factory=lambda: [32], description="hidden units of the dense head")
    l1: float = Field(1e-4, ge=0)

    @model_validator(mode="after")
    def _positive(self) -> ConvParams:
        if any(f < 1 for f in self.filters) or any(d < 1 for d in self.dense):
            raise ValueError(f"filters and dense sizes must be >= 1 (got filters={self.filters}, dense={self.dense})")
        return self


def _layers(params: ConvParams) -> list[str]:
    return ([f"conv_{i}" for i in range(len(params.filters))] + [f"dense_{i}" for i in range(len(params.dense))]
            + ["logits"])


def feature_map_sizes(params: ConvParams, image_size: int) -> list[int]:
    """Side length after each convolution block (conv then pooling), for checking an image is large enough."""
    sizes, size = [], image_size
    for _ in params.filters:
        if params.padding == "valid":
            size -= params.kernel_size - 1
        if params.pool_size > 1:
            size //= params.pool_size
        sizes.append(size)
    return sizes


def _check_fits(params: ConvParams, input_shape: tuple[int, ...]) -> None:
    from edgenn.errors import InvalidInputError

    if len(input_shape) != 3:
        raise InvalidInputError(f"model.family cnn: input shape {input_shape} is not (height, width, channels).",
                                fix="use data with input kind 'images'.")
    sizes = feature_map_sizes(params, min(input_shape[0], input_shape[1]))
    if min(sizes) < 1:
        raise InvalidInputError(
            f"model.params: {len(params.filters)} convolution blocks (kernel {params.kernel_size}, pool "
            f"{params.pool_size}) shrink a {input_shape[0]}x{input_shape[1]} image to nothing (sizes {sizes}).",
            fix="use fewer blocks, a smaller kernel/pool or a larger data.image_size.")


@register_family("cnn", params_model=ConvParams, input_kind="images", quantizable_layers=_layers,
                 description="small CNN on jet images (hls4ml QConv2D/pooling/dense)")
def build_cnn(params: ConvParams, input_shape: tuple[int, ...], num_classes: int, qat: QatSpec | None = None):
    import tensorflow as tf
    from tensorflow.keras import layers, regularizers

    _check_fits(params, tuple(input_shape))
    reg = regularizers.l1(params.l1) if params.l1 else None
    pool_cls = layers.MaxPooling2D if params.pooling == "max" else layers.AveragePooling2D
    inputs = layers.Input(shape=input_shape, name="input")
    if qat is None:
        x = inputs
        for i, filters in enumerate(params.filters):
            x = layers.Conv2D(filters, params.kernel_size, padding=params.padding, kernel_regularizer=reg,
                              name=f"conv_{i}")(x)
            x = layers.Activation("relu", name=f"conv_relu_{i}")(x)
            if params.pool_size > 1:
                x = pool_cls(params.pool_size, name=f"pool_{i}")(x)
    else:
        from qkeras import QActivation, QConv2D

        from edgenn.architectures.quantizers import bits_quantizer, layer_quant, relu_quantizer

        x = QActivation(bits_quantizer(qat.input), name="input_quant")(inputs)
        for i, filters in enumerate(params.filters):
            w, b, a = layer_quant(qat, f"conv_{i}")
            x = QConv2D(filters, params.kernel_size, padding=params.padding, kernel_quantizer=bits_quantizer(w),
                        bias_quantizer=bits_quantizer(b), kernel_regularizer=reg, name=f"conv_{i}")(x)
            x = QActivation(relu_quantizer(a), name=f"conv_relu_{i}")(x)
            if params.pool_size > 1:
                x = pool_cls(params.pool_size, name=f"pool_{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = dense_head(x, params.dense, num_classes, reg=reg, qat=qat)
    outputs = layers.Activation("softmax", name="softmax")(x)
    return tf.keras.Model(inputs, outputs, name="cnn")
