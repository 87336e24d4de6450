"""A user's Keras model as one flat functional model: Sequential models and nested sub-models unrolled.

Every later stage (precision derivation, hls4ml conversion, the C-simulation trace, ONNX) walks ``model.layers`` as a
functional graph whose first layers are ``InputLayer``s and whose layers each ran once. A Sequential model has no
``InputLayer`` in ``model.layers`` (its input is named ``<first layer>_input``), and a nested model is one opaque
layer, so both are rebuilt here: each leaf layer is re-created from its config and given the original weights.
Re-creating (instead of calling the original layer objects again) keeps one inbound node per layer, so
``layer.output`` stays defined; the arithmetic is unchanged because config and weights are the layer's own.

``TimeDistributed`` around a layer that computes on the last axis (Dense/QDense, activations, BatchNormalization) is
unwrapped into that layer on the whole sequence, under the wrapper's name; a per-step QDense (under TimeDistributed
or applied straight to an (N, F) tensor) keeps its quantized weights as stored numbers (``qkeras_inference.float_twin``).

A fused activation (``Dense(8, activation='relu')``, ``QDense(..., activation=quantized_relu(6))``) is split into the
layer with a linear activation followed by an ``Activation`` / ``QActivation`` layer named ``<layer>_<activation>``:
Keras computes ``activation(layer(x))`` either way, so the outputs are identical, and every later rule then sees one
operation per layer, as hls4ml's own parser does when it splits the activation into its own node.

QKeras layers whose inference arithmetic is a plainer layer (``QBatchNormalization``, ``QConv2DBatchnorm``) are
replaced by that layer (``edgenn.qkeras_inference``).

Layer names stay the user's (reports and ``--hls-config`` refer to them); a name that a nested model shares with
another layer gets the sub-model's name as prefix.
"""

from __future__ import annotations

import inspect
from typing import Any

from edgenn.qkeras_inference import float_twin, inference_layer


# layers whose ``activation`` is applied to their own output (recurrent layers use theirs inside the cell: not split)
FUSED_ACTIVATION_LAYERS = frozenset({
    "Dense", "Conv1D", "Conv2D", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
    "QDense", "QConv1D", "QConv2D", "QDepthwiseConv2D", "QSeparableConv1D", "QSeparableConv2D",
    "QConv2DBatchnorm", "QDepthwiseConv2DBatchnorm",
})


# layers that compute on the last axis only (elementwise, or contracting the features): ``TimeDistributed(layer)`` of
# one of them computes what the layer computes on the whole sequence, so it is unwrapped (hls4ml 1.3 converts it too)
PER_STEP_LAYERS = frozenset({"Dense", "QDense", "Activation", "QActivation", "Dropout", "ReLU", "LeakyReLU", "ELU",
                             "ThresholdedReLU", "BatchNormalization", "QBatchNormalization"})


def fused_activation(layer: Any) -> Any:
    """The activation fused into ``layer`` (a name or a QKeras quantizer), or None when it is linear."""
    if type(layer).__name__ not in FUSED_ACTIVATION_LAYERS:
        return None
    act = getattr(layer, "activation", None)
    name = act if isinstance(act, str) else getattr(act, "__name__", None)
    return None if act is None or name == "linear" else act


def _activation_label(act: Any) -> str:
    if isinstance(act, str):
        return act
    return getattr(act, "__name__", None) or type(act).__name__


def needs_flattening(model: Any) -> bool:
    import tensorflow as tf

    return (isinstance(model, tf.keras.Sequential) or any(isinstance(lay, tf.keras.Model) for lay in model.layers)
            or any(fused_activation(lay) is not None or type(lay).__name__ in ("TFOpLambda", "TimeDistributed")
                   or inference_layer(lay) is not None or _dense_on_sequence(lay) for lay in model.layers))


def _dense_on_sequence(layer: Any, inputs: Any = None) -> bool:
    """A QDense applied to an (N, F) tensor (per particle, without TimeDistributed): hls4ml 1.3 turns it into a
    pointwise convolution and drops its quantizers, so it gets the stored quantized weights, as under
    TimeDistributed."""
    if type(layer).__name__ != "QDense":
        return False
    shape = getattr(inputs, "shape", None) if inputs is not None else getattr(layer, "input_shape", None)
    try:
        return shape is not None and len(shape) > 2
    except (TypeError, AttributeError):  # a layer used on several inputs has no single input_shape
        return False


