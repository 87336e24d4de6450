"""Export reports for tests of the stages that read them (check, report), written as a target writes them."""

from __future__ import annotations

from pathlib import Path


def write_export_report(directory: Path, figures: dict, *, target: str = "fpga", name: str = "jet_mlp") -> Path:
    """``directory/report.json`` holding ``figures`` (report.json figure dicts), written through the export record
    as every target writes it, so `edgenn check` and `edgenn report` read it as a real export."""
    from edgenn.records import ExportReport
    from edgenn.records.figures import figures_from_dicts

    Path(directory).mkdir(parents=True, exist_ok=True)
    ExportReport(target, name, figures_from_dicts(figures, "figures")).save(directory)
    return Path(directory) / "report.json"
