"""The app is built in one place: verb modules register nothing at import, and ``build_app`` makes the whole app."""

from __future__ import annotations

import importlib
import pkgutil

import typer
from typer.main import get_command

import edgenn.cli.verbs as verbs
from edgenn.cli.app import app, build_app
from edgenn.cli.common import Verb


def _verb_records() -> list[Verb]:
    found = []
    for info in pkgutil.iter_modules(verbs.__path__):
        module = importlib.import_module(f"edgenn.cli.verbs.{info.name}")
        found += [v for v in vars(module).values() if isinstance(v, Verb)]
    return found


def test_every_verb_module_only_defines_records():
    records = _verb_records()
    assert records, "no Verb records found under edgenn/cli/verbs"
    # A verb module's import must leave no Typer app holding commands behind (the old side-effect registration).
    for info in pkgutil.iter_modules(verbs.__path__):
        module = importlib.import_module(f"edgenn.cli.verbs.{info.name}")
        apps = [v for v in vars(module).values() if isinstance(v, typer.Typer) and v.registered_commands]
        assert not apps, f"edgenn.cli.verbs.{info.name} registers commands at import"


def test_build_app_registers_every_verb_record_once():
    root = get_command(build_app())
    data = root.commands["data"]
    names = [n for n in root.list_commands(None) if n != "data"] + [f"data {n}" for n in data.list_commands(None)]
    records = sorted(("data " if v.name == "generate" else "") + v.name for v in _verb_records())
    assert sorted(names) == records
    assert len(names) == len(set(names))


def test_help_lists_data_first_then_pipeline_then_tools():
    root = get_command(app)
    listed = root.list_commands(None)
    panels = [root.commands[n].rich_help_panel for n in listed]
    assert listed[0] == "data"  # typer adds groups after commands; the root group puts data back in front
    assert panels == sorted(panels, key=["Pipeline", "Tools"].index)
