"""Saving and loading Keras/QKeras models, refusing code hidden in model files.

A Keras ``.h5``/``.keras`` file may carry a Lambda layer (marshalled Python bytecode) or name custom classes that
would run user code on load. Before anything is deserialised, the stored model config is read as plain JSON and every
layer class is checked against Keras' and QKeras' own layers; anything else is refused unless the caller passes
``trust_model=True`` (the CLI's ``--trust-model``).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from edgenn.errors import InvalidInputError, MissingArtifactError

_CODE_LAYERS = {"Lambda", "TFOpLambda", "SlicingOpLambda"}


def is_saved_model_dir(path: Path) -> bool:
    return Path(path).is_dir() and (Path(path) / "saved_model.pb").is_file()


def _saved_model_config(path: Path) -> dict:
    """The Keras model config of a SavedModel directory: the root object's JSON in keras_metadata.pb."""
    meta = path / "keras_metadata.pb"
    if not meta.is_file():
        raise InvalidInputError(f"{path}: a TensorFlow SavedModel without Keras metadata (saved with "
                                "tf.saved_model.save, not model.save), so its layers cannot be read.",
                                fix="save the Keras model with model.save('dir') or model.save('x.h5').")
    from keras.protobuf import saved_metadata_pb2

    saved = saved_metadata_pb2.SavedMetadata()
    try:
        saved.ParseFromString(meta.read_bytes())
        root = next(n for n in saved.nodes if n.node_path == "root")
        data = json.loads(root.metadata)
    except (StopIteration, json.JSONDecodeError, ValueError) as exc:
        raise InvalidInputError(f"{path}: unreadable keras_metadata.pb ({exc}).",
                                fix="re-save the model with model.save().") from None
    return {"class_name": data.get("class_name"), "config": data.get("config", {})}


def _stored_config(path: Path) -> dict:
    if is_saved_model_dir(path):
        return _saved_model_config(path)
    if path.suffix == ".keras":
        try:
            with zipfile.ZipFile(path) as zf:
                return json.loads(zf.read("config.json"))
        except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as exc:
            raise InvalidInputError(f"{path}: not a Keras model file ({exc}).",
                                    fix="pass a model saved with model.save('x.keras') or model.save('x.h5').") from None
    try:
        import h5py

        with h5py.File(path, "r") as fh:
            raw = fh.attrs.get("model_config")
    except OSError:
        raise InvalidInputError(f"{path}: not an HDF5 file, so not a Keras .h5 model.",
                                fix="pass a model saved with model.save('x.h5').") from None
    if raw is None:
        raise InvalidInputError(f"{path}: HDF5 file without a model config (weights only, or not a Keras model).",
                                fix="save the whole model with model.save('x.h5'), not save_weights().")
    return json.loads(raw.decode() if isinstance(raw, bytes) else raw)


def _layer_classes(cfg: dict) -> list[tuple[str, str]]:
    from edgenn.tf_ops import is_whitelisted

    out = []
    for layer in cfg.get("config", {}).get("layers", []):
        cls = layer.get("class_name", "?")
        if cls == "TFOpLambda":  # names a TF symbol; rebuilt by that name, no stored code
            fn = layer.get("config", {}).get("function", "?")
            cls = "TFOpLambda(pure)" if is_whitelisted(layer.get("config", {})) else f"TFOpLambda(tf.{fn})"
        out.append((layer.get("config", {}).get("name", "?"), cls))
        if layer.get("class_name") in ("Functional", "Sequential", "Model"):
            out.extend(_layer_classes(layer))
    return out


