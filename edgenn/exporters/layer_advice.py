"""The nearest supported way to write a layer edgenn cannot convert: the ``fix`` of its one-line refusal.

A list of every supported class tells a user what exists, not what to do with the layer in hand; this table says it
for the layers users put in trigger models, by what the layer computes at inference.
"""

from __future__ import annotations

_TRAINING_ONLY = ("a training-time regulariser, the identity at inference: remove it before saving the model for "
                  "export (or use Dropout, which the export skips)")
_NORMALISATION = ("fold the normalisation into the inputs (standardise --data as the model expects it) or use "
                  "BatchNormalization after a Dense/QDense layer")

ADVICE: dict[str, str] = {
    **dict.fromkeys(("GaussianNoise", "GaussianDropout", "AlphaDropout", "SpatialDropout1D", "SpatialDropout2D",
                     "SpatialDropout3D", "ActivityRegularization"), _TRAINING_ONLY),
    **dict.fromkeys(("UnitNormalization", "Normalization", "GroupNormalization",
                     "Rescaling"), _NORMALISATION),
    **dict.fromkeys(("Conv3D", "MaxPooling3D", "AveragePooling3D", "GlobalMaxPooling3D", "GlobalAveragePooling3D"),
                    "use the 2-D layer (Conv2D, MaxPooling2D, AveragePooling2D)"),
    **dict.fromkeys(("SimpleRNN", "LSTM", "GRU", "QSimpleRNN", "QLSTM", "QGRU", "Bidirectional", "ConvLSTM1D",
                     "ConvLSTM2D", "RNN"),
                    "recurrent layers are not exported yet (hls4ml's QKeras RNN path fails on this stack, hls4ml "
                    "issue #1166): flatten the sequence and use Dense/QDense layers"),
    **dict.fromkeys(("CategoryEncoding", "Hashing", "StringLookup", "IntegerLookup", "TextVectorization",
                     "Discretization", "HashedCrossing"),
                    "encode categorical inputs on the host and feed the network numbers"),
    **dict.fromkeys(("Attention", "AdditiveAttention", "MultiHeadAttention"),
                    "attention is not exported: use Dense layers over the flattened inputs"),
    "TimeDistributed": ("wrap only a layer that computes on the last axis (Dense/QDense, an activation, "
                        "BatchNormalization), or apply the layer to the sequence without the wrapper"),
    "Masking": "zero-pad the inputs instead: padded slots then contribute zeros to Dense/QDense sums",
    "Lambda": "rebuild the computation with Keras layers (or TF ops from the supported list)",
}


def nearest_supported(class_name: str, supported: tuple[str, ...] | list[str]) -> str:
    """One sentence: how to write ``class_name`` with what edgenn converts."""
    if class_name in ADVICE:
        return ADVICE[class_name] + "."
    return f"rewrite it with the supported layers: {', '.join(sorted(supported))}."
