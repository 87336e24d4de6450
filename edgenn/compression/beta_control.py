"""Steering HGQ's beta during the fine-tune run so the model lands on a resource target (``compress.target``).

HGQ's loss is ``task + beta * EBOPs``: beta sets how hard bits are pushed down, but which EBOPs a beta ends at depends
on the model, the data and the run length, so a user who wants "the best model in N LUTs" would have to search beta.
Here a controller does it on the measured figure instead (the idea of HGQ2's ``BetaPID`` callback; edgenn's own law):

- after every epoch the HGQ model's ranges are traced on the training split and its *exact* EBOPs computed (the same
  figure ``fix_learned_precision`` reports, not the training-time over-estimate, which runs 13-36 % high);
- the error is taken in log space, ``e = ln(EBOPs / target)``, because EBOPs fall roughly as a power of beta
  (about ``beta ** -0.85`` on the jet MLP), so equal ratios need equal steps whatever the scale;
- the controller steers the *rate* of ``e``, not ``e`` itself: a bit-width moves at most about one learning rate per
  optimiser step whatever beta is (Adam normalises the gradient), so once the bits fall as fast as they can, raising
  beta further only winds it up, and the wound-up beta then drives the model far below the target. Instead it plans a
  glide path: reach the target by ``settle_fraction`` of the epochs (then hold it while the task loss recovers), i.e.
  close ``e / epochs_left`` per epoch, and moves ``ln beta`` by ``gain * (needed rate - observed rate)``, each step
  clipped to a factor of ``max_step``. The planned rate is capped at ``approach_rate`` of the gap per epoch, so the
  approach brakes as it nears the target: measured on the tiny jet MLP, the bits keep falling for epochs after
  beta drops (Adam's momentum) and hardly grow back even at beta 1e-6, so an overshoot below the target is permanent.
  After the deadline the same rule holds the target against drift both ways;
- anti-wind-up: while the observed rate stays where it was when beta was last raised (within ``min_response`` of
  that log step), the raise bought nothing, the bits are falling as fast as they can, and beta is held; a rate that
  drops (the bits near the new beta's balance) or rises again lets it move;
- beta stays within ``[beta_min, beta_max]``; the first ``warmup_epochs`` only measure (the bits fall fastest from
  their initial widths there, whatever beta is).

The final epoch's trace is on the same data and weights as ``fix_learned_precision``'s, so the controller's last
measurement is the figure that is reported and judged against the target's margin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class BetaController:
    """Glide-path controller on ``ln beta`` (module docstring); ``update`` takes an epoch's EBOPs, returns next beta."""

    target_ebops: float
    beta: float
    epochs: int
    settle_fraction: float = 0.5
    approach_rate: float = 0.25
    gain: float = 4.0
    max_step: float = 4.0
    beta_min: float = 1e-9
    beta_max: float = 1e-3
    warmup_epochs: int = 1
    min_response: float = 0.02
    history: list[dict] = field(default_factory=list)
    _previous_error: float | None = None
    _raise_rate: float = 0.0
    _raise_step: float = 0.0

    def __post_init__(self) -> None:
        if self.target_ebops <= 0:
            raise ValueError(f"target_ebops must be > 0 (got {self.target_ebops})")
        self.beta = min(max(self.beta, self.beta_min), self.beta_max)  # beta 0 has no log: start at the floor

    @property
    def deadline_epoch(self) -> int:
        return max(math.ceil(self.settle_fraction * self.epochs) - 1, self.warmup_epochs)

    def update(self, epoch: int, ebops: float) -> float:
        error = math.log(max(ebops, 1e-9) / self.target_ebops)
        used = self.beta
        if epoch >= self.warmup_epochs and self._previous_error is not None:
            # per epoch, to arrive by the deadline, but never more than approach_rate of the gap: the bits keep falling
            # for epochs after beta drops (Adam's momentum) and hardly grow back, so the approach must brake early
            needed = error * min(1.0 / max(self.deadline_epoch - epoch, 1), self.approach_rate)
            observed = self._previous_error - error
            limit = math.log(self.max_step)
            step = min(max(self.gain * (needed - observed), -limit), limit)
            if step > 0 and self._raise_step > 0 and abs(observed - self._raise_rate) < self.min_response * self._raise_step:
                step = 0.0  # the last raise changed nothing: the bits already move as fast as they can
            elif step > 0:
                self._raise_rate, self._raise_step = observed, step
            elif step < 0:
                self._raise_step = 0.0
            self.beta = min(max(self.beta * math.exp(step), self.beta_min), self.beta_max)
        self._previous_error = error
        self.history.append({"epoch": int(epoch), "ebops": float(ebops), "beta": float(used),
                             "next_beta": float(self.beta)})
        return self.beta


def beta_control_callback(controller: BetaController, hgq_layers: list, x_trace, cover_factor: float):
    """A Keras callback: trace the EBOPs after each epoch, update ``controller``, assign its beta to every HGQ layer.

    Put it before HGQ's ``ResetMinMax`` in the callback list: the trace leaves the ranges of the traced data, which
    ``ResetMinMax`` then clears for the next epoch as usual."""
    import tensorflow as tf

    from edgenn.compression.hgq_model import trace_ebops

    class BetaControl(tf.keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            set_beta(hgq_layers, controller.beta)

        def on_epoch_end(self, epoch, logs=None):
            ebops = trace_ebops(self.model, x_trace, cover_factor)
            beta = controller.update(epoch, ebops)
            set_beta(hgq_layers, beta)
            if logs is not None:
                logs["ebops"] = ebops
                logs["beta"] = controller.history[-1]["beta"]

    return BetaControl()


def set_beta(hgq_layers: list, beta: float) -> None:
    for layer in hgq_layers:
        layer.beta.assign(beta)
