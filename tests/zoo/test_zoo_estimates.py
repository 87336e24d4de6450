"""The estimator on the layers several-input and several-output models bring (issue 13 step 4): a total over any
layer it does not model is labelled a lower bound and names the layer. Conversion only (no g++): hls4ml's
io_parallel merges are modelled; io_stream inserts Clone nodes and stream merges, which are not."""

from __future__ import annotations

import pytest
from zoo_models import BY_NAME


@pytest.mark.parametrize("name, io_type", [("merges", "io_parallel"), ("merges", "io_stream"),
                                           ("multi_output", "io_stream")])
def test_unmodelled_layers_make_the_total_a_lower_bound(tmp_path, name, io_type):
    import tensorflow as tf

    from edgenn.estimates import design_from_hls_model, estimate
    from edgenn.exporters.hls import HlsSettings, export_hls

    tf.keras.utils.set_random_seed(0)
    project = export_hls(BY_NAME[name].build(), tmp_path / "hls", HlsSettings(io_type=io_type), compile=False)
    design = design_from_hls_model(project.hls_model)
    report = estimate(design)
    unmodelled = [layer.name for layer in design.layers if layer.kind == "other"]
    figures = {k: f for k, f in report.total.figures().items() if k != "ii_cycles"}
    if unmodelled:
        assert all(f.bound == "lower" for f in figures.values()), figures
        assert all(n in report.total.notes[0] for n in unmodelled)
    else:
        assert not any(f.bound for f in figures.values())
    if io_type == "io_parallel":  # every merge of the model is a modelled layer, so this total is a figure
        kinds = {layer.name: layer.kind for layer in design.layers}
        assert all(kinds[m] == "merge" for m in ("sub", "avg", "max", "min", "mul")) and not unmodelled
    else:  # the Clone of a tensor read twice is not modelled: the total must say it is a lower bound
        assert any(n.startswith("clone_") for n in unmodelled)


@pytest.mark.parametrize("name, layer, kind", [("dot_similarity", "score", "dot"), ("embedding_tokens", "embed",
                                               "embedding"), ("layer_norm", "norm", "layernorm")])
def test_dot_embedding_and_layer_norm_are_modelled(tmp_path, name, layer, kind):
    """Read from the converted hls4ml graph (conversion only), each is its own layer model, so the total is a
    point estimate with an interval instead of a lower bound."""
    import tensorflow as tf

    from edgenn.estimates import design_from_hls_model, estimate
    from edgenn.exporters.hls import HlsSettings, export_hls

    from edgenn.flatten import flatten_model

    tf.keras.utils.set_random_seed(0)
    project = export_hls(flatten_model(BY_NAME[name].build()), tmp_path / "hls", HlsSettings(), compile=False)
    design = design_from_hls_model(project.hls_model)
    kinds = {spec.name: spec.kind for spec in design.layers}
    assert kinds[layer] == kind and "other" not in kinds.values(), kinds
    report = estimate(design)
    assert not any(f.bound for f in report.total.figures().values())
    row = next(e for e in report.layers if e.name == layer)
    assert row.lut.value + row.bram.value > 0 and "not fitted" in " ".join(row.notes)
