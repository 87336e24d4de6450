"""Command definitions. No computation here: arguments -> one ``edgenn.api`` call -> rendering."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

import edgenn.filenames as filenames
from edgenn.cli.common import JSON_OPTION, app, console, data_app, handles_errors, settings
from edgenn.cli import render
from edgenn.cli.jsonout import figures as report_figures
from edgenn.cli.payloads import model_payload


@data_app.command("generate", context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
                  epilog="Example: edgenn data generate jets --out data/jets --jets-per-class 2000 --fast\n\n"
                         "Example: edgenn data generate events --out data/events --events-per-process 2000 --fast")
@handles_errors
def data_generate(
    ctx: typer.Context,
    kind: str = typer.Argument("jets", help="Dataset kind: 'jets' (q, g, W, Z, t jets at pT ~ 1 TeV) or "
                                              "'events' (trigger-level SM + BSM events; see `events --help`)."),
    out: Path = typer.Option(Path("data/jets"), help="Output directory (gets jets.h5 + manifest.json)."),
    jets_per_class: int = typer.Option(2000, help="Jets per class after balancing."),
    classes: Optional[list[str]] = typer.Option(None, "--class", help="Restrict to these classes (repeatable)."),
    seed: int = typer.Option(1, help="Root seed; same seed and settings give identical arrays."),
    fast: bool = typer.Option(False, "--fast", help="Multi-parton interactions off: 3-5x faster generation."),
    definition: Optional[str] = typer.Option(None, help="Jets: sample definition, 'hls4ml' (default: the public "
                                                        "dataset's recipe) or 'legacy' (edgenn's first one); see "
                                                        "docs/jet_definitions.md."),
    workers: Optional[int] = typer.Option(None, help="Worker processes (default: one per core)."),
    events_per_shard: Optional[int] = typer.Option(None, help="Pythia events per cached shard (default 500)."),
    cache_dir: Optional[Path] = typer.Option(None, help="Shard cache (default ~/.cache/edgenn or $EDGENN_CACHE_DIR)."),
    ray_address: Optional[str] = typer.Option(None, help="Run jet shards as Ray tasks ('local' starts a local "
                                                         "cluster, 'auto' joins one); same output."),
    json_out: bool = JSON_OPTION,
) -> dict:
    """Generate a dataset offline with Pythia 8 + FastJet (seeded, sharded, cached)."""
    from edgenn.api import generate_data
    from edgenn.errors import InvalidInputError

    if kind == "events":  # trigger-level events for anomaly detection: its own options live in events_cmd
        from edgenn.cli.events_cmd import generate_events_from_cli

        if definition is not None:
            raise InvalidInputError("--definition names a jet-sample definition; events have streams.",
                                    fix="drop --definition for `data generate events` (see `events --help`).")

        return generate_events_from_cli(ctx.args, out=out, seed=seed, fast=fast, workers=workers,
                                        events_per_shard=events_per_shard, cache_dir=cache_dir,
                                        progress=settings(ctx).progress)
    if kind != "jets":
        raise InvalidInputError(f"unknown dataset kind {kind!r}; known kinds: jets, events.",
                                fix="use `edgenn data generate jets` or `edgenn data generate events`.")
    if ctx.args:
        raise InvalidInputError(f"unknown option(s) for jets: {' '.join(ctx.args)}.", fix="see --help.")
    path = generate_data(kind, out=out, jets_per_class=jets_per_class, classes=classes, seed=seed, fast=fast,
                         definition=definition, workers=workers, events_per_shard=events_per_shard, cache_dir=cache_dir,
                         progress=settings(ctx).progress, ray_address=ray_address)
    console.print(f"dataset written: [bold]{path}[/]")
    return {"paths": {"dataset": path, "manifest": Path(path).parent / filenames.MANIFEST}}


@app.command(rich_help_panel="Pipeline",
             epilog="Example: edgenn train models/jet_mlp.yml\n\n"
                    "Example: edgenn train models/jet_mlp.yml --out runs/try1/train --no-report --json")
@handles_errors
def train(ctx: typer.Context,
          recipe: Path = typer.Argument(..., help="Recipe YAML, e.g. models/jet_mlp.yml."),
          out: Optional[Path] = typer.Option(None, help="Output directory (default runs/<name>/train)."),
          report: bool = typer.Option(True, help="Write report.html into the output directory."),
          json_out: bool = JSON_OPTION) -> dict:
    """Train the recipe's float model and write metrics and ROC plots."""
    from edgenn.api import train as api_train

    result = api_train(recipe, out=out, progress=settings(ctx).progress, report=report)
    render.model_metrics(console, result)
    return model_payload(result)


