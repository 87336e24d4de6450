"""Deep Sets / PointNet classifier on jet constituents: per-particle network, permutation-invariant pooling, head.

Input (N, P): N particles (zero-padded) with P features. ``phi_k`` is a Dense applied to every particle (a Dense on a
3-D tensor: Keras contracts the last axis; hls4ml 1.3 turns it into a pointwise Conv1D, which io_parallel converts),
``pool`` is GlobalAveragePooling1D or GlobalMaxPooling1D over the particle axis, ``head_k`` is an MLP on the pooled
vector. Float and QKeras builds share layer names (``phi_k``, ``phi_relu_k``, ``pool``, ``head_k``, ``head_relu_k``,
``logits``, ``softmax``), so weights move between them by name.

Why the firmware is exact: per-particle layers are Dense layers (exact accumulators from interval arithmetic);
max pooling selects one of its inputs; mean pooling over a power-of-two N divides an exact sum by 2**k, which in fixed
point only needs k more fraction bits (``edgenn.exporters.precision_graph``). The padded particles are seen by the
model (phi(0) enters the mean), so shuffling all N rows, padding included, leaves the output unchanged.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from edgenn.architectures.registry import register_family
from edgenn.config.recipe import QatSpec


class DeepSetsParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    phi: list[int] = Field(default_factory=lambda: [32, 32], min_length=1)
    head: list[int] = Field(default_factory=lambda: [32])
    pooling: Literal["mean", "max"] = "mean"
    l1: float = Field(1e-4, ge=0)

    def model_post_init(self, _ctx) -> None:
        if any(h < 1 for h in [*self.phi, *self.head]):
            raise ValueError(f"layer sizes must be >= 1 (got phi={self.phi}, head={self.head})")


def _layers(params: DeepSetsParams) -> list[str]:
    return [f"phi_{i}" for i in range(len(params.phi))] + [f"head_{i}" for i in range(len(params.head))] + ["logits"]


def dense_stack(x, sizes: list[int], prefix: str, reg, qat: QatSpec | None, *, start: int = 0):
    """Dense + ReLU layers named ``<prefix>_k`` / ``<prefix>_relu_k`` for k from ``start`` (QDense + quantized_relu
    when ``qat``)."""
    for i, units in enumerate(sizes, start=start):
        x = dense_layer(units, f"{prefix}_{i}", reg, qat)(x)
        x = relu_layer(f"{prefix}_relu_{i}", f"{prefix}_{i}", qat)(x)
    return x


def dense_layer(units: int, name: str, reg, qat: QatSpec | None, *, use_bias: bool = True,
                quant_as: str | None = None):
    """A Dense (QDense when ``qat``) quantized as the layer ``quant_as`` (default: itself) is in the recipe."""
    from tensorflow.keras import layers

    if qat is None:
        return layers.Dense(units, kernel_regularizer=reg, use_bias=use_bias, name=name)
    from qkeras import QDense

    from edgenn.architectures.quantizers import bits_quantizer, layer_quant

    w, b, _ = layer_quant(qat, quant_as or name)
    return QDense(units, kernel_quantizer=bits_quantizer(w), bias_quantizer=bits_quantizer(b) if use_bias else None,
                  kernel_regularizer=reg, use_bias=use_bias, name=name)


def relu_layer(name: str, dense_name: str, qat: QatSpec | None):
    from tensorflow.keras import layers

    if qat is None:
        return layers.Activation("relu", name=name)
    from qkeras import QActivation

    from edgenn.architectures.quantizers import layer_quant, relu_quantizer

    return QActivation(relu_quantizer(layer_quant(qat, dense_name)[2]), name=name)


def input_layers(input_shape: tuple[int, ...], qat: QatSpec | None):
    """(Keras input, tensor after the input quantizer, if any)."""
    from tensorflow.keras import layers

    inputs = layers.Input(shape=input_shape, name="input")
    if qat is None:
        return inputs, inputs
    from qkeras import QActivation

    from edgenn.architectures.quantizers import bits_quantizer

    return inputs, QActivation(bits_quantizer(qat.input), name="input_quant")(inputs)


def classifier_head(x, params_head: list[int], num_classes: int, reg, qat: QatSpec | None):
    from tensorflow.keras import layers

    x = dense_stack(x, params_head, "head", reg, qat)
    x = dense_layer(num_classes, "logits", reg, qat)(x)
    return layers.Activation("softmax", name="softmax")(x)


def pooling_layer(kind: str):
    from tensorflow.keras import layers

    return layers.GlobalAveragePooling1D(name="pool") if kind == "mean" else layers.GlobalMaxPooling1D(name="pool")


@register_family("deepsets", params_model=DeepSetsParams, input_kind="constituents", quantizable_layers=_layers,
                 description="Deep Sets / PointNet on jet constituents (per-particle MLP, pooling, head)")
def build_deepsets(params: DeepSetsParams, input_shape: tuple[int, ...], num_classes: int,
                   qat: QatSpec | None = None):
    import tensorflow as tf
    from tensorflow.keras import regularizers

    reg = regularizers.l1(params.l1) if params.l1 else None
    inputs, x = input_layers(tuple(input_shape), qat)
    x = dense_stack(x, params.phi, "phi", reg, qat)
    x = pooling_layer(params.pooling)(x)
    outputs = classifier_head(x, params.head, num_classes, reg, qat)
    return tf.keras.Model(inputs, outputs, name="deepsets")
