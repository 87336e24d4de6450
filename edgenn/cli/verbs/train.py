"""``edgenn train RECIPE``: train the recipe's float model. No logic here."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from edgenn.cli.common import console, JSON_OPTION, settings, Verb
from edgenn.cli import render
from edgenn.cli.payloads import model_payload


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


VERB = Verb("train",
            train,
            epilog="Example: edgenn train models/jet_mlp.yml\n\n"
                   "Example: edgenn train models/jet_mlp.yml --out runs/try1/train --no-report --json",
            panel="Pipeline")
