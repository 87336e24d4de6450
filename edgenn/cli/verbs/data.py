"""``edgenn data generate jets|events``: the options every dataset kind shares; events add theirs (``data_events``)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

import edgenn.filenames as filenames
from edgenn.cli.common import console, JSON_OPTION, settings, Verb


def data_generate(
    ctx: typer.Context,
    kind: str = typer.Argument("jets", help="Dataset kind: 'jets' (q, g, W, Z, t jets at pT ~ 1 TeV) or "
                                              "'events' (trigger-level SM + BSM events; see `events --help`)."),
    out: Path = typer.Option(Path("data/jets"), help="Output directory (gets jets.h5 + manifest.json)."),
    jets_per_class: int = typer.Option(2000, help="Jets per class after balancing."),
    classes: Optional[list[str]] = typer.Option(None, "--class", help="Restrict to these classes (repeatable)."),
    seed: int = typer.Option(1, help="Root seed; same seed and settings give identical arrays."),
    fast: bool = typer.Option(False, "--fast", help="Multi-parton interactions off: 3-5x faster generation."),
    definition: Optional[str] = typer.Option(None, help="Jets: sample definition, 'hls4ml' (default: the public "
                                                        "dataset's recipe) or 'legacy' (edgenn's first one); see "
                                                        "docs/jet_definitions.md."),
    detector: bool = typer.Option(False, "--detector", help="Jets: measure constituents with a simple tracker + "
                                                           "calorimeter towers (Delphes CMS card values; see "
                                                           "docs/jet_definitions.md). Default: generator level."),
    workers: Optional[int] = typer.Option(None, help="Worker processes (default: one per core)."),
    events_per_shard: Optional[int] = typer.Option(None, help="Pythia events per cached shard (default 500)."),
    cache_dir: Optional[Path] = typer.Option(None, help="Shard cache (default ~/.cache/edgenn or $EDGENN_CACHE_DIR)."),
    ray_address: Optional[str] = typer.Option(None, help="Run jet shards as Ray tasks ('local' starts a local "
                                                         "cluster, 'auto' joins one); same output."),
    json_out: bool = JSON_OPTION,
) -> dict:
    """Generate a dataset offline with Pythia 8 + FastJet (seeded, sharded, cached)."""
    from edgenn.api import generate_data
    from edgenn.errors import InvalidInputError

    if kind == "events":  # trigger-level events for anomaly detection: its own options live in data_events
        from edgenn.cli.verbs.data_events import generate_events_from_cli

        if definition is not None:
            raise InvalidInputError("--definition names a jet-sample definition; events have streams.",
                                    fix="drop --definition for `data generate events` (see `events --help`).")
        if detector:
            raise InvalidInputError("--detector applies to jets; events have their own parametrised resolution.",
                                    fix="drop --detector for `data generate events`.")

        return generate_events_from_cli(ctx.args, out=out, seed=seed, fast=fast, workers=workers,
                                        events_per_shard=events_per_shard, cache_dir=cache_dir,
                                        progress=settings(ctx).progress)
    if kind != "jets":
        raise InvalidInputError(f"unknown dataset kind {kind!r}; known kinds: jets, events.",
                                fix="use `edgenn data generate jets` or `edgenn data generate events`.")
    if ctx.args:
        raise InvalidInputError(f"unknown option(s) for jets: {' '.join(ctx.args)}.", fix="see --help.")
    path = generate_data(kind, out=out, jets_per_class=jets_per_class, classes=classes, seed=seed, fast=fast,
                         definition=definition, detector=detector, workers=workers,
                         events_per_shard=events_per_shard, cache_dir=cache_dir,
                         progress=settings(ctx).progress, ray_address=ray_address)
    console.print(f"dataset written: [bold]{path}[/]", soft_wrap=True)
    return {"paths": {"dataset": path, "manifest": Path(path).parent / filenames.MANIFEST}}


GENERATE = Verb("generate",
                data_generate,
                epilog="Example: edgenn data generate jets --out data/jets --jets-per-class 2000 --fast\n\n"
                     "Example: edgenn data generate events --out data/events --events-per-process 2000 --fast",
                context_settings={"allow_extra_args": True, "ignore_unknown_options": True})


def build_group() -> typer.Typer:
    """The ``data`` group; ``data generate`` is its one command."""
    group = typer.Typer(no_args_is_help=True, help="Make or inspect datasets.")
    GENERATE.add_to(group)
    return group
