"""Fitting a Keras classifier on prepared data: optimiser, loss, early stopping, progress.

Labels stay integer (sparse cross-entropy); the model ends in softmax. Distillation supplies its own loss through
``compression.distill`` and reuses ``fit`` with a teacher-augmented target.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from edgenn.config.recipe import TrainSpec
from edgenn.training.inputs import PreparedData


@dataclass(frozen=True)
class FitResult:
    history: dict[str, list[float]]
    epochs_run: int
    seconds: float


def fit(model, data: PreparedData, spec: TrainSpec, *, extra_callbacks=(), progress: bool = True,
        description: str = "train", loss=None, y_train=None, y_val=None) -> FitResult:
    import tensorflow as tf

    from edgenn.training.callbacks import progress_callback

    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=spec.learning_rate),
                  loss=loss or tf.keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[] if loss is not None else ["accuracy"])
    callbacks = [progress_callback(spec.epochs, description, progress), *extra_callbacks]
    if spec.early_stopping is not None:
        callbacks.append(tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=spec.early_stopping.patience,
                                                          min_delta=spec.early_stopping.min_delta,
                                                          restore_best_weights=True))
    from edgenn.architectures.extra_inputs import feed

    t0 = time.perf_counter()
    hist = model.fit(feed(model, data.train.x), data.train.y if y_train is None else y_train,
                     validation_data=(feed(model, data.val.x), data.val.y if y_val is None else y_val),
                     epochs=spec.epochs, batch_size=spec.batch_size, shuffle=True, verbose=0, callbacks=callbacks)
    history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
    return FitResult(history, len(next(iter(history.values()), [])), time.perf_counter() - t0)


def predict(model, x: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    from edgenn.architectures.extra_inputs import feed

    return np.asarray(model.predict(feed(model, x), batch_size=batch_size, verbose=0))
