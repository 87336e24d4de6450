"""The import graph of edgenn/ stays a one-way, acyclic graph over public names (STYLE.md sections 1-2, issue 12 item 4).

The graph is built from the source with ast and counts every import: at module level and inside functions (a lazy
import still ties two modules together), relative ones, and `from edgenn import ...` (the package face, which imports
`api` and through it every stage), and imports by a module's name in a string (`importlib.import_module("edgenn.x")`,
`__import__`, `plugins.import_package_modules`, given the name itself, a module-level constant holding it or an
f-string starting with it): a dependency found by name at run time is still a dependency. A registry's package scan of
its own package (`import_package_modules(__package__, ...)`) names no other module and so adds no edge. Run this file
directly to print the whole report.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "edgenn"

# Foundation modules first (they import nothing but each other, in this order), then the stages in pipeline order
# (data -> train -> compress -> export -> check), orchestration last and the package face on top.
ORDER = ["_version", "filenames", "errors", "plugins", "io", "standardize", "seeding", "manifest", "splits", "records", "tf_ops",
         "qkeras_inference", "modelio", "flatten", "input_kinds", "task_protocol", "config", "reference", "qonnx", "artifacts",
         "datasets", "architectures", "training", "compression", "tasks", "exporters", "estimates", "synth", "verification",
         "reporting", "runners", "scan", "api", "cli", "__init__", "__main__"]

# Modules no test may shrink past: aim under 400, and nothing over 500 (BRIEF.md; STYLE.md section 2).
MAX_LINES = 500


@dataclass(frozen=True)
class Edge:
    source: str      # importing module, dotted
    target: str      # imported module, dotted
    names: tuple     # names taken with `from target import ...` (empty for `import target`)
    where: str       # "path:line"

    def __str__(self) -> str:
        taken = f" ({', '.join(self.names)})" if self.names else ""
        return f"{self.where}: {self.source} -> {self.target}{taken}"


def _modules(pkg: Path = PKG) -> dict[str, Path]:
    found = {}
    for path in sorted(pkg.rglob("*.py")):
        parts = list(path.relative_to(pkg.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    """Absolute name of what a (possibly relative) `from ... import` names."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


# callables whose first argument is the name of a module they import
NAME_IMPORTERS = {"import_module", "__import__", "import_package_modules"}


def _string_constants(tree: ast.Module) -> dict[str, str]:
    """Module-level `NAME = "..."` assignments, so `import_module(REGISTRY_MODULE)` is seen like the literal."""
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                if isinstance(target, ast.Name):
                    found[target.id] = node.value.value
    return found


