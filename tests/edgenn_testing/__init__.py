"""The one test-support package (importable because pyproject's pytest ``pythonpath`` holds ``tests``; conftest
modules are not importable by name): recipes, export reports and small models that test modules build on."""

from edgenn_testing.models import build_small_qmlp, quantized_family_model
from edgenn_testing.recipes import ROOT, write_recipe
from edgenn_testing.reports import write_export_report

__all__ = ["ROOT", "build_small_qmlp", "quantized_family_model", "write_export_report", "write_recipe"]
