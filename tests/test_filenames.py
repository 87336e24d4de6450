"""One module owns every conventional file name: no other module of the package spells one as a literal."""

import ast
from pathlib import Path

import edgenn.filenames as filenames

PKG = Path(__file__).resolve().parents[1] / "edgenn"
NAMES = {value for key, value in vars(filenames).items() if key.isupper()}


def test_no_module_spells_a_conventional_file_name():
    found = []
    for path in sorted(PKG.rglob("*.py")):
        if path.name == "filenames.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in NAMES:
                found.append(f"{path.relative_to(PKG)}:{node.lineno}: {node.value!r}")
    assert not found, "use edgenn.filenames instead of these literals:\n" + "\n".join(found)


def test_names_are_distinct():
    values = [value for key, value in vars(filenames).items() if key.isupper()]
    assert len(values) == len(set(values)) and all("/" not in v for v in values)