def _named_module(arg: ast.expr, constants: dict[str, str], modules) -> str | None:
    """The edgenn module a string argument names: a literal, a module-level constant, or an f-string's fixed head
    (`f"edgenn.tasks.{name}"` names at least `edgenn.tasks`)."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        text = arg.value
    elif isinstance(arg, ast.Name) and arg.id in constants:
        text = constants[arg.id]
    elif isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant):
        text = str(arg.values[0].value).rstrip(".")
    else:
        return None
    parts = text.split(".")
    while parts and ".".join(parts) not in modules:  # `edgenn.x.attr` -> the module `edgenn.x`
        parts.pop()
    return ".".join(parts) or None


def _called_name(node: ast.Call) -> str | None:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def build_graph(pkg: Path = PKG) -> tuple[dict[str, Path], list[Edge]]:
    modules = _modules(pkg)
    edges = []
    for module, path in modules.items():
        rel = path.relative_to(pkg.parent)
        tree = ast.parse(path.read_text(), str(path))
        constants = _string_constants(tree)
        for node in ast.walk(tree):
            where = f"{rel}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call) and node.args and _called_name(node) in NAME_IMPORTERS:
                target = _named_module(node.args[0], constants, modules)
                if target is not None:
                    edges.append(Edge(module, target, (), where))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in modules:
                        edges.append(Edge(module, alias.name, (), where))
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(module, path, node)
                if target not in modules:
                    continue
                plain = []
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    if sub in modules:    # `from edgenn.x import y` where y is a submodule
                        edges.append(Edge(module, sub, (), where))
                    else:
                        plain.append(alias.name)
                if plain:
                    edges.append(Edge(module, target, tuple(plain), where))
    return modules, [e for e in edges if e.source != e.target]


@lru_cache(maxsize=1)
def _package_graph() -> tuple[dict[str, Path], list[Edge]]:
    """edgenn's own graph, parsed once for all the checks below."""
    return build_graph()


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def cycles(modules, edges) -> list[list[str]]:
    """Strongly connected sets of more than one module (Tarjan), each sorted; every such set holds a cycle."""
    succ = {m: sorted({e.target for e in edges if e.source == m}) for m in modules}
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in succ[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for m in sorted(modules):
        if m not in index:
            visit(m)
    return sorted(out, key=lambda g: (-len(g), g))


def backward_edges(edges) -> list[Edge]:
    rank = {unit: i for i, unit in enumerate(ORDER)}  # an unplaced unit fails test_every_module_is_placed instead
    return [e for e in edges if _unit(e.source) != _unit(e.target)
            and rank.get(_unit(e.target), -1) > rank.get(_unit(e.source), len(ORDER))]


def private_imports(edges) -> list[Edge]:
    """`from m import _name` across modules: the name is m's own business, so whoever needs it needs a public one."""
    out = []
    for e in edges:
        private = tuple(n for n in e.names if n.startswith("_") and not n.startswith("__"))
        if private:
            out.append(Edge(e.source, e.target, private, e.where))
    return out


def long_modules(modules) -> list[str]:
    sizes = {m: len(p.read_text().splitlines()) for m, p in modules.items()}
    return [f"{modules[m].relative_to(PKG.parent)}: {n} lines" for m, n in sorted(sizes.items()) if n > MAX_LINES]


def _show_cycle(group, edges) -> str:
    inside = [e for e in edges if e.source in group and e.target in group]
    return f"{len(group)} modules: {', '.join(group)}\n" + "\n".join(f"    {e}" for e in inside)


def test_the_graph_sees_lazy_relative_and_package_face_imports(tmp_path):
    # The checks are only as good as the graph: a cycle closed by a relative import inside a function, an import of
    # the package face and a private name taken through `from . import` must all show up.
    pkg = tmp_path / "edgenn"
    (pkg / "training").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from edgenn.training.stage import run\n")
    (pkg / "errors.py").write_text("def f():\n    from edgenn import run\n")
    (pkg / "training" / "__init__.py").write_text("")
    (pkg / "training" / "stage.py").write_text("from .helpers import _shared as shared\ndef run():\n    pass\n")
    (pkg / "training" / "helpers.py").write_text("def _shared():\n    from . import stage\n")
    modules, edges = build_graph(pkg)
    assert cycles(modules, edges) == [["edgenn.training.helpers", "edgenn.training.stage"]]
    assert [(e.source, e.target) for e in backward_edges(edges)] == [("edgenn.errors", "edgenn")]
    assert [(e.source, e.target, e.names) for e in private_imports(edges)] == [
        ("edgenn.training.stage", "edgenn.training.helpers", ("_shared",))]


def test_the_graph_sees_imports_by_name_in_a_string(tmp_path):
    # A lookup by module name at run time (the way config once found the family registry) is an upward edge the
    # plain import statements do not show: a literal, a module-level constant and an f-string head all count, a scan
    # of the registry's own package (a name built from __package__) does not.
    pkg = tmp_path / "edgenn"
    (pkg / "training").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "training" / "__init__.py").write_text("")
    (pkg / "training" / "stage.py").write_text("def run():\n    pass\n")
    (pkg / "training" / "scan.py").write_text(
        "from edgenn.plugins import import_package_modules\n"
        "def load():\n    import_package_modules(__package__, None)\n")
    (pkg / "plugins.py").write_text("")
    (pkg / "errors.py").write_text(
        "import importlib\nSTAGE = 'edgenn.training.stage'\n"
        "def f():\n    return importlib.import_module(STAGE).run\n")
    (pkg / "io.py").write_text("def f(name):\n    return __import__(f'edgenn.training.{name}')\n")
    (pkg / "seeding.py").write_text(
        "from importlib import import_module\ndef f():\n    return import_module('edgenn.training.stage.run')\n")
    modules, edges = build_graph(pkg)
    assert sorted((e.source, e.target) for e in backward_edges(edges)) == [
        ("edgenn.errors", "edgenn.training.stage"), ("edgenn.io", "edgenn.training"),
        ("edgenn.seeding", "edgenn.training.stage")]


def test_every_module_is_placed():
    units = {_unit(m) for m in _modules()}
    assert units <= set(ORDER), f"place these in ORDER: {sorted(units - set(ORDER))}"


def test_no_import_cycles():
    modules, edges = _package_graph()
    found = cycles(modules, edges)
    assert not found, f"{len(found)} import cycles (edges inside each):\n" + "\n".join(
        _show_cycle(g, edges) for g in found)


def test_no_backward_edges_between_stages():
    _, edges = _package_graph()
    found = backward_edges(edges)
    assert not found, f"{len(found)} imports of a later stage (ORDER: {' < '.join(ORDER)}):\n" + "\n".join(
        f"  {e}" for e in found)


def test_no_private_names_imported_across_modules():
    _, edges = _package_graph()
    found = private_imports(edges)
    assert not found, "imports of private names (make the name public in the module that owns it):\n" + "\n".join(
        f"  {e}" for e in found)


def test_no_module_over_the_size_limit():
    found = long_modules(_modules())
    assert not found, f"modules over {MAX_LINES} lines; split them along their seams:\n" + "\n".join(found)


if __name__ == "__main__":
    mods, graph = build_graph()
    groups, back, private = cycles(mods, graph), backward_edges(graph), private_imports(graph)
    print(f"{len(mods)} modules, {len(graph)} edges")
    print(f"cycles: {len(groups)}")
    for g in groups:
        print("  " + _show_cycle(g, graph))
    print(f"backward edges: {len(back)}")
    for e in back:
        print(f"  {e}")
    print(f"private imports: {len(private)} imports, {sum(len(e.names) for e in private)} names")
    for e in private:
        print(f"  {e}")
    print("over the size limit:", long_modules(mods))
