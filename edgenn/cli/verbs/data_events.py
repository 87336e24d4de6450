"""``edgenn data generate events``: the options specific to trigger events, parsed after the shared ones.

``data generate`` (``verbs/data``) owns the options shared by every dataset kind (--out, --seed, --fast, --workers,
--events-per-shard, --cache-dir) and hands the rest of the command line to ``events_command`` when the kind is
``events``; a typer command cannot be both a command and a group, so the kind stays a positional argument.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

import edgenn.filenames as filenames
from edgenn.cli.common import console

def events_command(
    events_per_process: int = typer.Option(1000, help="Preselected events per process (SM and each signal)."),
    stream: Optional[str] = typer.Option(None, help="Event stream: 'adc2021' (default: lepton-filtered, isolated "
                                                    "leptons, smeared objects, ADC2021's signals) or 'ht_legacy' "
                                                    "(lepton OR HT > 350 GeV, generator-level objects); see "
                                                    "docs/event_streams.md."),
    process: Optional[list[str]] = typer.Option(None, "--process", help="Restrict to these processes (repeatable)."),
    events: Optional[list[str]] = typer.Option(None, "--events", metavar="PROCESS=N",
                                               help="Target for one process, overriding --events-per-process "
                                                    "(repeatable), e.g. --events qcd=200000."),
    qcd_pt_hat_min: Optional[float] = typer.Option(None, help="ht_legacy: QCD p-hat-T floor in GeV (default 100)."),
    lepton_pt_min: Optional[float] = typer.Option(None, help="Single e/mu trigger threshold in GeV (default 23)."),
    ht_min: Optional[float] = typer.Option(None, help="ht_legacy: jet HT trigger threshold in GeV (default 350)."),
    pileup_mu: Optional[float] = typer.Option(None, "--pileup-mu", help="Overlay a Poisson number of minimum-bias "
                                                                      "interactions with this mean on every event "
                                                                      "(ADC2021: 20; default 0, none); see "
                                                                      "docs/event_streams.md."),
    max_shards_per_process: Optional[int] = typer.Option(None, help="Give up on a low-efficiency process after "
                                                                    "this many shards (default 200; adc2021's QCD "
                                                                    "slices 4 unless given a target with --events)."),
) -> dict:
    return {k: v for k, v in dict(events_per_process=events_per_process, stream=stream, processes=process,
                                  process_events=_process_events(events) if events else None,
                                  qcd_pt_hat_min=qcd_pt_hat_min, lepton_pt_min=lepton_pt_min, ht_min=ht_min,
                                  pileup_mu=pileup_mu, max_shards_per_process=max_shards_per_process).items() if v is not None}


def events_parser() -> typer.Typer:
    """A parser of its own for the options only events have, run on what ``data generate`` left unparsed; built
    when needed, so importing this module registers nothing."""
    parser = typer.Typer(add_completion=False, help="Options of `edgenn data generate events`.")
    parser.command()(events_command)
    return parser


def _process_events(values: list[str]) -> dict[str, int]:
    from edgenn.errors import InvalidInputError

    out: dict[str, int] = {}
    for value in values:
        name, sep, count = value.partition("=")
        if not sep or not count.strip().isdigit():
            raise InvalidInputError(f"--events {value!r} is not PROCESS=N.", fix="write e.g. --events qcd=200000.")
        out[name.strip()] = int(count)
    return out


def generate_events_from_cli(extra_args: list[str], *, out: Path, seed: int, fast: bool, workers: int | None,
                             events_per_shard: int | None, cache_dir: Path | None, progress: bool) -> dict:
    """Runs inside ``data generate``'s ``handles_errors``: errors and --json are handled there."""
    from edgenn.api import generate_events

    from edgenn.cli.common import ClickException
    from edgenn.errors import InvalidInputError

    try:
        options = events_parser()(extra_args, standalone_mode=False, prog_name="edgenn data generate events")
    except ClickException as exc:  # unknown option, bad number: one line, exit 2, as for every command
        raise InvalidInputError(f"data generate events: {exc.format_message()}",
                                fix="see `edgenn data generate events --help`.") from None
    if not isinstance(options, dict):  # --help was printed
        raise typer.Exit(0)
    path = generate_events(out=Path("data/events") if out == Path("data/jets") else out, seed=seed, fast=fast,
                           workers=workers, events_per_shard=events_per_shard, cache_dir=cache_dir,
                           progress=progress, **options)
    console.print(f"dataset written: [bold]{path}[/]", soft_wrap=True)
    manifest = Path(path).parent / filenames.MANIFEST
    console.print(composition_table(json.loads(manifest.read_text())["background"]))
    return {"paths": {"dataset": path, "manifest": manifest}}


def composition_table(background: dict):  # noqa: ANN201 - rich Table
    """The manifest's background composition beside ADC2021's published one, with the effective event count."""
    from rich.table import Table

    ours, upper = background["composition_percent"], background.get("composition_upper_percent", {})
    published = background["adc2021_composition_percent"]
    # The full reference is in the manifest (adc2021_source); the terminal gets the short one.
    table = Table(title="background composition, % of the accepted cross-section",
                  caption=f"{background['events']:,} background events, effective {background['effective_events']:,}"
                          " ((sum w)^2 / sum w^2); ADC2021: arXiv:2107.02157")
    for column in ("group", "generated", "ADC2021"):
        table.add_column(column, justify="left" if column == "group" else "right")
    for group in dict.fromkeys([*published, *ours]):
        value = f"{ours[group]:.2f}" if group in ours else "-"
        if group in upper:  # a process of the group passed no event: its share is only bounded
            value += f" (< {upper[group]:.2f}, 95 % CL)"
        table.add_row(group, value, f"{published[group]:.1f}" if group in published else "-")
    return table
