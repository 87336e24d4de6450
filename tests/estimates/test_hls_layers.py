"""The hls4ml layer-reader registry: every reader names real hls4ml classes, two readers never both claim a layer,
and an unclaimed layer is left to the walk (kind "other")."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from edgenn.estimates import hls_layers
from edgenn.estimates.hls_layers import HlsLayerContext, hls_layer_reader, hls_layer_readers, register_hls_layer


def _context(**overrides) -> HlsLayerContext:
    values = dict(in_width=8, in_widths=(8,), out_width=8, n_out=4, n_par=4, io_type="io_parallel", activation="",
                  kind_name="")
    values.update(overrides)
    return HlsLayerContext(**values)


@pytest.fixture
def isolated(monkeypatch):
    """The registry with the built-ins loaded, restored afterwards (a test's readers must not leak)."""
    monkeypatch.setattr(hls_layers, "_READERS", hls_layers._READERS.copy())


def test_every_reader_names_a_class_hls4ml_creates():
    """A reader keyed by a class hls4ml never instantiates (a Keras name such as MaxPooling2D) would never run."""
    from hls4ml.model.layers import layer_map

    hls_classes = {cls.__name__ for cls in layer_map.values()}
    named = {cls for entry in hls_layer_readers() for cls in entry.classes}
    assert {"Dense", "Conv2D", "Pooling2D", "Merge", "BatchNormalization"} <= named
    assert sorted(named - hls_classes) == []


def test_the_walk_readers_match_as_the_estimator_expects():
    layer = SimpleNamespace(name="r", class_name="Reshape")
    parallel = hls_layer_reader(layer, _context())
    stream = hls_layer_reader(layer, _context(io_type="io_stream"))
    assert parallel.__name__ == "read_wiring" and stream.__name__ == "read_conv2d"
    merge = SimpleNamespace(name="m", class_name="Merge")
    assert hls_layer_reader(merge, _context()).__name__ == "read_merge"
    assert hls_layer_reader(merge, _context(io_type="io_stream")) is None  # left to the walk: kind "other"
    act = SimpleNamespace(name="a", class_name="Activation")
    assert hls_layer_reader(act, _context(activation="tanh")).__name__ == "read_table"
    assert hls_layer_reader(act, _context(activation="linear")).__name__ == "read_relu_or_cast"
    assert hls_layer_reader(act, _context(activation="hard_sigmoid")) is None


def test_two_readers_claiming_one_layer_is_an_error_naming_both(isolated):
    @register_hls_layer("Dense", when=lambda layer, context: context.io_type == "io_parallel")
    def read_other_dense(layer, context):
        raise AssertionError("never read: the lookup refuses first")

    with pytest.raises(ValueError, match=r"read_dense.*read_other_dense.*exclude each other"):
        hls_layer_reader(SimpleNamespace(name="fc", class_name="Dense"), _context())
    # the condition keeps it out of io_stream designs, where the built-in reader alone matches
    assert hls_layer_reader(SimpleNamespace(name="fc", class_name="Dense"),
                            _context(io_type="io_stream")).__name__ == "read_dense"


def test_a_reader_without_class_or_condition_is_refused(isolated):
    with pytest.raises(ValueError, match="would match every layer"):
        register_hls_layer()(lambda layer, context: None)
