"""Data flows one way: a subpackage never imports a later stage (STYLE.md section 1)."""

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "edgenn"
# Foundation modules first, then the stages in pipeline order; orchestration (runners, api, cli) last.
ORDER = ["errors", "io", "seeding", "manifest", "input_kinds", "config", "modelio", "reference", "qonnx", "datasets", "architectures", "artifacts",
         "training", "compression", "exporters", "estimates", "synth", "verification", "reporting", "runners", "scan",
         "api", "cli"]


# The one allowed upward edge: recipe validation looks family parameter schemas up in the registry (a table of
# schemas and builders, loaded lazily), so that model.params is checked at the edge like every other field.
ALLOWED = {("config", "edgenn.architectures.registry")}


def _unit(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "edgenn" else None


def test_no_backward_imports():
    problems = []
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG)
        own = rel.parts[0].removesuffix(".py")
        if own not in ORDER:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else []
            for name in names:
                unit = _unit(name)
                if unit in ORDER and ORDER.index(unit) > ORDER.index(own) and (own, name) not in ALLOWED:
                    problems.append(f"{rel}:{node.lineno} imports {name} (a later stage)")
    assert not problems, "\n".join(problems)


def test_every_subpackage_is_placed():
    units = {p.name for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert units <= set(ORDER), units - set(ORDER)
