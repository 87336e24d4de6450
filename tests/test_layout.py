"""Tests mirror the package: ``tests/<subpackage>/test_<module>[_<concern>].py`` tests ``edgenn/<subpackage>/<module>.py``
(``tests/test_<module>.py`` a top-level module), so a test module that names no module (a typo, or a module renamed
since) fails here. Directories that test across the package, and the few modules that test across one subpackage, are
declared below with the reason. No two test modules share a basename: pytest imports them by basename (rootdir
mode, no ``__init__.py``), so a second one stops the whole suite from collecting."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parent
PKG = TESTS.parent / "edgenn"

# Directories organised by what a user does or by what is checked across every registered entry, not by module.
CROSS_CUTTING = {
    "cli": "the command line as users type it, one or more verbs per module",
    "conformance": "one battery over every registered family, target, pass and precision rule",
    "e2e": "whole pipelines from data to a checked export",
    "hardening": "bad input, interrupts and concurrency through the CLI",
    "reference": "the exact software reference against every layer kind it models",
    "zoo": "a zoo of user models through every export path",
}

# Test modules in mirrored directories that test several modules of their subpackage together.
ACROSS_MODULES = {
    "test_import_graph.py": "the import graph of the whole package",
    "test_layout.py": "this layout",
    "test_split_once.py": "every stage reads the saved split (splits.py, the stages' callers)",
    "architectures/test_graph_families.py": "deepsets, interaction_net and jedi_linear together",
    "compression/test_compress_passes.py": "every pass and the compress stage on one dataset",
    "datasets/test_jet_physics.py": "physics of generated jets (generate, jets_pythia, jet_features)",
    "estimates/test_estimator_corpus.py": "the whole estimator on real synthesis results",
    "exporters/test_user_jet_tagger.py": "a user's jet tagger through the fpga and onnx exporters",
    "qonnx/test_brevitas_files.py": "real Brevitas files through source, evaluate and the hls conversion",
    "records/test_model_record.py": "the model record (edgenn/artifacts.py) with its metrics record",
    "runners/test_hls_config.py": "the export runner's --hls-config through export_settings and export",
    "runners/test_multi_input_data.py": "the export runner's --data for several inputs",
    "runners/test_ptq.py": "the export runner's --ptq",
    "runners/test_softmax_policy.py": "the export runner's softmax policy (exporters/softmax_policy.py)",
    "runners/test_user_model_loading.py": "the export runner loading user model files",
    "scan/test_scan_slow.py": "slow scans: resume of the driver, the Ray executor",
    "verification/test_family_budgets.py": "every family's shipped budgets",
}


def _test_modules() -> list[Path]:
    return sorted(TESTS.rglob("test_*.py"))


def _modules(directory: Path) -> set[str]:
    names = {p.stem.strip("_") for p in directory.glob("*.py")}
    names |= {p.name for p in directory.iterdir() if (p / "__init__.py").is_file()}
    return names - {"init"}


def _names_a_module(stem: str, modules: set[str]) -> bool:
    return any(stem == m or stem.startswith(m + "_") for m in modules)


def test_every_test_module_names_a_module_of_its_subpackage():
    wrong = []
    for path in _test_modules():
        rel = path.relative_to(TESTS)
        if rel.parts[0] in CROSS_CUTTING or rel.as_posix() in ACROSS_MODULES:
            continue
        source = PKG.joinpath(*rel.parts[:-1])
        if not (source / "__init__.py").is_file():
            wrong.append(f"{rel}: edgenn/{rel.parent.as_posix()} is no subpackage (declare the directory in "
                         "CROSS_CUTTING or move the module)")
        elif not _names_a_module(path.stem.removeprefix("test_"), _modules(source)):
            wrong.append(f"{rel}: no module edgenn/{rel.parent.as_posix()}/<name>.py for test_<name>[_<concern>].py")
    assert not wrong, "rename these test modules after the module they test:\n" + "\n".join(wrong)


def test_declared_exceptions_exist():
    stale = [rel for rel in ACROSS_MODULES if not (TESTS / rel).is_file()]
    stale += [d + "/" for d in CROSS_CUTTING if not (TESTS / d).is_dir()]
    assert not stale, "remove these stale entries from tests/test_layout.py: " + ", ".join(stale)


def test_no_two_test_modules_share_a_basename():
    counts = Counter(p.name for p in _test_modules())
    twice = sorted(name for name, n in counts.items() if n > 1)
    assert not twice, "pytest cannot collect two test modules of one basename; rename one of: " + ", ".join(
        f"{name} ({', '.join(str(p.parent.relative_to(TESTS)) for p in _test_modules() if p.name == name)})"
        for name in twice)
