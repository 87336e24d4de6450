"""Find the pieces a report is made of, starting from a run, stage or export directory; read them without raising.

Contract: ``locate(path)`` decides what ``path`` is (an export directory ``firmware/<name>/<target>``, a stage directory
``runs/<name>/{train,compress}``, a run directory ``runs/<name>``, a scan directory holding ``scan.json`` or
``trials.csv``/``pareto.csv`` beside ``study.db``, or a curve directory holding ``curves.json``) and follows the
recorded lineage: an export's ``lineage.model_dir`` leads to its model stage, whose sibling ``train`` holds the
float model, whose ``recipe.yml`` names the dataset. Stages record paths relative to the directory they ran in, so a relative path is tried against the
current directory and the ancestors of the directory that recorded it. Nothing here raises on a missing or unreadable
piece: ``Sources.read_json`` returns ``None`` and remembers why, for the page to say.
"""

from __future__ import annotations

import edgenn.filenames as filenames
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCAN_SUMMARY = filenames.SCAN_SUMMARY  # written at the end of a scan call (the tables after every batch)
SCAN_FILES = ("trials.csv", "pareto.csv")
EXPORT_REPORT = filenames.REPORT_JSON  # written by edgenn.runners.export (reporting must not import runners)
CSIM_OUTPUTS = "csim_outputs.npz"  # per-value C-simulation and software outputs, if the export saved them
STAGES = ("train", "compress")


@dataclass
class Sources:
    """Where every piece of one report lives (``None``: not found) and what went wrong reading them."""

    target: Path  # the directory report.html is written into
    kind: str  # "export", "stage", "run", "scan" or "curves"
    name: str
    stage_dirs: dict[str, Path] = field(default_factory=dict)  # "train"/"compress" -> directory
    export_dirs: dict[str, Path] = field(default_factory=dict)  # "fpga"/"onnx" -> directory
    primary_export: str | None = None  # the export this page is about, if any
    budget_path: Path | None = None
    problems: dict[str, str] = field(default_factory=dict)  # path -> why it could not be read
    memo: dict[str, Any] = field(default_factory=dict, repr=False)  # expensive results shared between sections
    _cache: dict[Path, Any] = field(default_factory=dict, repr=False)

    def read_json(self, path: Path | None) -> Any:
        if path is None:
            return None
        if path in self._cache:
            return self._cache[path]
        value = None
        try:
            value = json.loads(Path(path).read_text())
        except FileNotFoundError:
            self.problems[str(path)] = "not found"
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            self.problems[str(path)] = f"unreadable ({type(exc).__name__}: {exc})"
        self._cache[path] = value
        return value

    def stage_metrics(self, stage: str) -> dict | None:
        d = self.stage_dirs.get(stage)
        value = self.read_json(d / filenames.METRICS) if d else None
        return value if isinstance(value, dict) else None

    def scan_summary(self):
        """The scan's summary record (``edgenn.records.scan.ScanSummary``), or None with the reason kept."""
        from edgenn.errors import EdgennError
        from edgenn.records.scan import ScanSummary

        path = self.target / SCAN_SUMMARY
        if path not in self._cache:
            try:
                self._cache[path] = ScanSummary.load(path) if path.is_file() else None
            except EdgennError as exc:
                self.problems[str(path)] = exc.message
                self._cache[path] = None
        return self._cache[path]

    def export_report(self, target: str | None = None):
        """The export's record (``edgenn.records.ExportReport``), or None with the reason kept in ``problems``."""
        from edgenn.errors import EdgennError
        from edgenn.records import ExportReport

        d = self.export_dirs.get(target or self.primary_export or "")
        if d is None:
            return None
        path = d / EXPORT_REPORT
        if path not in self._cache:
            try:
                self._cache[path] = ExportReport.load(path)
            except EdgennError as exc:
                self.problems[str(path)] = exc.message
                self._cache[path] = None
        return self._cache[path]

    def model_stage(self) -> str | None:
        """The stage whose model the page is about: the exported one, else the latest present."""
        report = self.export_report()
        if report and report.lineage.get("model_dir"):
            model_dir = report.lineage["model_dir"]
            for stage, d in self.stage_dirs.items():
                if Path(model_dir).name == stage and d.name == stage:
                    return stage
        for stage in reversed(STAGES):
            if stage in self.stage_dirs:
                return stage
        return None

    def task(self):
        """The task (``edgenn.task_protocol.Task``) the stages or the export name (their ``task`` key); runs written
        before classifiers recorded theirs are classifiers."""
        from edgenn.tasks.registry import get_task

        report = self.export_report()
        records = [self.stage_metrics(stage) or {} for stage in STAGES] + [{"task": report.task} if report else {}]
        return get_task(next((r["task"] for r in records if r.get("task")), "classify"))

    def recipe(self) -> dict | None:
        import yaml

        for stage in reversed(STAGES):
            d = self.stage_dirs.get(stage)
            if d and (d / filenames.RECIPE).is_file():
                try:
                    value = yaml.safe_load((d / filenames.RECIPE).read_text())
                except (OSError, yaml.YAMLError) as exc:
                    self.problems[str(d / filenames.RECIPE)] = f"unreadable ({exc})"
                    continue
                return value if isinstance(value, dict) else None
        return None

    def dataset_path(self) -> Path | None:
        """The dataset's HDF5 file as the recipe names it (edgenn's own format only)."""
        recipe = self.recipe()
        data = recipe.get("data") if isinstance(recipe, dict) else None
        if not isinstance(data, dict) or data.get("format", "edgenn") != "edgenn" or not data.get("path"):
            return None
        anchor = next(iter(self.stage_dirs.values()))
        found = resolve_recorded(str(data["path"]), anchor)
        if found is None:
            return None
        h5 = found / filenames.JETS if found.is_dir() else found
        return h5 if h5.is_file() else None


