"""Turn pydantic validation errors into one line per problem: dotted field, what is wrong, value received, the fix."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

_FIXES = {
    "extra_forbidden": "remove the key or correct its spelling",
    "missing": "add this field",
    "greater_than": "use a larger value",
    "greater_than_equal": "use a larger value",
    "less_than": "use a smaller value",
    "less_than_equal": "use a smaller value",
    "literal_error": "use one of the allowed values",
    "int_parsing": "write a whole number",
    "int_type": "write a whole number",
    "float_parsing": "write a number",
    "float_type": "write a number",
    "bool_parsing": "write true or false",
    "string_type": "write a string",
    "string_pattern_mismatch": "use letters, digits, '_', '.', '-' only",
    "list_type": "write a YAML list",
    "dict_type": "write a YAML mapping",
    "model_type": "write a YAML mapping",
}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# Errors about the file's shape (a key too many or missing, a mapping expected) are best fixed by looking at a
# complete example; range and type errors already say what to write.
_SHAPE_ERRORS = {"extra_forbidden", "missing", "model_type", "dict_type"}


def format_pydantic_errors(exc: ValidationError, *, prefix: str = "", source: str = "",
                           example: str | None = None) -> list[str]:
    """``example``: a shipped file of the same schema, named in the fix of errors about the file's shape."""
    lines = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"])
        field = ".".join(p for p in (prefix, loc) if p)
        msg = err["msg"].removeprefix("Value error, ")
        where = ": ".join(p for p in (source, field) if p)
        if err["type"] == "value_error" and not loc:
            # model-level validators already name their fields in the message, one problem per line
            lines.extend(f"{source}: {m}" if source else m for m in msg.splitlines())
            continue
        got = "" if err["type"] == "missing" else f" (got {_short(err.get('input'))})"
        fix = _FIXES.get(err["type"])
        if fix and example and err["type"] in _SHAPE_ERRORS:
            fix = f"{fix} (see {example})"
        lines.append(f"{where}: {msg}{got}." + (f" Fix: {fix}." if fix else ""))
    return lines
