"""Dense (MLP) classifier on high-level features: the hls4ml jet tagger 16-64-32-32-5 by default.

Layer names are the same in the float and the quantized build (``dense_k``, ``relu_k``, ``logits``, ``softmax``), so
weights move between them by name. No BatchNormalization: its folding into the preceding Dense changes the rounding of
the quantized weights, and the firmware must reproduce the quantized model exactly.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from edgenn.architectures.quantizers import bits_quantizer, dense_head
from edgenn.architectures.registry import register_family
from edgenn.config.recipe import QatSpec


class DenseParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hidden: list[int] = Field(default_factory=lambda: [64, 32, 32], min_length=1)
    activation: Literal["relu"] = "relu"
    l1: float = Field(1e-4, ge=0)

    def model_post_init(self, _ctx) -> None:
        if any(h < 1 for h in self.hidden):
            raise ValueError(f"hidden layer sizes must be >= 1 (got {self.hidden})")


def _layers(params: DenseParams) -> list[str]:
    return [f"dense_{i}" for i in range(len(params.hidden))] + ["logits"]


@register_family("dense", params_model=DenseParams, input_kind="features", quantizable_layers=_layers,
                 description="MLP on high-level jet features (hls4ml jet tagger)")
def build_dense(params: DenseParams, input_shape: tuple[int, ...], num_classes: int, qat: QatSpec | None = None):
    import tensorflow as tf
    from tensorflow.keras import layers, regularizers

    reg = regularizers.l1(params.l1) if params.l1 else None
    inputs = layers.Input(shape=input_shape, name="input")
    x = inputs
    if qat is not None:
        from qkeras import QActivation

        x = QActivation(bits_quantizer(qat.input), name="input_quant")(inputs)
    x = dense_head(x, params.hidden, num_classes, reg=reg, qat=qat)
    outputs = layers.Activation("softmax", name="softmax")(x)
    return tf.keras.Model(inputs, outputs, name="dense")
