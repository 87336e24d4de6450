"""The shipped example file each kind of YAML input points at in its error fixes.

One table, so a budget error never sends the user to a recipe (a different schema) and a moved example is renamed in
one place. Keys are schema class names, so this module imports no schema.
"""

from __future__ import annotations

# schema name -> (example file to copy, where such files live)
EXAMPLES: dict[str, tuple[str, str]] = {
    "Recipe": ("models/jet_mlp.yml", "recipes live in models/"),
    "Budget": ("firmware/budgets/jet_mlp.yml", "budgets live in firmware/budgets/"),
    "ScanSpace": ("benchmarks/scan/jet_mlp_space.yml", "a scan space example is benchmarks/scan/jet_mlp_space.yml"),
}


def example_for(kind: str) -> str:
    """The example file for schema ``kind`` (a recipe's when the kind has none of its own)."""
    return EXAMPLES.get(kind, EXAMPLES["Recipe"])[0]
