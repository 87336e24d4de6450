"""The spinner line an export shows on stderr while a step runs (or nothing, with progress off)."""

from __future__ import annotations


def stage_status(progress: bool):
    from contextlib import nullcontext

    if not progress:
        return lambda text: nullcontext()
    from rich.console import Console

    console = Console(stderr=True)
    return lambda text: console.status(text)
