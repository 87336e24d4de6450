"""GarNet on jet constituents: hls4ml's distance-weighted graph layer (``hls4ml.contrib.garnet.GarNet``, Keras 2).

Inputs: ``constituents`` (N, P), zero-padded, and ``n_vertices`` (1,), the number of real particles, which edgenn
computes from the padding (``architectures.extra_inputs.vertex_count``; ``feed(model, x)`` supplies it everywhere).

    garnet      GarNet(n_aggregators, n_filters, n_propagate, simplified=True, collapse='mean', input_format='xn',
                output_activation=None): per particle v, features f_v = FLR(x_v) and distances d_va = S(x_v) to the
                aggregators a; edge weights w_va = exp(-d_va^2) (0 for padding); aggregator means
                h_a = (1/N) sum_v w_va f_v; outputs (1/N) sum_v Fout(sum_a w_va h_a), mean over the N slots
    garnet_quant  (QKeras build only) quantized_bits on the GarNet output
    head_k, logits, softmax   dense head as in the other families

This is the one configuration hls4ml 1.3 converts and edgenn verifies: ``simplified=True``, linear output, input
format ``xn``, mean collapse over a power-of-two N (the firmware divides by 2**log2(N) with a shift), a single GarNet
layer. The firmware evaluates exp(-d^2) from a lookup table on a 12-bit distance and rounds its weights to 10
fraction bits, so the float Keras layer cannot equal it bit for bit: the C simulation is verified exactly against
edgenn's numpy model of ``nnet_garnet.h`` (``exporters.garnet_reference``) feeding the QKeras head, and the agreement
with the float layer is reported separately. The GarNet layer's own weights stay float in Keras (hls4ml's
``quantize_transforms`` option quantizes them with quantized_bits in Keras but with a ternary quantizer in the
firmware, so it is refused); QAT quantizes the input, the GarNet output and the head.

Permuting the real particles (the first n_vertices rows) leaves the output unchanged: every sum over particles is
order-free, in Keras and, as integer sums, in the firmware.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from edgenn.architectures.deepsets import classifier_head
from edgenn.architectures.extra_inputs import N_VERTICES
from edgenn.architectures.registry import register_family
from edgenn.config.recipe import QatSpec
from edgenn.errors import UnsupportedModelError

PRIMARY_INPUT = "constituents"


class GarNetParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    n_aggregators: int = Field(4, ge=1, le=64)
    n_propagate: int = Field(8, ge=1, le=64)
    n_filters: int = Field(16, ge=1, le=256)  # output features of the GarNet layer
    head: list[int] = Field(default_factory=lambda: [16])
    l1: float = Field(1e-4, ge=0)  # on the head only: GarNet's internal Dense layers take no regularizer

    def model_post_init(self, _ctx) -> None:
        if any(h < 1 for h in self.head):
            raise ValueError(f"head layer sizes must be >= 1 (got {self.head})")


def _layers(params: GarNetParams) -> list[str]:
    # 'garnet': only its activation bits are used (the GarNet output quantizer 'garnet_quant')
    return ["garnet"] + [f"head_{i}" for i in range(len(params.head))] + ["logits"]


def require_power_of_two(num_vertices: int) -> None:
    if num_vertices < 2 or num_vertices & (num_vertices - 1):
        raise UnsupportedModelError(
            f"layer 'garnet' (GarNet): {num_vertices} vertices; hls4ml's GarNet divides by 2**floor(log2 N) with a "
            "shift, which equals the Keras mean only for a power-of-two N.",
            fix="set data.num_constituents to a power of two (16 or 32), or use the deepsets family with max pooling.")


@register_family("garnet", params_model=GarNetParams, input_kind="constituents", quantizable_layers=_layers,
                 description="GarNet (hls4ml contrib, distance-weighted graph layer) on constituents, dense head")
def build_garnet(params: GarNetParams, input_shape: tuple[int, ...], num_classes: int, qat: QatSpec | None = None):
    import tensorflow as tf
    from hls4ml.contrib.garnet import GarNet
    from tensorflow.keras import layers, regularizers

    if len(input_shape) != 2:
        raise UnsupportedModelError(f"layer 'garnet' (GarNet): input shape {tuple(input_shape)} is not "
                                    "(particles, features).", fix="use input_kind constituents.")
    require_power_of_two(int(input_shape[0]))
    reg = regularizers.l1(params.l1) if params.l1 else None
    x_in = layers.Input(shape=tuple(input_shape), name=PRIMARY_INPUT)
    n_in = layers.Input(shape=(1,), name=N_VERTICES.name)
    x = x_in
    if qat is not None:
        from qkeras import QActivation

        from edgenn.architectures.quantizers import bits_quantizer

        x = QActivation(bits_quantizer(qat.input), name="input_quant")(x)
    h = GarNet(params.n_aggregators, params.n_filters, params.n_propagate, simplified=True, collapse="mean",
               input_format="xn", output_activation=None, mean_by_nvert=False, quantize_transforms=False,
               name="garnet")([x, n_in])
    if qat is not None:
        from qkeras import QActivation

        from edgenn.architectures.quantizers import bits_quantizer, layer_quant

        h = QActivation(bits_quantizer(layer_quant(qat, "garnet")[2]), name="garnet_quant")(h)
    outputs = classifier_head(h, params.head, num_classes, reg, qat)
    return tf.keras.Model([x_in, n_in], outputs, name="garnet")