def known_objects() -> dict:
    from qkeras.utils import _add_supported_quantized_objects

    objects: dict = {}
    _add_supported_quantized_objects(objects)
    try:  # hls4ml's GarNet layer (the garnet family): hls4ml's own code, nothing read from the model file
        from hls4ml.contrib.garnet import GarNet

        objects["GarNet"] = GarNet
    except ImportError:
        pass
    try:  # HGQ's layers and its proxy model's quantizers (the learned_precision pass): HGQ's code, not the file's
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            from HGQ.layers import HDense, HQuantize
            from HGQ.proxy import FixedPointQuantizer

        objects.update(HDense=HDense, HQuantize=HQuantize, FixedPointQuantizer=FixedPointQuantizer)
    except ImportError:
        pass
    try:
        from tensorflow_model_optimization.python.core.sparsity.keras import pruning_wrapper

        objects["PruneLowMagnitude"] = pruning_wrapper.PruneLowMagnitude
    except ImportError:
        pass
    return objects


def check_model_file(path: Path, *, trust_model: bool = False) -> list[tuple[str, str]]:
    """Return (layer name, class) pairs; raise if a layer would run code from the file and trust is not given."""
    from tensorflow import keras

    layers = _layer_classes(_stored_config(path))
    if trust_model:
        return layers
    allowed = set(known_objects())
    for name, cls in layers:
        if cls.startswith("TFOpLambda(tf."):
            from edgenn.tf_ops import WHITELIST

            raise InvalidInputError(f"{path}: layer {name!r} is the TF op {cls[11:-1]}, which edgenn does not map to a "
                                    "layer.", fix=f"use Keras layers or the TF ops {', '.join(sorted(WHITELIST))}; "
                                    "--trust-model loads it anyway.")
        if cls in _CODE_LAYERS:
            raise InvalidInputError(f"{path}: layer {name!r} is a {cls}, which runs Python code stored in the file.",
                                    fix="rebuild it with standard layers, or pass --trust-model if you trust the file's author.")
        if cls not in allowed and not hasattr(keras.layers, cls) and cls not in (
                "Functional", "Sequential", "Model", "TFOpLambda(pure)"):
            raise InvalidInputError(f"{path}: layer {name!r} has custom class {cls!r}, which edgenn cannot load without "
                                    "running the file's code.",
                                    fix="use Keras/QKeras layers only, or pass --trust-model (with the class importable).")
    return layers


def _keras_v3_objects() -> dict:
    """QKeras 0.9's QActivation has no ``from_config``: the .keras format stores its quantizer as a dict, which
    QActivation would keep as-is and fail to call. This subclass (same class name, so hls4ml and every rule see a
    QActivation) turns the dict back into the QKeras quantizer it describes; nothing from the file is executed."""
    from qkeras import QActivation as _Base
    from qkeras.quantizers import get_quantizer

    class QActivation(_Base):
        @classmethod
        def from_config(cls, config):
            config = dict(config)
            if isinstance(config.get("activation"), dict):
                config["activation"] = get_quantizer(config["activation"])
            return cls(**config)

    return {"QActivation": QActivation}


def load_model(path: Path, *, trust_model: bool = False):
    path = Path(path)
    if not path.is_file() and not is_saved_model_dir(path):
        raise MissingArtifactError(f"{path}: model file not found.", fix="check the path.")
    check_model_file(path, trust_model=trust_model)
    import tensorflow as tf

    try:
        objects = {**known_objects(), **(_keras_v3_objects() if path.suffix == ".keras" else {})}
        return tf.keras.models.load_model(path, custom_objects=objects, compile=False,
                                          **({} if path.suffix != ".keras" else {"safe_mode": not trust_model}))
    except (ValueError, TypeError, KeyError, OSError) as exc:
        raise InvalidInputError(f"{path}: Keras could not load the model: {str(exc).splitlines()[0][:200]}",
                                fix="check that it was saved by Keras 2 (TF 2.14) with model.save().") from None


def save_model(model, path: Path) -> None:
    """Save as HDF5 via a temporary name, so a killed process leaves no truncated model behind."""
    import warnings

    from edgenn.io import atomic_path

    with atomic_path(Path(path)) as tmp, warnings.catch_warnings():
        # HDF5 is chosen on purpose: hls4ml 1.3 and QKeras read it, and it holds no pickled code
        warnings.filterwarnings("ignore", message=".*HDF5 file via `model.save\\(\\)`")
        model.save(tmp, include_optimizer=False, save_format="h5")
