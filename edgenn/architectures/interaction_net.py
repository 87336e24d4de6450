"""Interaction network (JEDI-net style) on jet constituents, built only from layers hls4ml 1.3 converts.

Input x: (N, P), N particles (zero-padded) with P features. The graph is complete and directed: N_E = N(N-1) edges
e = (receiver r, sender s), s != r, ordered by r then s. Two fixed 0/1 matrices describe it:
R_r[i, e] = 1 if r(e) = i, R_s[i, e] = 1 if s(e) = i (both N x N_E).

    x^T (P, N)       = Permute(2, 1)(x)                           'to_features'
    x_r, x_s (P, N_E) = Dense(N_E, no bias, kernel R_r / R_s)(x^T)  'gather_receivers', 'gather_senders'
    B (N_E, 2P)      = Concatenate(Permute(x_r), Permute(x_s))     every edge's receiver and sender features
    E (N_E, D_e)     = edge MLP applied to every edge              'edge_k', Dense on a 3-D tensor
    Ebar (N, D_e)    = Permute(Dense(N, no bias, kernel R_r^T)(Permute(E)))   'aggregate': sum over incoming edges
    C (N, P + D_e)   = Concatenate(x, Ebar)
    O (N, D_o)       = node MLP applied to every particle           'node_k'
    pooled (D_o)     = GlobalAveragePooling1D / GlobalMaxPooling1D  'pool'
    logits           = head MLP -> 'logits' -> softmax

The gather and aggregate layers are non-trainable (``trainable=False``: never pruned or trained) and, in the QKeras
build, QDense layers with ``quantized_bits(2, 1, alpha=1)`` kernels, which hold 0 and 1 exactly.

Why the firmware is exact: a product by a 0/1 weight is the input value or zero, and a sum of values on a common grid
is exact in an accumulator that holds its range; ``edgenn.exporters.precision`` sizes every accumulator from the exact
interval of its sums (the gather sums have one non-zero term, the aggregation N-1), so gathering, aggregation and the
MLPs all compute in fixed point exactly what QKeras computes in float32 (every sum needs fewer than 24 bits).
Permute and Concatenate only move values. Mean pooling over N = 2**k divides by a power of two (k extra fraction
bits). Permuting the particles permutes the edges with them; aggregation and pooling are sums over them, so the
output is unchanged, in Keras and bit for bit in firmware (integer sums do not depend on their order).

Cost: the gather and aggregate matmuls have N * N_E = N^2 (N-1) weights (3,840 at N = 16, 31,744 at N = 32), all
but N_E of them zero; HLS drops multiplications by constant zero, but compile time grows with N^3.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from edgenn.architectures.deepsets import classifier_head, dense_stack, input_layers, pooling_layer
from edgenn.architectures.registry import register_family
from edgenn.config.recipe import QatSpec


class InteractionNetParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    edge: list[int] = Field(default_factory=lambda: [16, 8], min_length=1)
    node: list[int] = Field(default_factory=lambda: [16, 8], min_length=1)
    head: list[int] = Field(default_factory=lambda: [16])
    pooling: Literal["mean", "max"] = "mean"
    l1: float = Field(1e-4, ge=0)

    def model_post_init(self, _ctx) -> None:
        if any(h < 1 for h in [*self.edge, *self.node, *self.head]):
            raise ValueError(f"layer sizes must be >= 1 (got edge={self.edge}, node={self.node}, head={self.head})")


def _layers(params: InteractionNetParams) -> list[str]:
    return ([f"edge_{i}" for i in range(len(params.edge))] + [f"node_{i}" for i in range(len(params.node))]
            + [f"head_{i}" for i in range(len(params.head))] + ["logits"])


def incidence_matrices(num_particles: int) -> tuple[np.ndarray, np.ndarray]:
    """(R_r, R_s), each (N, N(N-1)) float32 0/1: edge e = (r, s), s != r, ordered by receiver then sender."""
    n = num_particles
    edges = [(r, s) for r in range(n) for s in range(n) if s != r]
    receivers, senders = np.zeros((n, len(edges)), np.float32), np.zeros((n, len(edges)), np.float32)
    for e, (r, s) in enumerate(edges):
        receivers[r, e] = 1.0
        senders[s, e] = 1.0
    return receivers, senders


def fixed_matmul(x, matrix: np.ndarray, name: str, qat: QatSpec | None):
    """``x @ matrix`` by a non-trainable, bias-free Dense whose kernel is the fixed 0/1 ``matrix``.

    The kernel is set after the layer is built, not by a Constant initializer: Keras 2 would write the whole matrix
    into the layer config, which it then fails to deserialize from the saved model."""
    import tensorflow as tf

    if qat is None:
        layer = tf.keras.layers.Dense(matrix.shape[1], use_bias=False, kernel_initializer="zeros", trainable=False,
                                      name=name)
    else:
        from qkeras import QDense, quantized_bits

        layer = QDense(matrix.shape[1], use_bias=False, kernel_initializer="zeros", trainable=False, name=name,
                       kernel_quantizer=quantized_bits(2, 1, alpha=1))  # holds 0 and 1 exactly
    y = layer(x)
    layer.set_weights([matrix])
    return y


@register_family("interaction_net", params_model=InteractionNetParams, input_kind="constituents",
                 quantizable_layers=_layers,
                 description="interaction network (JEDI-net) on constituents with fixed 0/1 gather/aggregate matmuls")
def build_interaction_net(params: InteractionNetParams, input_shape: tuple[int, ...], num_classes: int,
                          qat: QatSpec | None = None):
    import tensorflow as tf
    from tensorflow.keras import layers, regularizers

    if len(input_shape) != 2 or input_shape[0] < 2:
        from edgenn.errors import InvalidInputError

        raise InvalidInputError(f"interaction_net: input shape {tuple(input_shape)} is not (particles >= 2, features).",
                                fix="use input_kind constituents with data.num_constituents >= 2.")
    n = int(input_shape[0])
    receivers, senders = incidence_matrices(n)
    reg = regularizers.l1(params.l1) if params.l1 else None
    inputs, x = input_layers(tuple(input_shape), qat)
    xt = layers.Permute((2, 1), name="to_features")(x)
    x_r = layers.Permute((2, 1), name="receivers_to_edges")(fixed_matmul(xt, receivers, "gather_receivers", qat))
    x_s = layers.Permute((2, 1), name="senders_to_edges")(fixed_matmul(xt, senders, "gather_senders", qat))
    edges = layers.Concatenate(axis=-1, name="edge_inputs")([x_r, x_s])
    edges = dense_stack(edges, params.edge, "edge", reg, qat)
    agg = layers.Permute((2, 1), name="edges_to_features")(edges)
    agg = fixed_matmul(agg, receivers.T.copy(), "aggregate", qat)
    agg = layers.Permute((2, 1), name="aggregate_to_nodes")(agg)
    nodes = layers.Concatenate(axis=-1, name="node_inputs")([x, agg])
    nodes = dense_stack(nodes, params.node, "node", reg, qat)
    pooled = pooling_layer(params.pooling)(nodes)
    outputs = classifier_head(pooled, params.head, num_classes, reg, qat)
    return tf.keras.Model(inputs, outputs, name="interaction_net")