def flatten_model(model: Any) -> Any:
    """``model`` itself when it is already flat and functional, else an equivalent flat functional model."""
    import tensorflow as tf

    if not needs_flattening(model):
        return model
    from edgenn.modelio import known_objects

    names: set[str] = set()
    with tf.keras.utils.custom_object_scope(known_objects()):
        inputs = [tf.keras.Input(batch_shape=t.shape, dtype=t.dtype, name=_unique(n, "", names))
                  for t, n in zip(model.inputs, model.input_names)]
        outputs = _call(model, inputs if len(inputs) > 1 else inputs[0], names, prefix="")
    return tf.keras.Model(inputs, outputs, name=model.name)


def _unique(name: str, prefix: str, names: set[str]) -> str:
    out = name if name not in names else f"{prefix}{name}" if prefix else name
    k = 1
    while out in names:
        out, k = f"{name}_{k}", k + 1
    names.add(out)
    return out


def _call(model, inputs, names: set[str], prefix: str):
    import tensorflow as tf

    if isinstance(model, tf.keras.Sequential):
        x = inputs
        for layer in model.layers:
            if not isinstance(layer, tf.keras.layers.InputLayer):
                x = _apply(layer, (x,), {}, names, prefix)
        return x
    return _walk_functional(model, inputs, names, prefix)


def _walk_functional(model, inputs, names: set[str], prefix: str):
    """Replay the sub-model's nodes in topological order (deepest first), as Keras' own ``_run_internal_graph``."""
    import tensorflow as tf

    flat_in = tf.nest.flatten(inputs)
    tensors = {id(t): new for t, new in zip(model.inputs, flat_in)}

    def look_up(value):
        return tensors[id(value)] if id(value) in tensors else value

    for depth in sorted(model._nodes_by_depth, reverse=True):
        for node in model._nodes_by_depth[depth]:
            if node.is_input:
                continue
            args = tf.nest.map_structure(look_up, node.call_args)
            kwargs = tf.nest.map_structure(look_up, node.call_kwargs)
            out = _apply(node.layer, args, kwargs, names, prefix)
            for old, new in zip(tf.nest.flatten(node.outputs), tf.nest.flatten(out)):
                tensors[id(old)] = new
    return tf.nest.map_structure(look_up, model.outputs if len(model.outputs) > 1 else model.outputs[0])


def _apply(layer, args, kwargs, names: set[str], prefix: str):
    import tensorflow as tf

    if isinstance(layer, tf.keras.Model):
        inner = args[0] if len(args) == 1 else list(args)
        return _call(layer, inner, names, prefix=f"{layer.name}_")
    own_name = layer.name
    per_step = type(layer).__name__ == "TimeDistributed" and type(layer.layer).__name__ in PER_STEP_LAYERS
    if per_step:
        layer = layer.layer  # computes on the last axis: applied to the whole sequence it is the same per step
    config = layer.get_config()
    config["name"] = _unique(own_name, prefix, names)
    if type(layer).__name__ == "TFOpLambda":  # a whitelisted TF op becomes the Keras layer computing it
        from edgenn.tf_ops import rewrite

        names.discard(config["name"])  # Keras names it 'tf.math.square': the dots are no C++ identifier for hls4ml
        return rewrite(layer, args, kwargs, _unique(layer.name.replace(".", "_"), prefix, names))
    cls, weights = layer.__class__, layer.get_weights()
    # QBatchNormalization, QConv2DBatchnorm: the layer computed at inference; a QDense applied per step stores its
    # quantized weights (hls4ml drops the quantizers of a Dense on a sequence, see precision._require_stored_quantized)
    on_sequence = _dense_on_sequence(layer, args[0] if args else None)
    plain = float_twin(layer) if (per_step or on_sequence) and type(layer).__name__ == "QDense" \
        else inference_layer(layer)
    if plain is not None:
        cls, plain_config, weights = plain
        config = {**plain_config, "name": config["name"]}
    act = fused_activation(layer)
    stored_act = config.get("activation")
    if act is not None:
        config["activation"] = "linear"
    clone = cls.from_config(config)
    out = clone(*args, **kwargs)
    clone.set_weights(weights)
    if act is None:
        return out
    act_name = _unique(f"{config['name']}_{_activation_label(act)}", "", names)
    if not type(layer).__name__.startswith("Q"):  # a Keras activation: the layer's own serialized form
        return tf.keras.layers.Activation(stored_act, name=act_name)(out)
    if isinstance(act, str) or inspect.isfunction(act):  # QDense(activation='sigmoid'): Keras' own function
        return tf.keras.layers.Activation(_activation_label(act), name=act_name)(out)
    from qkeras import QActivation

    return QActivation(act, name=act_name)(out)
