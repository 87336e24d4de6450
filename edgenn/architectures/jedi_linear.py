"""Linear-complexity graph network on jet constituents, in the spirit of JEDI-linear (arXiv:2508.15468).

The interaction network (``interaction_net``) builds every directed edge (N(N-1) of them) and runs an MLP on each.
If the edge function is affine, E_ij = A x_i + B x_j + c, the sum over a particle's incoming edges collapses to
sum_j E_ij = ((N-1) A - B) x_i + B S + (N-1) c with S = sum_j x_j: a per-particle term plus one global sum shared by
every particle. The network below keeps that structure and puts the non-linearity around it:

    h (N, D)        = phi MLP applied to every particle                    'phi_k'   (Dense on a 3-D tensor)
    h^T (D, N)      = Permute(2, 1)(h)                                     'to_features'
    s (D, 1)        = Dense(1, no bias, kernel ones(N, 1))(h^T)            'aggregate': sum over the particles
    node_0          = relu(h W_a + b + broadcast(s^T W_b))                 see below
    O (N, D_o)      = the rest of the node MLP on every particle           'node_k', k >= 1
    pooled (D_o)    = GlobalAveragePooling1D / GlobalMaxPooling1D          'pool'
    logits          = head MLP -> 'logits' -> softmax

The first node layer sees each particle and the jet's sum, [h_i, s] W + b = h_i W_a + s W_b + b. With
``global_term: factored`` (the default) the global part is computed once: 'node_0' (per particle, D -> D_o, bias)
plus 'node_0_global' (s^T W_b on the one summed row, no bias), copied to every particle by a fixed
Dense(N, kernel ones(1, N)) 'broadcast' and added ('node_0_add'). ``global_term: concatenated`` builds the same
function as JEDI-linear writes it, s broadcast to every particle and concatenated with h ('node_inputs'), so the
first node kernel (2D -> D_o) runs N times on a half that is the same for every particle: in distributed arithmetic
that half was about half the design (51k of 106k LUT at N = 16). Both are the same QKeras function for the same
weights (W = [W_a; W_b], quantized element by element), so only the cost differs.

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

from edgenn.architectures.deepsets import (
    classifier_head,
    dense_layer,
    dense_stack,
    input_layers,
    pooling_layer,
    relu_layer,
)
from edgenn.architectures.interaction_net import fixed_matmul
from edgenn.architectures.registry import register_family
from edgenn.config.recipe import QatSpec


class JediLinearParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    phi: list[int] = Field(default_factory=lambda: [16, 16], min_length=1)
    node: list[int] = Field(default_factory=lambda: [16, 16], min_length=1)
    head: list[int] = Field(default_factory=lambda: [16])
    pooling: Literal["mean", "max"] = "mean"
    global_term: Literal["factored", "concatenated"] = "factored"
    l1: float = Field(1e-4, ge=0)

    def model_post_init(self, _ctx) -> None:
        if any(h < 1 for h in [*self.phi, *self.node, *self.head]):
            raise ValueError(f"layer sizes must be >= 1 (got phi={self.phi}, node={self.node}, head={self.head})")


def _layers(params: JediLinearParams) -> list[str]:
    node = [f"node_{i}" for i in range(len(params.node))]
    if params.global_term == "factored":
        node.insert(1, "node_0_global")
    return [f"phi_{i}" for i in range(len(params.phi))] + node + [f"head_{i}" for i in range(len(params.head))] + [
        "logits"]


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
    if params.global_term == "concatenated":
        spread = fixed_matmul(total, np.ones((1, n), np.float32), "broadcast", qat)
        spread = layers.Permute((2, 1), name="global_to_particles")(spread)
        nodes = layers.Concatenate(axis=-1, name="node_inputs")([h, spread])
        nodes = dense_stack(nodes, params.node, "node", reg, qat)
    else:
        row = layers.Permute((2, 1), name="sum_to_row")(total)  # (1, D): one row holding the jet's sum
        # W_b is part of node_0's kernel in the concatenated form: quantized with node_0's bits
        term = dense_layer(params.node[0], "node_0_global", reg, qat, use_bias=False, quant_as="node_0")(row)
        term = layers.Permute((2, 1), name="global_to_features")(term)
        spread = fixed_matmul(term, np.ones((1, n), np.float32), "broadcast", qat)
        spread = layers.Permute((2, 1), name="global_to_particles")(spread)
        local = dense_layer(params.node[0], "node_0", reg, qat)(h)
        nodes = layers.Add(name="node_0_add")([local, spread])
        nodes = relu_layer("node_relu_0", "node_0", qat)(nodes)
        nodes = dense_stack(nodes, params.node[1:], "node", reg, qat, start=1)
    pooled = pooling_layer(params.pooling)(nodes)
    outputs = classifier_head(pooled, params.head, num_classes, reg, qat)
    return tf.keras.Model(inputs, outputs, name="jedi_linear")