def resolve_recorded(recorded: str, recorder: Path) -> Path | None:
    """A path a stage wrote down, found from here: as given, or relative to an ancestor of the recording directory."""
    p = Path(recorded)
    if p.is_absolute():
        return p if p.exists() else None
    for base in (Path.cwd(), *Path(recorder).resolve().parents):
        if (base / p).exists():
            return base / p
    return None


def is_scan_dir(directory: Path) -> bool:
    """A scan's output directory: its summary, or (an interrupted scan) its tables beside the study."""
    return (directory / SCAN_SUMMARY).is_file() or (
        any((directory / f).is_file() for f in SCAN_FILES) and (directory / "study.db").is_file())


def _stage_of(directory: Path) -> str | None:
    manifest = directory / filenames.MANIFEST
    try:
        stage = json.loads(manifest.read_text()).get("stage")
    except (OSError, ValueError, AttributeError):
        stage = None
    if isinstance(stage, str):
        return stage
    if (directory / EXPORT_REPORT).is_file():
        return "export"
    if directory.name in STAGES and ((directory / filenames.METRICS).is_file() or (directory / filenames.MODEL).is_file()):
        return directory.name
    return None


def _add_run(src: Sources, run_dir: Path) -> None:
    for stage in STAGES:
        if (run_dir / stage).is_dir():
            src.stage_dirs.setdefault(stage, run_dir / stage)


def _default_budget(export_dir: Path, name: str) -> Path | None:
    # The layout `make demo` uses: firmware/<name>/<target> checked against firmware/budgets/<name>.yml.
    candidate = export_dir.resolve().parent.parent / "budgets" / f"{name}.yml"
    return candidate if candidate.is_file() else None


def locate(path: Path, *, budget: Path | None = None) -> Sources:
    """Classify ``path`` and collect the directories of its run; ``budget`` overrides the default budget file."""
    path = Path(path)
    if (path / filenames.CURVES).is_file():  # edgenn compare --train-sizes
        return Sources(path, "curves", path.name, budget_path=budget)
    if is_scan_dir(path):
        src = Sources(path, "scan", path.name, budget_path=budget)
        summary = src.scan_summary()
        src.name = (summary.name if summary else "") or path.name
        return src
    stage = _stage_of(path)
    if stage is not None and (stage == "export" or stage.startswith("export")):
        report = _safe_record(path)
        target = (report.target if report else "") or path.name
        name = (report.name if report else "") or path.parent.name
        src = Sources(path, "export", name, primary_export=target)
        for sibling in path.parent.iterdir() if path.parent.is_dir() else ():
            if sibling.is_dir() and (sibling / EXPORT_REPORT).is_file():
                sib = _safe_record(sibling)
                src.export_dirs[sib.target if sib else sibling.name] = sibling
        src.export_dirs[target] = path
        recorded = report.lineage.get("model_dir") if report else None
        model_dir = resolve_recorded(recorded, path) if recorded else None
        if model_dir is not None:
            src.stage_dirs[model_dir.name if model_dir.name in STAGES else "compress"] = model_dir
            _add_run(src, model_dir.parent)
        src.budget_path = budget or _default_budget(path, name)
        return src
    if stage in STAGES:
        src = Sources(path, "stage", path.parent.name)
        src.stage_dirs[stage] = path
        if stage == "compress":
            _add_run(src, path.parent)  # the float model's curves belong on the compressed model's page
    else:
        src = Sources(path, "run", path.name)
        _add_run(src, path)
    src.budget_path = budget
    return src


def _safe_record(export_dir: Path):
    """The export record of ``export_dir``, or None (the page then says what it could not read)."""
    from edgenn.errors import EdgennError
    from edgenn.records import ExportReport

    try:
        return ExportReport.load(export_dir / EXPORT_REPORT)
    except EdgennError:
        return None
