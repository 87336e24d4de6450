"""report.html for a complete export, for one with missing or broken pieces, and in a real browser (slow).

The export directory is built from real pieces on the tiny jet dataset: a trained float model (the train stage), its
firmware types (``derive_precisions``), analytic resource estimates (``estimate``) and a bit-exactness report
(``build_report``). Only the C simulation is stood in for: the "firmware" layer outputs are the Keras outputs cast to
each layer's result type with ``FixedPoint.quantize`` (what a profiled float design computes, up to accumulation
order), so the |Δ| histogram and the exact fraction have real, non-trivial content without a g++ build.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from edgenn_testing import write_recipe
from edgenn.reporting import CSIM_OUTPUTS, write_report
from edgenn.reporting.html import png_size

PART = "xcvu13p-flga2577-2-e"
EXPORT_SECTIONS = ("overview", "dataset", "training", "performance", "compression", "profile", "bitexact",
                   "resources", "onnx", "budget")


def _export(run_train: Path, out: Path) -> None:
    from edgenn.artifacts import ModelArtifact
    from edgenn.estimates import estimate
    from edgenn.estimates.resources import DesignSpec, LayerSpec
    from edgenn.exporters.precision import derive_precisions
    from edgenn.io import atomic_write_json
    from edgenn.manifest import write_manifest
    from edgenn.records.stage_outputs import StageOutputs
    from edgenn.training.stage import prepared_data
    from edgenn.verification.bitexact import build_report

    art = ModelArtifact.load(run_train)
    model = art.load_model()
    data = prepared_data(art.recipe, standardizer=art.standardizer())
    precision = derive_precisions(model, x_calibration=data.train.x)
    outs = StageOutputs.load(run_train)  # what the train stage saved for the report
    layers = []
    for lp in precision.layers:
        if lp.name in outs.layers:
            ref = outs.layers[lp.name].astype(np.float64)
            layers.append((lp.name, ref, lp.result.quantize(ref)))
    bitexact = build_report(layers, logits_layer=precision.logits_layer, output_layer=precision.output_layer,
                            bit_exact_expected=False, labels=outs.y)
    dense = [lp for lp in precision.layers if lp.weight is not None]
    specs = []
    width_in = precision.input.width
    for lp in dense:
        w = outs.weights[lp.name]["weight"]
        specs.append(LayerSpec(lp.name, "dense", w.shape[0], w.shape[1], weight_width=lp.weight.width,
                               input_width=width_in, accum_width=lp.accum.width, result_width=lp.result.width,
                               num_nonzero_weights=int(np.count_nonzero(w))))
        width_in = lp.result.width
    resources = estimate(DesignSpec(tuple(specs), clock_period_ns=5.0, part=PART))
    figures = {"bit_exact_fraction": {"value": bitexact.exact_fraction, "unit": "fraction", "method": "csim"},
               "accuracy": {"value": bitexact.firmware_accuracy, "unit": "fraction", "method": "csim"}}
    figures.update({k: f.to_dict() for k, f in resources.total.figures().items()})
    out.mkdir(parents=True)
    atomic_write_json(out / "report.json", {
        "schema_version": 1, "target": "fpga", "name": "jet_mlp", "figures": figures, "bitexact": bitexact.to_dict(),
        "resources": resources.to_dict(), "precision": precision.to_dict(), "lineage": {"model_dir": str(run_train)},
        "settings": {"part": PART, "clock_period_ns": 5.0}, "notes": ["stand-in C simulation (test)"]})
    named = {name: (ref, fwv) for name, ref, fwv in layers}
    np.savez(out / CSIM_OUTPUTS, logits_reference=named[precision.logits_layer][0],
             logits_firmware=named[precision.logits_layer][1], output_reference=named[precision.output_layer][0],
             output_firmware=named[precision.output_layer][1], labels=outs.y)
    budgets = out.parent.parent / "budgets"
    budgets.mkdir(exist_ok=True)
    (budgets / "jet_mlp.yml").write_text("name: jet_mlp\nii_cycles: {max: 1}\nbit_exact_fraction: {min: 1.0}\n"
                                         "latency_ns: {max: 1000, method: [analytic]}\n")
    write_manifest(out, stage="export-fpga")


@pytest.fixture(scope="module")
def export_dir(tiny_jets, tmp_path_factory) -> Path:
    from edgenn.config.load import load_recipe
    from edgenn.tasks.registry import get_task
    from edgenn.training.stage import run_training

    tmp = tmp_path_factory.mktemp("report")
    recipe = load_recipe(write_recipe(tmp / "jet_mlp.yml", tiny_jets))
    run_training(recipe, tmp / "runs" / "jet_mlp" / "train", task=get_task("classify"), progress=False)
    _export(tmp / "runs" / "jet_mlp" / "train", tmp / "firmware" / "jet_mlp" / "fpga")
    return tmp / "firmware" / "jet_mlp" / "fpga"


def _images(html: str) -> list[bytes]:
    return [base64.b64decode(b) for b in re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)]


def _section_ids(html: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)">', html)


def _missing(html: str, section: str) -> list[str]:
    body = html.split(f'<section id="{section}">', 1)[1].split("</section>", 1)[0]
    return re.findall(r'class="missing">([^<]*)', body)


def test_complete_export_renders_every_section_with_real_images(export_dir):
    model = export_dir.parents[2] / "runs" / "jet_mlp" / "train" / "model.h5"
    model.rename(model.with_suffix(".aside"))  # drawn from the saved records alone: there is no model to re-run
    try:
        out = write_report(export_dir)
    finally:
        model.with_suffix(".aside").rename(model)
    assert out == export_dir / "report.html"
    html = out.read_text()
    assert [s for s in EXPORT_SECTIONS if s in _section_ids(html)] == list(EXPORT_SECTIONS)
    assert "ROC: software models vs firmware" in html and "(saved by the stage)" in html  # from outputs.npz
    for section in ("dataset", "training", "performance", "profile", "bitexact", "resources", "budget"):
        assert _missing(html, section) == [], section
    images = _images(html)
    # features, history, ROC overlay, roc+confusion, profile, |Δ| histogram, resource bars
    assert len(images) >= 8
    for data in images:
        size = png_size(data)
        assert size is not None and size[0] > 100 and size[1] > 100
    # the budget table evaluated the real figures: ii passes, the stand-in C sim is not bit-exact so that line fails
    budget = html.split('<section id="budget">', 1)[1].split("</section>", 1)[0]
    assert re.search(r"<td>ii_cycles</td>.*?class='pass'>pass<", budget)
    assert re.search(r"<td>bit_exact_fraction</td>.*?class='fail'>FAIL<", budget)
    report = json.loads((export_dir / "report.json").read_text())
    first = report["bitexact"]["first_diverging_layer"]
    assert first and f"First diverging layer: <b>{first}</b>" in html
    # the total carries its 90 % interval (or reads as a lower bound), as in report.md
    resources = html.split('<section id="resources">', 1)[1].split("</section>", 1)[0]
    lut = report["resources"]["total"]["lut"]
    if lut.get("bound") == "lower":
        assert f"≥ {lut['value']:,.0f}" in resources
    else:
        low, high = lut["interval"]
        assert f"{lut['value']:,.0f} ({low:,.0f}–{high:,.0f})" in resources
        assert "90 % interval on the real figure" in resources


def test_report_has_no_external_references(export_dir):
    html = write_report(export_dir).read_text()
    assert "http://" not in html and "https://" not in html
    for attr in re.findall(r'(?:src|href)="([^"]*)"', html):
        assert attr.startswith(("data:image/png;base64,", "#")), attr
    assert "<script" not in html.lower() and "<link" not in html.lower()


def _copy(export_dir: Path, tmp_path: Path) -> tuple[Path, Path, dict]:
    """A copy of the export and its train stage, the export's report.json pointing at the copied stage."""
    fw = tmp_path / "firmware" / "jet_mlp" / "fpga"
    shutil.copytree(export_dir, fw)
    run = tmp_path / "runs" / "jet_mlp" / "train"
    shutil.copytree(export_dir.parents[2] / "runs" / "jet_mlp" / "train", run)
    report = json.loads((fw / "report.json").read_text())
    report["lineage"]["model_dir"] = str(run)
    return fw, run, report


