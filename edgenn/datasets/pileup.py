"""Pileup overlay for trigger events: soft-QCD minimum-bias interactions added to each hard event.

ADC2021's events carry pileup (its file names say PU 20; Govorkova et al., arXiv:2107.02157, simulated them with
Delphes, whose ``PileUpMerger`` draws a Poisson number of minimum-bias events per bunch crossing). Here each shard
generates one pool of ``pool_events`` minimum-bias events with Pythia (``SoftQCD:inelastic``: non-diffractive plus
single, double and central diffraction, multi-parton interactions always on since they are what minimum bias is),
and every hard event receives a Poisson(``mu``) number of pool events drawn with replacement. The pool's own seed
comes from the shard's Pythia seed, so a shard stays a pure function of its spec.

Mitigation: charged pileup particles inside the tracker (|eta| < ``TRACKER_ETA_MAX``) are removed before the
overlay, as charged-hadron subtraction does (CMS particle flow + CHS; Delphes' ``TrackPileUpSubtractor``): their
tracks point to another vertex. Neutral pileup and charged pileup outside the tracker stay, and enter isolation
cones, jets and the MET sums; no PUPPI-like or area-based correction (edgenn's choice, docs/event_streams.md). A pool event is reused about ``num_events * mu / pool_events`` times
per shard; the reuse is random, so no two hard events share the same overlay.
"""

from __future__ import annotations

import numpy as np

# Minimum-bias events generated once per shard, then sampled with replacement.
DEFAULT_POOL_EVENTS = 1000
TRACKER_ETA_MAX = 2.5  # charged pileup inside it is subtracted (the tracker acceptance of detector_response)
MINIMUM_BIAS = ("SoftQCD:inelastic = on",)


def pool_seed(pythia_seed: int, seed_max: int) -> int:
    """The pool's Pythia seed: one-to-one with the shard's own seed and inside Pythia's 1..seed_max."""
    return seed_max + 1 - pythia_seed


def minimum_bias_settings(seed: int) -> list[str]:
    return ["Beams:eCM = 13000.", "Print:quiet = on", "Next:numberCount = 0", "Random:setSeed = on",
            f"Random:seed = {seed}", *MINIMUM_BIAS]


def final_state(prt):  # noqa: ANN001, ANN201 - awkward particle records of Pythia.nextBatch
    """The final-state particles of each event, keeping only the fields the object builders read."""
    return prt[prt.status > 0][["id", "status", "p"]]


def charged_hadron_subtracted(pool, charge_of):  # noqa: ANN001, ANN201 - awkward records, callable
    """``pool`` (``final_state`` records) without its charged particles inside the tracker."""
    import awkward as ak

    from edgenn.datasets.detector_response import charges

    flat_charge = charges(ak.to_numpy(ak.flatten(pool.id)).astype(np.int64), charge_of)
    charged = ak.unflatten(flat_charge != 0, ak.num(pool.id))
    return pool[~(charged & (abs(pool.p.eta) < TRACKER_ETA_MAX))]


def overlay(hard, pool, mu: float, rng: np.random.Generator):  # noqa: ANN001, ANN201 - awkward records
    """``hard`` (events x particles) with a Poisson(``mu``) number of ``pool`` events' particles appended to each
    event; both are ``final_state`` records. Returns (merged records, number of overlaid interactions per event)."""
    import awkward as ak

    counts = rng.poisson(mu, size=len(hard))
    draws = rng.integers(0, len(pool), size=int(counts.sum()))
    per_event = ak.unflatten(pool[draws], counts)  # (events, interactions, particles)
    added = ak.flatten(per_event, axis=2)
    return ak.concatenate([hard, added], axis=1), counts
