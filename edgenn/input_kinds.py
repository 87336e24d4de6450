"""Which kinds of model input edgenn reads, decided from the path alone, in one table.

A path handed to ``edgenn export`` is a run directory (``runs/<name>``), a Keras SavedModel directory, or a model file
whose suffix says its kind. Files of a kind edgenn does not read (PyTorch, TFLite, pickles, ...; .onnx is read as QONNX) are refused
by naming that kind, before anything is opened: "model.onnx/train: no trained model here" says nothing about ONNX.

To add a reader (e.g. QONNX), move its suffix from ``REFUSED`` to ``ACCEPTED`` with the kind name its loader
dispatches on (``edgenn.runners.export.resolve_source``); the error messages list ``ACCEPTED`` and follow.
"""

from __future__ import annotations

from pathlib import Path

from edgenn.errors import InvalidInputError

RUN = "run"  # a run directory (runs/<name>) or one of its stage directories
SAVED_MODEL = "saved_model"  # a directory holding saved_model.pb (Keras model.save('dir'))

# suffix -> (kind the loaders dispatch on, what the file is)
ACCEPTED: dict[str, tuple[str, str]] = {
    ".h5": ("keras", "a Keras/QKeras HDF5 model"),
    ".keras": ("keras", "a Keras/QKeras .keras model"),
    ".onnx": ("qonnx", "a QONNX model (ONNX with Quant nodes, e.g. Brevitas export_qonnx)"),
}
QONNX = "qonnx"

# suffix -> (what the file is, what to do instead)
REFUSED: dict[str, tuple[str, str]] = {
    ".pt": ("a PyTorch checkpoint", "export it to QONNX (Brevitas: export_qonnx) and pass the .onnx, or rebuild it in Keras/QKeras"),
    ".pth": ("a PyTorch checkpoint", "export it to QONNX (Brevitas: export_qonnx) and pass the .onnx, or rebuild it in Keras/QKeras"),
    ".ckpt": ("a training checkpoint (TensorFlow or PyTorch Lightning)", "save the whole Keras model with "
                                                                         "model.save('x.keras')"),
    ".bin": ("a raw weights file (e.g. pytorch_model.bin)", "save the whole Keras model with model.save('x.keras')"),
    ".safetensors": ("a safetensors weights file", "save the whole Keras model with model.save('x.keras')"),
    ".pb": ("a TensorFlow protobuf graph", "pass the SavedModel directory that holds saved_model.pb, or save the "
                                           "Keras model with model.save('x.keras')"),
    ".tflite": ("a TensorFlow Lite model", "export from the Keras/QKeras model it was converted from"),
    ".pkl": ("a Python pickle (loading one runs code)", "save the Keras model with model.save('x.keras')"),
    ".pickle": ("a Python pickle (loading one runs code)", "save the Keras model with model.save('x.keras')"),
    ".joblib": ("a joblib pickle (loading one runs code)", "save the Keras model with model.save('x.keras')"),
    ".json": ("a JSON file (a Keras architecture alone has no weights)", "save the whole model with "
                                                                          "model.save('x.keras')"),
    ".npz": ("a NumPy archive (data, not a model)", "give validation data with --data and the model as the source"),
    ".npy": ("a NumPy array (data, not a model)", "give validation data with --data x.npz and the model as the "
                                                  "source"),
    ".yml": ("a YAML file (a recipe or budget)", "train the recipe first (edgenn train RECIPE) and export its "
                                                     "run directory runs/<name>"),
    ".yaml": ("a YAML file (a recipe or budget)", "train the recipe first (edgenn train RECIPE) and export its "
                                                      "run directory runs/<name>"),
}


def accepted_summary() -> str:
    """What edgenn reads, in words, for error messages."""
    files = ", ".join(sorted(ACCEPTED))
    return f"a run directory (runs/<name>), a Keras SavedModel directory, or a model file ({files})"


def model_source_kind(path: Path) -> str:
    """``RUN``, ``SAVED_MODEL`` or the ``ACCEPTED`` kind of ``path``; raises InvalidInputError naming any other kind.

    A missing path without a suffix is taken as a run directory, so that the run loader's "not found" message (with
    its fix) is the one the user sees.
    """
    path = Path(path)
    if path.is_dir():
        return SAVED_MODEL if (path / "saved_model.pb").is_file() else RUN
    suffix = path.suffix.lower()
    if suffix in ACCEPTED:
        return ACCEPTED[suffix][0]
    if suffix in REFUSED:
        what, instead = REFUSED[suffix]
        raise InvalidInputError(f"{path}: {what}, a kind of input edgenn does not read. edgenn reads "
                                f"{accepted_summary()}.", fix=f"{instead}.")
    if path.is_file():
        raise InvalidInputError(f"{path}: not a model edgenn reads (unknown file kind {suffix or 'without suffix'!r}). "
                                f"edgenn reads {accepted_summary()}.",
                                fix="pass a run directory or a Keras model saved with model.save('x.keras').")
    return RUN


def require_run_dir(path: Path, command: str) -> None:
    """Refuse a model file where only a run directory makes sense (``compress`` works on a run's training state)."""
    kind = model_source_kind(path)
    if kind == RUN:
        return
    what = "a Keras SavedModel directory" if kind == SAVED_MODEL else ACCEPTED[Path(path).suffix.lower()][1]
    raise InvalidInputError(f"{path}: {what}; `edgenn {command}` takes a run directory (runs/<name>) made by "
                            "`edgenn train`.", fix=f"train a recipe first, or export the model directly with "
                                                   f"`edgenn export {path} --data val.npz`.")


def describe_file(path: Path) -> str | None:
    """What a model or data file is, from its suffix (``None`` for YAML and unknown suffixes): for the errors of
    commands that take a YAML file and were handed a model instead."""
    suffix = Path(path).suffix.lower()
    if suffix in ACCEPTED:
        return ACCEPTED[suffix][1]
    if suffix in REFUSED and suffix not in (".yml", ".yaml"):
        return REFUSED[suffix][0]
    return None
