"""Linear-complexity graph network on jet constituents, in the spirit of JEDI-linear (arXiv:2508.15468).

The interaction network (``interaction_net``) builds every directed edge (N(N-1) of them) and runs an MLP on each.
If the edge function is affine, E_ij = A x_i + B x_j + c, the sum over a particle's incoming edges collapses to
sum_j E_ij = ((N-1) A - B) x_i + B S + (N-1) c with S = sum_j x_j: a per-particle term plus one global sum shared by
every particle. The network below keeps that structure and puts the non-linearity around it:

    h (N, D)        = phi MLP applied to every particle                    'phi_k'   (Dense on a 3-D tensor)
    h^T (D, N)      = Permute(2, 1)(h)                                     'to_features'
    s (D, 1)        = Dense(1, no bias, kernel ones(N, 1))(h^T)            'aggregate': sum over the particles
    g (D, N)        = Dense(N, no bias, kernel ones(1, N))(s)              'broadcast': the sum, copied to each one
    C (N, 2D)       = Concatenate(h, Permute(g))                           each particle and the jet's global sum
    O (N, D_o)      = node MLP applied to every particle                   'node_k'
    pooled (D_o)    = GlobalAveragePooling1D / GlobalMaxPooling1D          'pool'
    logits          = head MLP -> 'logits' -> softmax

Every layer's weight count grows linearly with N: the per-particle MLPs are N copies of one kernel, the aggregate
and broadcast kernels have N ones each (the interaction network's gather/aggregate matmuls have N^2 (N-1)). The
aggregate/broadcast layers are non-trainable fixed 0/1 matmuls (``interaction_net.fixed_matmul``), so every layer is
one hls4ml 1.3 converts from QKeras in io_parallel, and every Dense kernel is solved by da4ml under
``strategy: distributed_arithmetic`` (multiplier-free shift-and-add kernels, II 1 at ParallelizationFactor N).

Why the firmware is exact: a product by a 0/1 weight is its input or zero; the aggregate sums N values on one grid,
exact in an accumulator holding log2(N) more integer bits, which ``edgenn.exporters.precision`` sizes from the exact
interval of the sum; the broadcast has one non-zero term per output; Permute and Concatenate move values; mean
pooling over N = 2**k divides by a power of two. Permuting the particles (padding included) permutes the rows of h
and O and leaves s, the pooled vector and the output unchanged, bit for bit (integer sums are order-free).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from edgenn.architectures.deepsets import classifier_head, dense_stack, input_layers, pooling_layer
from edgenn.architectures.interaction_net import fixed_matmul
from edgenn.architectures.registry import register_family
from edgenn.config.recipe import QatSpec


class JediLinearParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    phi: list[int] = Field(default_factory=lambda: [16, 16], min_length=1)
    node: list[int] = Field(default_factory=lambda: [16, 16], min_length=1)
    head: list[int] = Field(default_factory=lambda: [16])
    pooling: Literal["mean", "max"] = "mean"
    l1: float = Field(1e-4, ge=0)

    def model_post_init(self, _ctx) -> None:
        if any(h < 1 for h in [*self.phi, *self.node, *self.head]):
            raise ValueError(f"layer sizes must be >= 1 (got phi={self.phi}, node={self.node}, head={self.head})")


def _layers(params: JediLinearParams) -> list[str]:
    return ([f"phi_{i}" for i in range(len(params.phi))] + [f"node_{i}" for i in range(len(params.node))]
            + [f"head_{i}" for i in range(len(params.head))] + ["logits"])


@register_family("jedi_linear", params_model=JediLinearParams, input_kind="constituents", quantizable_layers=_layers,
                 description="linear-complexity graph network (JEDI-linear style): per-particle MLP, global sum "
                             "broadcast to every particle, second per-particle MLP, pooling, head")
def build_jedi_linear(params: JediLinearParams, input_shape: tuple[int, ...], num_classes: int,
                      qat: QatSpec | None = None):
    import tensorflow as tf
    from tensorflow.keras import layers, regularizers

    if len(input_shape) != 2 or input_shape[0] < 2:
        from edgenn.errors import InvalidInputError

        raise InvalidInputError(f"jedi_linear: input shape {tuple(input_shape)} is not (particles >= 2, features).",
                                fix="use input_kind constituents with data.num_constituents >= 2.")
    n = int(input_shape[0])
    reg = regularizers.l1(params.l1) if params.l1 else None
    inputs, x = input_layers(tuple(input_shape), qat)
    h = dense_stack(x, params.phi, "phi", reg, qat)
    ht = layers.Permute((2, 1), name="to_features")(h)
    total = fixed_matmul(ht, np.ones((n, 1), np.float32), "aggregate", qat)
    spread = fixed_matmul(total, np.ones((1, n), np.float32), "broadcast", qat)
    spread = layers.Permute((2, 1), name="global_to_particles")(spread)
    nodes = layers.Concatenate(axis=-1, name="node_inputs")([h, spread])
    nodes = dense_stack(nodes, params.node, "node", reg, qat)
    pooled = pooling_layer(params.pooling)(nodes)
    outputs = classifier_head(pooled, params.head, num_classes, reg, qat)
    return tf.keras.Model(inputs, outputs, name="jedi_linear")