def test_missing_and_broken_pieces_render_as_notices(export_dir, tmp_path):
    fw, run, report = _copy(export_dir, tmp_path)
    for key in ("bitexact", "resources"):
        del report[key]  # an export without validation data
    (fw / "report.json").write_text(json.dumps(report))
    (fw / CSIM_OUTPUTS).unlink()
    (run / "metrics.json").unlink()
    (run / "roc.png").write_bytes(b"not a png")
    (run / "model.h5").write_bytes(b"broken")
    (run / "outputs.npz").unlink()  # a stage directory an older edgenn wrote

    html = write_report(fw).read_text()
    assert "bit-exactness results" in " ".join(_missing(html, "bitexact"))
    assert "resource estimates" in " ".join(_missing(html, "resources"))
    assert any("metrics.json" in m for m in _missing(html, "training"))
    assert any("roc.png (not a readable PNG)" in m for m in _missing(html, "performance"))
    profile = " ".join(_missing(html, "profile"))
    assert f"saved layer outputs ({run / 'outputs.npz'})" in profile
    assert "older than its outputs record; re-run `edgenn train &lt;recipe&gt;` to save them." in profile
    assert "ROC: software models" not in html  # no outputs, no overlay: the model is not re-run to draw one
    assert "budget" in _section_ids(html)  # the budget table still evaluates what report.json has
    for data in _images(html):
        assert png_size(data) is not None


