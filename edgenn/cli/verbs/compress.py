"""``edgenn compress RUN``: prune, quantize and/or distill a trained model (or fold a user model's BatchNorm). No logic
here."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from edgenn.cli.common import console, JSON_OPTION, settings, Verb
from edgenn.cli import render
from edgenn.cli.payloads import model_payload


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


VERB = Verb("compress",
            compress,
            epilog="Example: edgenn compress runs/jet_mlp\n\n"
                   "Example: edgenn compress runs/jet_mlp --recipe models/jet_mlp.yml --json",
            panel="Pipeline")
