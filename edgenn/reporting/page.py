"""Assemble report.html: one self-contained page (inline CSS, PNGs as base64 data URIs, no script, no network).

Contract: ``write_report(path)`` finds the run's pieces (``sources.locate``), renders every section that applies
(``sections_for``), and writes ``<path>/report.html`` atomically. A missing or malformed piece never makes
it raise: the section says what is missing and how to get it; a section that fails unexpectedly is replaced by a
notice naming the error. Only a ``path`` that does not exist is an error (``MissingArtifactError``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import edgenn.filenames as filenames
from edgenn.reporting.html import PAGE_CSS, esc, missing, section
from edgenn.reporting.sections import SectionFn, compression, dataset, overview, performance, training
from edgenn.reporting.sections_export import bit_exactness, budget, numerical_profile, onnx, resources
from edgenn.reporting.sources import Sources

REPORT_HTML = filenames.REPORT_HTML


# ----- what could not be read -------------------------------------------------------------------------------------
def problems(src: Sources) -> str:
    if not src.problems:
        return ""
    items = "".join(f"<li><code>{esc(p)}</code>: {esc(why)}</li>" for p, why in src.problems.items())
    return section("problems", "Pieces that could not be read", f"<ul>{items}</ul>")


RUN_SECTIONS: tuple[SectionFn, ...] = (overview, dataset, training, performance, compression)
EXPORT_SECTIONS: tuple[SectionFn, ...] = (overview, dataset, training, performance, compression, numerical_profile,
                                          bit_exactness, resources, onnx, budget)


def sections_for(src: Sources) -> Sequence[SectionFn]:
    if src.kind == "scan":
        from edgenn.reporting.sections_scan import SCAN_SECTIONS

        return SCAN_SECTIONS
    if src.kind == "curves":
        from edgenn.reporting.sections_curves import CURVE_SECTIONS

        return CURVE_SECTIONS
    if not src.task().has_classes:  # a score, not class probabilities: trigger metrics replace the ROC section
        from edgenn.reporting.sections_anomaly import anomaly_dataset, anomaly_performance

        swap = {dataset: anomaly_dataset, performance: anomaly_performance}
        return tuple(swap.get(fn, fn) for fn in _sections_for(src))
    return _sections_for(src)


def _sections_for(src: Sources) -> Sequence[SectionFn]:
    if src.kind == "export" and src.primary_export == "onnx":
        return (overview, dataset, training, performance, compression, onnx)
    if src.kind == "export":
        return EXPORT_SECTIONS
    if src.kind == "stage" and "compress" not in src.stage_dirs:
        return (overview, dataset, training, performance)
    return RUN_SECTIONS


# ----- the page ---------------------------------------------------------------------------------------------------
def render_page(src) -> str:
    """The full HTML text for ``src`` (a ``sources.Sources``)."""
    from edgenn._version import __version__

    parts = []
    for fn in sections_for(src):
        try:
            parts.append(fn(src))
        except Exception as exc:  # noqa: BLE001 - one broken section must not cost the page (see module docstring)
            title = fn.__name__.replace("_", " ")
            parts.append(section(fn.__name__, title.capitalize(), missing(
                f"section '{title}' (it failed: {type(exc).__name__}: {exc})",
                "please report this as an edgenn bug with the directory's report.json/metrics.json")))
    parts.append(problems(src))
    import re

    anchors = re.findall(r'<section id="([^"]+)">\n<h2>([^<]*)</h2>', "".join(parts))
    nav = " ".join(f'<a href="#{a}">{t}</a>' for a, t in anchors)
    title = f"edgenn report: {src.name} ({src.kind}{', ' + src.primary_export if src.primary_export else ''})"
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{esc(title)}</title>\n'
            f"<style>{PAGE_CSS}</style>\n</head>\n<body>\n<h1>{esc(title)}</h1>\n"
            f'<p class="note">made by edgenn {esc(__version__)}; regenerate with '
            f"<code>edgenn report {esc(str(src.target))}</code></p>\n<nav>{nav}</nav>\n"
            + "".join(parts) + "</body>\n</html>\n")


def write_report(path: Path, *, budget: Path | None = None) -> Path:
    """Write ``report.html`` into a run, stage or export directory and return its path.

    Args:
        path: ``runs/<name>``, ``runs/<name>/{train,compress}``, ``firmware/<name>/<target>`` or a scan directory
            (``scans/<name>``: Pareto front and trials table) or a curve directory of ``edgenn compare --train-sizes``.
        budget: budget YAML for the budget table; default for an export is ``firmware/budgets/<name>.yml`` if present.

    Raises:
        MissingArtifactError: ``path`` is not a directory, or holds no edgenn run. Nothing else: missing pieces
            become notices on the page.

    Example:
        >>> write_report(Path("firmware/jet_mlp/fpga"))  # doctest: +SKIP
        PosixPath('firmware/jet_mlp/fpga/report.html')
    """
    from edgenn.errors import MissingArtifactError
    from edgenn.io import atomic_write_text
    from edgenn.reporting.sources import locate

    path = Path(path)
    if not path.is_dir():
        raise MissingArtifactError(f"{path}: no such directory to report on.",
                                   fix="point at runs/<name>, runs/<name>/train|compress, firmware/<name>/<target> or "
                                       "scans/<name>.")
    src = locate(path, budget=Path(budget) if budget is not None else None)
    if src.kind == "run" and not src.stage_dirs:
        # checked before writing: `edgenn report /etc` must not leave a report.html in a directory edgenn never made
        from edgenn.reporting.sources import EXPORT_REPORT

        # firmware/<name> holds its targets one level down: name them rather than the general layout
        inside = sorted(str(d) for d in path.iterdir() if d.is_dir() and (d / EXPORT_REPORT).is_file())
        raise MissingArtifactError(f"{path}: holds no edgenn run (no train/ or compress/ stage, no export report.json, "
                                   "no scan results), so there is nothing to report on.",
                                   fix=f"point at one of its exports: {', '.join(inside)}." if inside else
                                   "point at runs/<name>, runs/<name>/train|compress, firmware/<name>/<target> or "
                                   "scans/<name>.")
    out = path / REPORT_HTML
    atomic_write_text(out, render_page(src))
    return out