def test_a_truncated_stage_outputs_record_is_one_line_naming_the_rerun(export_dir, tmp_path):
    from edgenn.reporting import locate
    from edgenn.reporting.sections import stage_outputs

    fw, run, report = _copy(export_dir, tmp_path)
    (fw / "report.json").write_text(json.dumps(report))
    data = (run / "outputs.npz").read_bytes()
    (run / "outputs.npz").write_bytes(data[: len(data) // 2])
    src = locate(fw)
    assert stage_outputs(src, "train") is None
    problem = src.problems[str(run / "outputs.npz")]
    assert "not a readable stage-outputs record (truncated or not an npz" in problem and "\n" not in problem
    assert problem.endswith("re-run `edgenn train <recipe>` to save them.")


def test_unreadable_report_json_and_missing_directory(tmp_path):
    from edgenn.errors import MissingArtifactError

    d = tmp_path / "firmware" / "x" / "fpga"
    d.mkdir(parents=True)
    (d / "report.json").write_text("{not json")
    (d / "manifest.json").write_text(json.dumps({"stage": "export-fpga"}))
    html = write_report(d).read_text()
    assert "unreadable" in html and "missing: export report.json" in html
    with pytest.raises(MissingArtifactError, match="no such directory"):
        write_report(tmp_path / "nowhere")


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.mark.slow
def test_report_in_headless_chromium(export_dir, tmp_path):
    """Chromium loads the page from disk with network off, logging console messages to stderr (--enable-logging
    --v=0): the test fails on any CONSOLE(...) line or net::ERR (failed load), checks the DOM it serialised still holds
    every image (same count as the file) and that each inline PNG decodes to non-zero width and height, and saves a
    full-page screenshot (``report.png`` in the test's tmp dir; its PNG size must be non-zero)."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.skip("chromium not installed (Debian packages: apt-get install chromium chromium-driver)")
    page = write_report(export_dir)
    html = page.read_text()
    url = page.resolve().as_uri()
    common = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0"]
    dom = subprocess.run([*common, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    # the page has no script, so any console message at all (e.g. a blocked or failed load) is an error
    console_lines = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert not console_lines, console_lines
    assert "net::ERR" not in dom.stderr
    assert len(_images(dom.stdout)) == len(_images(html)) > 0
    for data in _images(dom.stdout):
        w, h = png_size(data)
        assert w > 0 and h > 0
    shot = tmp_path / "report.png"
    res = subprocess.run([*common, f"--screenshot={shot}", "--window-size=1280,6000", "--hide-scrollbars", url],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and shot.is_file(), res.stderr[-2000:]
    w, h = png_size(shot.read_bytes())
    assert w == 1280 and h > 0