@app.command(rich_help_panel="Pipeline",
             epilog="Example: edgenn compress runs/jet_mlp\n\n"
                    "Example: edgenn compress runs/jet_mlp --recipe models/jet_mlp.yml --json")
@handles_errors
def compress(ctx: typer.Context,
             run: Path = typer.Argument(..., help="Run directory (runs/<name>) holding a trained model."),
             recipe: Optional[Path] = typer.Option(None, help="Recipe to take the compress section from "
                                                             "(default: the run's own recipe)."),
             out: Optional[Path] = typer.Option(None, help="Output directory (default runs/<name>/compress)."),
             report: bool = typer.Option(True, help="Write report.html into the output directory."),
             data: Optional[Path] = typer.Option(None, help="With --fold-batchnorm: training data .npz (x, y)."),
             fold_batchnorm: bool = typer.Option(False, "--fold-batchnorm",
                                                 help="A user's QKeras model file (RUN is the .h5/.keras): fold each "
                                                      "BatchNorm into the QDense/QConv2D before it and fine-tune, so "
                                                      "the export is exact."),
             epochs: int = typer.Option(5, min=0, help="With --fold-batchnorm: fine-tuning epochs (0: fold only)."),
             json_out: bool = JSON_OPTION) -> dict:
    """Prune, quantize (QAT) and/or distill a trained model; prints the before/after table."""
    from edgenn.api import compress as api_compress

    if fold_batchnorm:
        from edgenn.api import fold_batchnorm as api_fold

        path, record = api_fold(run, data=data, out=out, epochs=epochs)
        console.print(f"folded {', '.join(record.folded)} into the layers before them; accuracy on {record.num_rows} "
                      f"rows: {record.accuracy_before} before, {record.accuracy_folded} folded, "
                      f"{record.accuracy_tuned} after {record.epochs} epochs; model written: [bold]{path}[/]")
        return {"paths": {"model": path}, "fold": record.to_dict()}
    result = api_compress(run, recipe=recipe, out=out, progress=settings(ctx).progress, report=report)
    render.compression_table(console, result)
    return model_payload(result)


@app.command(rich_help_panel="Pipeline",
             epilog="Example: edgenn export runs/jet_mlp --target fpga\n\n"
                    "Example: edgenn export my_model.h5 --data val.npz --target onnx --json")
