"""Keras callbacks: a rich progress bar over epochs (Keras' own per-batch bars flood CI logs)."""

from __future__ import annotations


def progress_callback(total_epochs: int, description: str, enabled: bool = True):
    import tensorflow as tf

    class RichEpochs(tf.keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self._progress = None
            if not enabled:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            # stderr, like every edgenn progress display: stdout carries results (and the --json document)
            self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                      TextColumn("{task.fields[status]}"), TimeElapsedColumn(), transient=False,
                                      console=Console(stderr=True))
            self._progress.start()
            self._task = self._progress.add_task(description, total=total_epochs, status="")

        def on_epoch_end(self, epoch, logs=None):
            if self._progress is None:
                return
            logs = logs or {}
            status = " ".join(f"{k}={v:.4f}" for k, v in logs.items() if k in ("loss", "val_loss", "accuracy", "val_accuracy"))
            self._progress.update(self._task, completed=epoch + 1, status=status)

        def on_train_end(self, logs=None):
            if self._progress is not None:
                self._progress.stop()

    return RichEpochs()
