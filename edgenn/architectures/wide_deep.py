"""Wide-and-deep classifier on high-level features: a deep ReLU MLP beside a linear ("wide") projection of the inputs,
joined by a Concatenate in front of the logits.

The wide path hands the logits a linear view of the features that the deep path would otherwise have to carry through
its ReLUs (Cheng et al., arXiv 1606.07792); in firmware it is one more small Dense in parallel with the deep path, so
it adds multipliers but no latency. Layers are the ones the dense family already uses (Dense/QDense, relu, a
quantized cast, Concatenate), with the same names in the float and the quantized build, so weights move between them
by name.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from edgenn.architectures.quantizers import bits_quantizer, layer_quant, relu_quantizer
from edgenn.architectures.registry import register_family
from edgenn.config.recipe import QatSpec


class WideDeepParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hidden: list[int] = Field(default_factory=lambda: [32, 16], min_length=1)
    wide: int = Field(8, ge=1, description="outputs of the linear projection of the inputs")
    l1: float = Field(1e-4, ge=0)

    def model_post_init(self, _ctx) -> None:
        if any(h < 1 for h in self.hidden):
            raise ValueError(f"hidden layer sizes must be >= 1 (got {self.hidden})")


def _layers(params: WideDeepParams) -> list[str]:
    return [f"dense_{i}" for i in range(len(params.hidden))] + ["wide", "logits"]


@register_family("wide_deep", params_model=WideDeepParams, input_kind="features", quantizable_layers=_layers,
                 description="deep MLP beside a linear projection of the jet features, concatenated before the logits")
def build_wide_deep(params: WideDeepParams, input_shape: tuple[int, ...], num_classes: int,
                    qat: QatSpec | None = None):
    import tensorflow as tf
    from tensorflow.keras import layers, regularizers

    reg = regularizers.l1(params.l1) if params.l1 else None
    inputs = layers.Input(shape=input_shape, name="input")
    if qat is None:
        deep = inputs
        for i, n in enumerate(params.hidden):
            deep = layers.Dense(n, kernel_regularizer=reg, name=f"dense_{i}")(deep)
            deep = layers.Activation("relu", name=f"relu_{i}")(deep)
        wide = layers.Dense(params.wide, kernel_regularizer=reg, name="wide")(inputs)
        wide = layers.Activation("linear", name="wide_act")(wide)
        joined = layers.Concatenate(name="join")([deep, wide])
        logits = layers.Dense(num_classes, kernel_regularizer=reg, name="logits")(joined)
    else:
        from qkeras import QActivation, QDense

        def qdense(x, units: int, name: str):
            w, b, a = layer_quant(qat, name)
            return QDense(units, kernel_quantizer=bits_quantizer(w), bias_quantizer=bits_quantizer(b),
                          kernel_regularizer=reg, name=name)(x), a

        x = QActivation(bits_quantizer(qat.input), name="input_quant")(inputs)
        deep = x
        for i, n in enumerate(params.hidden):
            deep, a = qdense(deep, n, f"dense_{i}")
            deep = QActivation(relu_quantizer(a), name=f"relu_{i}")(deep)
        wide, a = qdense(x, params.wide, "wide")
        # a signed cast (not a relu): the wide path stays linear, and the Concatenate joins two fixed-point types
        wide = QActivation(bits_quantizer(a), name="wide_act")(wide)
        joined = layers.Concatenate(name="join")([deep, wide])
        logits, _ = qdense(joined, num_classes, "logits")
    outputs = layers.Activation("softmax", name="softmax")(logits)
    return tf.keras.Model(inputs, outputs, name="wide_deep")
