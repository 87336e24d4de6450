"""Library warnings: hidden by default, and the ones a user can act on become one edgenn line (cli.quiet).

The warnings are produced for real: hls4ml converts small models (no g++ compile) with settings it has to change,
and the text it emits is what ``quiet.translate`` must recognise. A library upgrade that rewords a warning fails
here instead of silently dropping the edgenn line.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from edgenn.cli import quiet


def _hls_warnings(model, tmp_path, **settings) -> tuple[list[str], object]:
    from edgenn.exporters.hls import HlsSettings, export_hls

    x = np.random.default_rng(0).normal(size=(64, model.input_shape[-1])).astype(np.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        project = export_hls(model, tmp_path / "hls", HlsSettings(**settings), x_calibration=x, compile=False)
    return [str(w.message) for w in caught], project


def _dense(widths=(16, 10, 5)):
    import tensorflow as tf

    inp = tf.keras.Input((widths[0],), name="x_in")
    h = tf.keras.layers.Activation("relu", name="relu1")(tf.keras.layers.Dense(widths[1], name="fc1")(inp))
    return tf.keras.Model(inp, tf.keras.layers.Dense(widths[2], name="out")(h))


def test_invalid_reuse_factor_becomes_one_edgenn_line(tmp_path):
    """Resource strategy with reuse factor 3 on 16x10 and 10x5 layers: hls4ml picks another one per layer."""
    texts, project = _hls_warnings(_dense(), tmp_path, strategy="Resource", reuse_factor=3)
    lines = [quiet.translate(t) for t in texts if quiet.translate(t)]
    assert len(lines) == 2, texts  # one per layer, nothing for the other warnings
    fc1 = next(line for line in lines if "'fc1'" in line)
    assert fc1.startswith("note: hls4ml: reuse factor 3 does not fit layer 'fc1'; hls4ml used ")
    valid = fc1.split("pick one of ")[1].split(" ")[0].split(",")
    assert all(160 % int(v) == 0 for v in valid)  # the factors hls4ml offers divide the layer's 160 multiplies
    assert "export.fpga.layers.fc1.reuse_factor" in fc1
    # the export's report notes say it too: the project is not what was asked for
    used = {layer.name: layer.get_attr("reuse_factor") for layer in project.hls_model.get_layers()}
    assert used["fc1"] != 3 and f"hls4ml used {used['fc1']} instead" in fc1
    assert f"layer 'fc1': hls4ml used reuse factor {used['fc1']}, not the 3 asked for" in " ".join(project.adjusted)
    assert len(project.adjusted) == 2


def test_valid_reuse_factor_gives_no_edgenn_line(tmp_path):
    texts, project = _hls_warnings(_dense(), tmp_path, strategy="Resource", reuse_factor=2)
    assert [quiet.translate(t) for t in texts if quiet.translate(t)] == []
    assert project.adjusted == ()


def test_untranslated_warnings_are_dropped_and_translated_ones_said_once(capsys):
    saved = warnings.showwarning, warnings.filters[:]
    try:
        quiet.configure(False)
        text = 'hls4ml: WARNING: Invalid ReuseFactor=3 in layer "fc9".Using ReuseFactor=2 instead. ' \
               "Valid ReuseFactor(s): 1,2,4."
        for _ in range(3):
            warnings.warn(text, UserWarning)
        warnings.warn("The `keras.constraints.serialize()` API should only be used for ...", UserWarning)
        warnings.warn("distutils Version classes are deprecated", DeprecationWarning)
    finally:
        warnings.showwarning, warnings.filters[:] = saved
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == ["note: hls4ml: reuse factor 3 does not fit layer 'fc9'; hls4ml used 2 "
                                         "instead. Fix: pick one of 1,2,4 (--reuse-factor, or "
                                         "export.fpga.layers.fc9.reuse_factor in the recipe)."]


def test_every_translation_is_an_edgenn_note_with_a_fix():
    assert quiet.TRANSLATIONS, "a warning that matters must become an edgenn line"
    for pattern, template in quiet.TRANSLATIONS:
        assert template.startswith("note: ") and " Fix: " in template, template


@pytest.mark.parametrize("pattern", [p for p, _ in quiet.TRANSLATIONS], ids=lambda p: p.pattern[:30])
def test_translations_match_the_library_source_text(pattern):
    """Each pattern matches the f-string in the installed hls4ml that emits it, rendered with sample values."""
    import inspect
    import re

    import hls4ml.backends.fpga.fpga_backend as fpga_backend
    import hls4ml.backends.fpga.passes.fix_softmax_table_size as softmax_pass
    import hls4ml.backends.vivado.vivado_backend as vivado_backend

    source = "".join(inspect.getsource(m) for m in (fpga_backend, softmax_pass, vivado_backend))
    # join the adjacent f-string pieces of each warning into one line, then fill every {...} with a sample value
    joined = re.sub(r"['\"]\s*\)?\s*\n\s*\(?\s*f?['\"]", "", source)
    rendered = re.sub(r"\{[^{}]*\}", "7", joined)
    assert pattern.search(rendered.replace("Valid ReuseFactor(s): 7", "Valid ReuseFactor(s): 1,7")
                          .replace("Valid ParallelizationFactor(s): 7", "Valid ParallelizationFactor(s): 1,7")), \
        pattern.pattern


def test_translated_warnings_reach_the_json_document(monkeypatch):
    import json

    from typer.testing import CliRunner

    import edgenn.cli.verbs.doctor as doctor
    from edgenn.cli.app import app

    def environment():
        warnings.warn('hls4ml: WARNING: Invalid ReuseFactor=3 in layer "fc9".Using ReuseFactor=2 instead. '
                      "Valid ReuseFactor(s): 1,2,4.", UserWarning)
        return []

    monkeypatch.setattr(doctor, "environment", environment)
    saved = warnings.showwarning, warnings.filters[:]
    try:
        runs = [CliRunner().invoke(app, ["doctor", "--json"]) for _ in range(2)]
    finally:
        warnings.showwarning, warnings.filters[:] = saved
    for res in runs:  # the second run's document does not inherit the first run's lines
        doc = json.loads(res.stdout)
        assert doc["warnings"] == [quiet.translate("Invalid ReuseFactor=3 in layer \"fc9\".Using ReuseFactor=2 "
                                                   "instead. Valid ReuseFactor(s): 1,2,4")]
        assert "reuse factor 3 does not fit layer 'fc9'" in res.stderr
