"""Run a stage's model once on a sample of its test split and save what the report draws from it
(``records.stage_outputs.StageOutputs``): every layer's output, the weights as computed with, and the test scores.

Called by each task's ``evaluate`` while the stage still holds its model, so the report reads files and never loads
a model (how large the sample is: ``records.stage_outputs``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgenn.records.stage_outputs import StageOutputs, sample_rows


def effective_weights(layer) -> dict[str, np.ndarray]:
    """Kernel and bias as the layer computes with them: through its QKeras quantizers when it has them."""
    out = {}
    for attr, quant_attr, key in (("kernel", "kernel_quantizer_internal", "weight"),
                                  ("bias", "bias_quantizer_internal", "bias")):
        var = getattr(layer, attr, None)
        if var is None:
            continue
        value = np.asarray(var.numpy())
        quantizer = getattr(layer, quant_attr, None)
        if quantizer is not None:
            value = np.asarray(quantizer(value))
        out[key] = value
    return out


def stage_outputs(model, x: np.ndarray, labels: np.ndarray, names, *, stage: str, test_scores=None) -> StageOutputs:
    """``model``'s layer outputs on the first rows of the test split ``x`` (``labels``: its labels or process codes);
    ``test_scores``: the model's output on every test row, when the report draws curves from it (classifiers)."""
    import tensorflow as tf

    from edgenn.architectures.extra_inputs import feed

    layers = [lay for lay in model.layers if not isinstance(lay, tf.keras.layers.InputLayer)]
    per_row = int(np.prod(x.shape[1:])) + sum(int(np.prod(lay.output.shape[1:])) for lay in layers)
    rows = sample_rows(len(x), per_row)
    probe = tf.keras.Model(model.inputs, [lay.output for lay in layers])
    outs = probe(feed(model, x[:rows]), training=False)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    return StageOutputs(stage, tuple(str(n) for n in names), np.asarray(x[:rows]), np.asarray(labels[:rows]),
                        {lay.name: np.asarray(o) for lay, o in zip(layers, outs)},
                        {lay.name: w for lay in layers if (w := effective_weights(lay))}, len(x),
                        None if test_scores is None else np.asarray(test_scores),
                        None if test_scores is None else np.asarray(labels))


def save_stage_outputs(out: Path, model, x, labels, names, *, stage: str, test_scores=None) -> StageOutputs:
    record = stage_outputs(model, x, labels, names, stage=stage, test_scores=test_scores)
    record.save(Path(out))
    return record
