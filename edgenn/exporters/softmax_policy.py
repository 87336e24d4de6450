"""What the firmware does with a model's softmax head: ``drop`` | ``argmax`` | ``table``.

hls4ml computes softmax with lookup tables, so its probabilities can never equal the model's, and it costs cycles
and BRAM/LUTs. A trigger needs a decision, not probabilities: softmax is monotone, so the logits order the classes
exactly as the probabilities do.

* ``drop``: the firmware ends at the logits. Bit-exact end to end, fewest cycles; a threshold on a
  probability becomes a threshold on logit differences downstream.
* ``argmax``: hls4ml's ``argmax`` softmax implementation: a one-hot of the first largest logit, exact (the
  reference is the one-hot of the exact reference's logits, ties to the first index like hls4ml's strict ``>``).
* ``table`` (default for now, the behaviour exports had before the policy existed, so recipes and budgets written for
  probabilities keep working): hls4ml's lookup-table softmax, kept; never called exact: its argmax agreement with the model's class
  is reported as the ``softmax_argmax_agreement`` figure.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgenn.errors import InvalidInputError

POLICIES = ("drop", "argmax", "table")
DEFAULT_POLICY = "drop"


def check_policy(policy: str) -> str:
    if policy not in POLICIES:
        raise InvalidInputError(f"softmax policy {policy!r} is unknown.",
                                fix="use --softmax drop (logits), argmax (class) or table (hls4ml's tables).")
    return policy


def softmax_head(model: Any) -> Any | None:
    """The model's final softmax layer (Activation('softmax') or Softmax), if its only output ends in one."""
    if len(model.outputs) != 1 or not model.layers:
        return None
    last = model.layers[-1]
    cls = type(last).__name__
    act = getattr(last, "activation", None)
    name = act if isinstance(act, str) else getattr(act, "__name__", None)
    if cls == "Softmax" or (cls == "Activation" and name == "softmax"):
        return last
    return None


def apply_policy(model: Any, policy: str) -> tuple[Any, str | None]:
    """The model the firmware is built from and a one-line note (None when there is no softmax head)."""
    head = softmax_head(model)
    if head is None:
        return model, None
    check_policy(policy)
    if policy == "drop":
        import tensorflow as tf

        trimmed = tf.keras.Model(model.inputs, head.input, name=model.name)
        return trimmed, (f"softmax policy drop: the firmware outputs the logits of layer "
                         f"'{trimmed.layers[-1].name}' (softmax '{head.name}' left to the host)")
    if type(head).__name__ == "Softmax":
        # hls4ml's Keras parser gives the Softmax layer class a softmax that does not compile with edgenn's table
        # sizing (measured: g++ fails); Activation('softmax') of the same name is what that layer computes
        import tensorflow as tf

        out = tf.keras.layers.Activation("softmax", name=head.name)(head.input)
        model = tf.keras.Model(model.inputs, out, name=model.name)
    if policy == "argmax":
        return model, f"softmax policy argmax: softmax '{head.name}' becomes hls4ml's argmax (one-hot class, exact)"
    return model, f"softmax policy table: softmax '{head.name}' keeps hls4ml's lookup tables (agreement measured)"


def one_hot_argmax(logits: np.ndarray) -> np.ndarray:
    logits = np.asarray(logits, np.float64)
    out = np.zeros_like(logits)
    out[np.arange(len(logits)), logits.argmax(axis=1)] = 1.0
    return out


def host_softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)