@handles_errors
def export(ctx: typer.Context,
           source: Path = typer.Argument(..., help="Run directory (runs/<name>), a Keras/QKeras model (.h5, .keras, SavedModel directory) or a QONNX model (.onnx, e.g. Brevitas export_qonnx)."),
           target: str = typer.Option("fpga", help="Export target: fpga (hls4ml project + C simulation), rtl (da4ml "
                                                    "Verilog + Verilator), onnx, or any other registered target."),
           out: Optional[Path] = typer.Option(None, help="Output directory (default firmware/<name>/<target>)."),
           data: Optional[Path] = typer.Option(None, help="Validation data for a user model: .npz with x (and y)."),
           part: Optional[str] = typer.Option(None, help="FPGA part (default from recipe: xcvu13p-flga2577-2-e)."),
           clock_period_ns: Optional[float] = typer.Option(None, "--clock-period", help="Target clock period in ns."),
           io_type: Optional[str] = typer.Option(None, help="io_parallel or io_stream."),
           strategy: Optional[str] = typer.Option(None, help="Latency, Resource or distributed_arithmetic (da4ml; reuse factor 1, io_parallel)."),
           reuse_factor: Optional[int] = typer.Option(None, help="hls4ml reuse factor (1 = fully parallel)."),
           backend: Optional[str] = typer.Option(None, help="Vitis or Vivado."),
           ii_target: Optional[int] = typer.Option(None, help="Initiation interval to meet, in clock cycles (5 = 40 MHz "
                                                              "at 200 MHz): edgenn picks each layer's parallelization "
                                                              "and reuse factors, or refuses."),
           validation_samples: Optional[int] = typer.Option(None, help="Samples for C-simulation validation."),
           trust_model: bool = typer.Option(False, "--trust-model", help="Allow Lambda/custom layers in a user model "
                                                                         "file (runs code stored in it)."),
           report: bool = typer.Option(True, help="Write report.html into the export directory."),
           softmax: Optional[str] = typer.Option(None, help="Softmax head: drop (logits, exact; default), argmax "
                                                            "(class, exact), table (hls4ml's tables, agreement "
                                                            "measured)."),
           hls_config: Optional[Path] = typer.Option(None, "--hls-config", help="YAML with per-layer hls4ml settings "
                                                     "(layers: {<layer>: {reuse_factor, parallelization_factor, "
                                                     "strategy, precision}}) and optionally global export.fpga keys."),
           ptq: bool = typer.Option(False, "--ptq", help="Float model: quantize it after training (inputs, weights, "
                                                          "ReLUs; ranges profiled on --data) and check the firmware "
                                                          "bit for bit against that fixed-point model."),
           ptq_bits: Optional[int] = typer.Option(None, help="--ptq quantizer width in bits (default 8)."),
           json_out: bool = JSON_OPTION,
           ) -> dict:
    """Export to an hls4ml project (bit-exact C simulation checked) or to ONNX (checked with onnxruntime)."""
    from edgenn.api import export as api_export
    from edgenn.runners.targets import get_target

    get_target(target)  # the registry's error lists the registered targets
    result = api_export(source, target=target, out=out, data=data, part=part, clock_period_ns=clock_period_ns,
                        io_type=io_type, strategy=strategy, reuse_factor=reuse_factor, backend=backend,
                        validation_samples=validation_samples, trust_model=trust_model,
                        progress=settings(ctx).progress, report=report, ii_target=ii_target,
                        softmax=softmax, hls_config=hls_config, ptq=ptq, ptq_bits=ptq_bits)
    render.export_summary(console, result)
    return {"paths": {"directory": result.directory, "report": result.directory / filenames.REPORT_MD},
            "figures": report_figures(result.report), "target": result.target,
            "notes": list(result.report.get("notes", []))}


@app.command(rich_help_panel="Pipeline",
             epilog="Example: edgenn check firmware/jet_mlp/fpga --budget firmware/budgets/jet_mlp.yml\n\n"
                    "Example (CI): edgenn check firmware/jet_mlp/fpga --budget firmware/budgets/jet_mlp.yml "
                    "--json --junit check.xml > check.json")
@handles_errors
def check(export_dir: Path = typer.Argument(..., help="Export directory, e.g. firmware/jet_mlp/fpga."),
          budget: Path = typer.Option(..., help="Budget YAML, e.g. firmware/budgets/jet_mlp.yml."),
          junit: Optional[Path] = typer.Option(None, help="Also write a JUnit XML file for CI dashboards."),
          compare: str = typer.Option("upper", help="Test max limits against the 'upper' end of an estimate's 90 % "
                                                    "interval (default) or the 'point' estimate."),
          json_out: bool = JSON_OPTION) -> dict:
    """Compare an export with a budget: exit 0 if every line holds, 1 if any fails, 2 on bad input."""
    from edgenn.api import check as api_check
    from edgenn.io import atomic_write_text

    report = api_check(export_dir, budget, compare=compare)
    if junit:
        atomic_write_text(junit, report.to_junit())
    render.check_table(console, report)
    lines = report.to_dict()["lines"]
    return {"exit_code": 0 if report.passed else 1, "paths": {"junit": junit} if junit else {},
            "figures": {x["figure"]: {"value": x["value"], "unit": x["unit"], "method": x["method"]} for x in lines},
            "source": report.source, "passed": report.passed, "lines": lines}
