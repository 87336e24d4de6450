"""The beta controller alone, against a simulated HGQ run (no TensorFlow): does it move beta the right way and land?"""

import math

import pytest

from edgenn.compression.beta_control import BetaController


def simulate(controller: BetaController, *, start_ebops: float, scale: float, lag: float, max_rate: float) -> float:
    """EBOPs relax each epoch (by ``lag`` in log space, at most ``max_rate``: Adam moves a bit-width by about one
    learning rate per step) towards the equilibrium of the current beta, ``scale * beta ** -0.85`` (the jet MLP's
    measured slope)."""
    ebops = start_ebops
    for epoch in range(controller.epochs):
        equilibrium = scale * controller.beta ** -0.85
        move = lag * (math.log(equilibrium) - math.log(ebops))
        ebops = math.exp(math.log(ebops) + max(min(move, max_rate), -max_rate))
        controller.update(epoch, ebops)
    return ebops


@pytest.mark.parametrize("target", [2_000.0, 40_000.0])
@pytest.mark.parametrize("max_rate", [0.1, 1.0])
def test_controller_lands_near_a_target_above_or_below_where_the_start_beta_leads(target, max_rate):
    # beta 1e-5 alone would settle at 0.5 * 1e-5 ** -0.85 ~ 9,000 EBOPs: one target is below, one above; the slow
    # plant (0.1 per epoch) needs ~25 epochs from 60k to 2k, i.e. most of the run: the controller must not wind up
    controller = BetaController(target, beta=1e-5, epochs=40)
    final = simulate(controller, start_ebops=60_000.0, scale=0.5, lag=0.35, max_rate=max_rate)
    assert abs(final / target - 1) < 0.05
    betas = [h["beta"] for h in controller.history]
    assert (betas[-1] > 1e-5) == (target < 9_000)  # beta moved in the direction the target needs
    assert max(betas) < 30 * betas[-1]  # no wind-up far beyond the beta that holds the target


def test_warmup_only_measures_and_steps_are_clipped():
    controller = BetaController(1_000.0, beta=1e-6, epochs=10, warmup_epochs=2, max_step=3.0)
    controller.update(0, 1e6)
    controller.update(1, 1e6)
    assert controller.beta == 1e-6
    controller.update(2, 1e6)  # error ln(1000), no progress: far beyond one step
    assert controller.beta == pytest.approx(3e-6)
    assert [h["epoch"] for h in controller.history] == [0, 1, 2]


def test_beta_stays_within_its_bounds():
    controller = BetaController(1.0, beta=5e-4, epochs=10, beta_max=1e-3, max_step=10.0)
    for epoch in range(5):
        controller.update(epoch, 1e9)
    assert controller.beta == 1e-3
    low = BetaController(1e9, beta=0.0, epochs=10, beta_min=1e-9)
    assert low.beta == 1e-9
    for epoch in range(3):
        low.update(epoch, 1.0)
    assert low.beta == 1e-9
