"""The exact reference: a quantized Keras / QKeras model evaluated from its own definition.

``evaluate(model, inputs)`` computes every layer from the model's configuration and weights, with QKeras quantizer
semantics and Keras layer arithmetic in float64, and proves on the actual operands that no rounding happened (see
``exactness``). It never looks at generated firmware, so "the C simulation equals the exact reference" means the
firmware computes the quantized model. Where the model itself has no dyadic value (softmax, sigmoid, float
BatchNorm), the layer is evaluated in float64 and marked inexact with the reason.
"""

from edgenn.reference.evaluate import EXACT_KIND, ReferenceResult, evaluate

__all__ = ["EXACT_KIND", "ReferenceResult", "evaluate"]
