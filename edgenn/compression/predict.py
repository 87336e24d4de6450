"""Model outputs for the small splits compression measures, without Keras' per-model tracing cost."""

from __future__ import annotations


def predict_eager(model, x, batch_size: int = 8192):
    """Probabilities by calling the model eagerly: no tf.function tracing, which costs more than the maths for the
    small validation splits passes measure (``model.predict`` retraces for every new model object)."""
    import numpy as np

    from edgenn.architectures.extra_inputs import feed

    return np.concatenate([np.asarray(model(feed(model, x[i:i + batch_size]), training=False))
                           for i in range(0, len(x), batch_size)] or [np.zeros((0,) + tuple(model.output_shape[1:]))])
