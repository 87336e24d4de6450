"""A user's Keras model as one flat functional model: Sequential models and nested sub-models unrolled.

Every later stage (precision derivation, hls4ml conversion, the C-simulation trace, ONNX) walks ``model.layers`` as a
functional graph whose first layers are ``InputLayer``s and whose layers each ran once. A Sequential model has no
``InputLayer`` in ``model.layers`` (its input is named ``<first layer>_input``), and a nested model is one opaque
layer, so both are rebuilt here: each leaf layer is re-created from its config and given the original weights.
Re-creating (instead of calling the original layer objects again) keeps one inbound node per layer, so
``layer.output`` stays defined; the arithmetic is unchanged because config and weights are the layer's own.

Layer names stay the user's (reports and ``--hls-config`` refer to them); a name that a nested model shares with
another layer gets the sub-model's name as prefix.
"""

from __future__ import annotations

from typing import Any


def needs_flattening(model: Any) -> bool:
    import tensorflow as tf

    return isinstance(model, tf.keras.Sequential) or any(isinstance(l, tf.keras.Model) for l in model.layers)


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
    config = layer.get_config()
    config["name"] = _unique(layer.name, prefix, names)
    clone = layer.__class__.from_config(config)
    out = clone(*args, **kwargs)
    clone.set_weights(layer.get_weights())
    return out
