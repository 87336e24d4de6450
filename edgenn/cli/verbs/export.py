"""``edgenn export SOURCE --target T``: a run or a user model to a registered export target. No logic here."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

import edgenn.filenames as filenames
from edgenn.cli.common import console, JSON_OPTION, settings, Verb
from edgenn.cli import render
from edgenn.cli.jsonout import figures as report_figures


def export(ctx: typer.Context,
           source: Path = typer.Argument(..., help="Run directory (runs/<name>), a Keras/QKeras model (.h5, .keras, SavedModel directory) or a QONNX model (.onnx, e.g. Brevitas export_qonnx)."),
           target: str = typer.Option("fpga", help="Export target: fpga (hls4ml project + C simulation), rtl (da4ml "
                                                    "Verilog + Verilator), onnx, or any other registered target."),
           out: Optional[Path] = typer.Option(None, help="Output directory (default firmware/<name>/<target>)."),
           data: Optional[Path] = typer.Option(None, help="Validation data for a user model: .npz with x (and y)."),
           part: Optional[str] = typer.Option(None, help="FPGA part (default from recipe: xcvu13p-flga2577-2-e)."),
           clock_period_ns: Optional[float] = typer.Option(None, "--clock-period", help="Target clock period in ns."),
           io_type: Optional[str] = typer.Option(None, help="io_parallel or io_stream."),
           strategy: Optional[str] = typer.Option(None, help="Latency, Resource, distributed_arithmetic (da4ml; reuse factor 1, io_parallel) or auto (the cheaper of Latency and distributed_arithmetic by their estimates that meets --budget)."),
           reuse_factor: Optional[int] = typer.Option(None, help="hls4ml reuse factor (1 = fully parallel)."),
           backend: Optional[str] = typer.Option(None, help="Vitis or Vivado."),
           ii_target: Optional[int] = typer.Option(None, help="Initiation interval to meet, in clock cycles (5 = 40 MHz "
                                                              "at 200 MHz): edgenn picks each layer's parallelization "
                                                              "and reuse factors, or refuses."),
           adder_levels_per_cycle: Optional[int] = typer.Option(None, help="rtl target: adder levels per pipeline "
                                                                           "stage (default: recipe export.rtl, else one "
                                                                           "per ns of the clock period)."),
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
           budget: Optional[Path] = typer.Option(None, help="Budget YAML the strategy auto choice must meet "
                                                             "(default firmware/budgets/<name>.yml beside the output)."),
           csim_check: Optional[bool] = typer.Option(None, "--csim-check/--no-csim-check",
                                                     help="rtl target: also check the Verilator result against the "
                                                          "hls4ml C simulation (default; minutes on 3-D models)."),
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
                        softmax=softmax, hls_config=hls_config, ptq=ptq, ptq_bits=ptq_bits,
                        budget=budget, csim_check=csim_check, adder_levels_per_cycle=adder_levels_per_cycle)
    render.export_summary(console, result)
    return {"paths": {"directory": result.directory, "report": result.directory / filenames.REPORT_MD},
            "figures": report_figures(result.report), "target": result.target,
            "notes": list(result.report.get("notes", []))}


VERB = Verb("export",
            export,
            epilog="Example: edgenn export runs/jet_mlp --target fpga\n\n"
                   "Example: edgenn export my_model.h5 --data val.npz --target onnx --json",
            panel="Pipeline")
