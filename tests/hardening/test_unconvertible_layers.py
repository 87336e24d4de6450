"""Every tf.keras.layers class that hls4ml 1.3 cannot convert, exported as a user would: exit 2 and one line naming
the layer, its class and what to write instead; never a traceback (issue 13). And the converse: every non-recurrent
tf.keras.layers class that hls4ml 1.3 converts has an edgenn conversion rule (or is unwrapped on load)."""

import inspect

import numpy as np

# abstract bases and wrappers that need another layer or a cell to be a model layer at all
NOT_A_LAYER = {"Layer", "InputLayer", "InputSpec", "Wrapper", "RNN", "AbstractRNNCell", "StackedRNNCells",
               "Bidirectional", "Lambda", "TFOpLambda", "SlicingOpLambda", "DenseFeatures",
               "EinsumDense", "experimental"}
SHAPES = ((8,), (6, 4), (4, 4, 2))
# the arguments a user would give the layers that have no defaults
ARGS = {"GaussianNoise": (0.1,), "GaussianDropout": (0.1,), "AlphaDropout": (0.1,), "SpatialDropout1D": (0.1,),
        "SpatialDropout2D": (0.1,), "RepeatVector": (2,), "Rescaling": (0.5,), "RandomContrast": (0.1,),
        "RandomRotation": (0.1,), "RandomZoom": (0.1,), "RandomTranslation": (0.1, 0.1), "RandomCrop": (2, 2),
        "Resizing": (2, 2), "CenterCrop": (2, 2), "GroupNormalization": (2,), "Conv1DTranspose": (2, 2),
        "Conv2DTranspose": (2, 2), "RandomHeight": (0.1,), "RandomWidth": (0.1,), "RandomBrightness": (0.1,),
        "CategoryEncoding": (8,), "Hashing": (4,), "LocallyConnected1D": (2, 2), "LocallyConnected2D": (2, 2)}


def _unconvertible_classes():
    import tensorflow as tf
    from hls4ml.converters import get_supported_keras_layers

    supported = set(get_supported_keras_layers()) | {"Dropout"}
    out = {}
    for cls in vars(tf.keras.layers).values():  # aliases (AvgPool1D = AveragePooling1D) count once, by class name
        name = getattr(cls, "__name__", "")
        if (inspect.isclass(cls) and issubclass(cls, tf.keras.layers.Layer) and name not in supported
                and name not in NOT_A_LAYER and not name.endswith("Cell")):
            out[name] = cls
    return sorted(out.items())


def _model_with(cls):
    """Input -> cls() for the first input shape the layer accepts with its default arguments, else None."""
    import tensorflow as tf

    for shape in SHAPES:
        try:
            inp = tf.keras.Input(shape, name="x")
            out = cls(*ARGS.get(cls.__name__, ()), name="probe")(inp)
            return tf.keras.Model(inp, out), shape
        except Exception:  # noqa: BLE001  a layer that needs arguments or another rank: try the next shape
            continue
    return None


def test_every_unconvertible_keras_layer_is_refused_in_one_line(tmp_path):
    from typer.testing import CliRunner

    from edgenn.cli.app import app

    runner = CliRunner()
    tried = []
    for name, cls in _unconvertible_classes():
        built = _model_with(cls)
        if built is None:
            continue
        model, shape = built
        path = tmp_path / f"{name}.h5"
        try:
            model.save(path)
        except Exception:  # noqa: BLE001  Keras itself cannot save this layer as HDF5: nothing a user can export
            continue
        data = tmp_path / f"{name}.npz"
        np.savez(data, x=np.random.default_rng(0).uniform(0, 1, (20, *shape)).astype(np.float32))
        res = runner.invoke(app, ["--no-progress", "export", str(path), "--data", str(data), "--target", "fpga",
                                  "--out", str(tmp_path / name)])
        lines = [line for line in res.output.splitlines() if line.strip()]
        assert res.exit_code == 2, f"{name}: exit {res.exit_code}\n{res.output}"
        assert len(lines) == 1 and "Traceback" not in lines[0], f"{name}: {lines}"
        assert "Fix:" in lines[0], f"{name}: {lines[0]}"
        assert not (tmp_path / name).exists()
        if "Keras could not load the model" in lines[0]:  # Keras 2 cannot reload its own file: still one line
            continue
        assert "'probe'" in lines[0] and name in lines[0], f"{name}: {lines[0]}"
        tried.append(name)
    # the classes that build with default arguments: preprocessing, noise, normalisation, pooling, reshaping...
    assert len(tried) >= 15, tried


# recurrent layers: hls4ml's QKeras RNN path fails on this stack (hls4ml issue #1166), refused with that reason
RECURRENT = {"SimpleRNN", "LSTM", "GRU", "Bidirectional"}
UNWRAPPED_ON_LOAD = {"InputLayer", "TimeDistributed"}  # edgenn.flatten: the input, and per-step wrappers


def test_every_non_recurrent_keras_layer_hls4ml_converts_has_an_edgenn_rule():
    import tensorflow as tf
    from hls4ml.converters import get_supported_keras_layers

    from edgenn.exporters.precision_rules import MERGE_RULES, supported_layer_classes

    keras_classes = {getattr(c, "__name__", "") for c in vars(tf.keras.layers).values() if inspect.isclass(c)}
    converted_by_hls4ml = (set(get_supported_keras_layers()) & keras_classes) - RECURRENT
    missing = converted_by_hls4ml - set(supported_layer_classes()) - set(MERGE_RULES) - UNWRAPPED_ON_LOAD
    assert len(converted_by_hls4ml) >= 40 and not missing, sorted(missing)
