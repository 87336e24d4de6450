"""Write QONNX graphs in the shapes Brevitas' ``export_qonnx`` produces, from float weights, without torch.

Brevitas exports a ``QuantIdentity`` as a ``Quant`` node on the input, a ``QuantLinear`` as ``Gemm(x, Quant(W), b)``
with ``transB=1`` and W of shape (out, in), a ``QuantConv{1,2}d`` as ``Conv(x, Quant(W), b)`` (channels first), a
``QuantReLU`` as ``Relu`` then an unsigned ``Quant``, and a bias quantizer as a ``Quant`` of the bias with scale
``input scale * weight scale``. Weights here get per-tensor power-of-two scales chosen from their range (Brevitas'
``restrict_scaling_type=POWER_OF_TWO``), narrow-range signed codes as Brevitas' default weight quantizer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

DOMAIN = "qonnx.custom_op.general"


def po2_scale(values: np.ndarray, bits: int, signed: bool = True) -> float:
    """The smallest power-of-two scale whose code range covers max |values| (at least 2**-20)."""
    top = float(np.max(np.abs(values), initial=0.0))
    codes = 2 ** (bits - 1) - 1 if signed else 2 ** bits - 1
    return 2.0 ** max(-20, math.ceil(math.log2(top / codes))) if top > 0 else 2.0 ** -20


@dataclass
class GraphWriter:
    """Accumulates nodes and initializers; ``model()`` returns the checked ``onnx.ModelProto``."""

    nodes: list = field(default_factory=list)
    inits: list = field(default_factory=list)
    count: int = 0

    def name(self, stem: str) -> str:
        self.count += 1
        return f"{stem}_{self.count}"

    def const(self, value, stem: str = "c") -> str:
        from onnx import numpy_helper

        name = self.name(stem)
        self.inits.append(numpy_helper.from_array(np.asarray(value, np.float32), name))
        return name

    def node(self, op: str, inputs: list[str], stem: str | None = None, domain: str = "", **attrs) -> str:
        from onnx import helper

        name = self.name(stem or op)
        self.nodes.append(helper.make_node(op, inputs, [name + "_out"], name=name, domain=domain, **attrs))
        return name + "_out"

    def quant(self, x: str, scale: float, bits: int, *, signed: bool = True, narrow: bool = False,
              rounding: str = "ROUND", stem: str = "Quant") -> str:
        return self.node("Quant", [x, self.const(scale, "scale"), self.const(0.0, "zeropt"),
                                   self.const(float(bits), "bitwidth")], stem, DOMAIN,
                         signed=int(signed), narrow=int(narrow), rounding_mode=rounding)

    def model(self, inputs: list[tuple[str, tuple]], output: str, out_shape: tuple):
        from onnx import TensorProto, checker, helper

        graph = helper.make_graph(self.nodes, "brevitas_like",
                                  [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(s)) for n, s in inputs],
                                  [helper.make_tensor_value_info(output, TensorProto.FLOAT, list(out_shape))],
                                  initializer=self.inits)
        model = helper.make_model(graph, producer_name="edgenn-brevitas-like",
                                  opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(DOMAIN, 1)])
        checker.check_model(model)
        return model


def _weight(g: GraphWriter, w: np.ndarray, bits: int, scale: float | None = None,
            narrow: bool = True) -> tuple[str, float]:
    s = po2_scale(w, bits) if scale is None else scale
    return g.quant(g.const(w, "weight"), s, bits, narrow=narrow, stem="WeightQuant"), s


def _bias(g: GraphWriter, b: np.ndarray, scale: float, bits: int) -> str:
    return g.quant(g.const(b, "bias"), scale, bits, stem="BiasQuant")


def mlp_graph(weights: list[np.ndarray], biases: list[np.ndarray], *, weight_bits: int = 4, act_bits: int = 6,
              input_bits: int = 8, input_scale: float = 2.0 ** -4, act_scale: float = 2.0 ** -3,
              bias_bits: int = 16, weight_scales: list[float] | None = None, narrow_weights: bool = True,
              bias_scales: list[float] | None = None):
    """Quant(input) -> [Gemm(Quant(W), Quant(b)) -> Relu -> Quant(unsigned)]* -> Gemm: logits.

    ``weights[i]`` has Keras' shape (in, out); Brevitas stores (out, in), so the graph holds its transpose. Weight
    scales default to the smallest power of two covering each tensor, bias scales to input scale * weight scale.
    """
    g = GraphWriter()
    x = g.quant("global_in", input_scale, input_bits, stem="QuantIdentity")
    s_in = input_scale
    for i, (w, b) in enumerate(zip(weights, biases)):
        wq, s_w = _weight(g, np.asarray(w).T, weight_bits, None if weight_scales is None else weight_scales[i],
                          narrow_weights)
        s_b = s_in * s_w if bias_scales is None else bias_scales[i]
        x = g.node("Gemm", [x, wq, _bias(g, b, s_b, bias_bits)], f"Gemm{i}", transB=1)
        if i < len(weights) - 1:
            x = g.quant(g.node("Relu", [x], f"Relu{i}"), act_scale, act_bits, signed=False, stem="QuantReLU")
            s_in = act_scale
    return g.model([("global_in", (1, weights[0].shape[0]))], x, (1, weights[-1].shape[1]))


def conv_graph(rng: np.random.Generator, *, spatial: int = 2, size: int = 8, channels: tuple[int, int] = (2, 4),
               classes: int = 3, weight_bits: int = 4, act_bits: int = 6, pool: bool = True):
    """Quant(input) -> Conv -> Relu -> Quant -> [MaxPool] -> Flatten -> Gemm, random weights, channels first."""
    g = GraphWriter()
    c_in, c_out = channels
    kernel = (3,) * spatial
    shape = (1, c_in) + (size,) * spatial
    x = g.quant("global_in", 2.0 ** -4, 8, stem="QuantIdentity")
    w = rng.normal(0, 0.5, (c_out, c_in, *kernel))
    wq, s_w = _weight(g, w, weight_bits)
    x = g.node("Conv", [x, wq, _bias(g, rng.normal(0, 0.2, c_out), 2.0 ** -4 * s_w, 16)], "Conv0",
               kernel_shape=list(kernel), pads=[1] * (2 * spatial), strides=[1] * spatial, dilations=[1] * spatial,
               group=1)  # torch writes every Conv attribute; qonnx's channels-last Conv requires them
    x = g.quant(g.node("Relu", [x], "Relu0"), 2.0 ** -3, act_bits, signed=False, stem="QuantReLU")
    if pool:
        x = g.node("MaxPool", [x], "MaxPool0", kernel_shape=[2] * spatial, strides=[2] * spatial,
                   pads=[0] * (2 * spatial))
    x = g.node("Flatten", [x], "Flatten0", axis=1)
    features = c_out * (size // 2 if pool else size) ** spatial
    wq, s_w = _weight(g, rng.normal(0, 0.3, (classes, features)), weight_bits)
    x = g.node("Gemm", [x, wq, _bias(g, rng.normal(0, 0.2, classes), 2.0 ** -3 * s_w, 16)], "Gemm0", transB=1)
    return g.model([("global_in", shape)], x, (1, classes))


def residual_graph(rng: np.random.Generator, *, features: int = 8, weight_bits: int = 4, act_bits: int = 6):
    """Quant(input) -> Gemm -> Relu -> Quant = h; h + Quant(Gemm(h)) -> Relu -> Quant -> Gemm: a residual add."""
    g = GraphWriter()
    x = g.quant("global_in", 2.0 ** -4, 8, stem="QuantIdentity")
    h = x
    for i, scale_in in enumerate((2.0 ** -4, 2.0 ** -3)):
        wq, s_w = _weight(g, rng.normal(0, 0.5, (features, features)), weight_bits)
        h = g.node("Gemm", [h, wq, _bias(g, rng.normal(0, 0.2, features), scale_in * s_w, 16)], f"Gemm{i}", transB=1)
        if i == 0:
            h = g.quant(g.node("Relu", [h], "Relu0"), 2.0 ** -3, act_bits, signed=False, stem="QuantReLU")
            skip = h
    h = g.quant(h, 2.0 ** -3, act_bits + 1, stem="QuantIdentity")
    h = g.node("Add", [skip, h], "Add0")
    h = g.quant(g.node("Relu", [h], "Relu1"), 2.0 ** -3, act_bits, signed=False, stem="QuantReLU")
    wq, s_w = _weight(g, rng.normal(0, 0.5, (3, features)), weight_bits)
    out = g.node("Gemm", [h, wq, _bias(g, rng.normal(0, 0.2, 3), 2.0 ** -3 * s_w, 16)], "Gemm2", transB=1)
    return g.model([("global_in", (1, features))], out, (1, 3))
