"""Export one zoo model to fpga (C simulation) and onnx through the CLI, as a user would; returns both reports."""

from __future__ import annotations

import json
import time
from pathlib import Path


def export_zoo_model(entry, directory: Path, rows: int = 400, targets: tuple[str, ...] = ("fpga", "onnx")) -> dict:
    from typer.testing import CliRunner

    from edgenn.cli.app import app

    directory.mkdir(parents=True, exist_ok=True)
    model, data = entry.write(directory, rows=rows)
    out = {}
    for target in targets:
        start = time.perf_counter()
        res = CliRunner().invoke(app, ["--no-progress", "export", str(model), "--data", str(data), "--target", target,
                                       "--out", str(directory / f"{entry.name}_{target}"), "--no-report",
                                       *entry.export_args, *(entry.fpga_args if target == "fpga" else ())])
        seconds = time.perf_counter() - start
        if res.exit_code != 0:
            out[target] = {"exit_code": res.exit_code, "output": res.output[-2000:], "seconds": seconds}
            continue
        report = json.loads((directory / f"{entry.name}_{target}" / "report.json").read_text())
        out[target] = {"exit_code": 0, "report": report, "seconds": seconds}
    return out
