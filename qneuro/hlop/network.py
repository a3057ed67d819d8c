"""A two-layer spiking network in Brian2: inputs -> hidden LIF layer -> leaky readout.

Model (per sample; a batch of ``B`` samples is ``B`` copies of every layer in one
Brian2 network, so one ``run()`` simulates many presentations):

* Inputs: ``"current"`` coding drives the hidden layer with the constant current
  ``I = W_in^T p`` every step (pixel intensities ``p`` in [0, 1]); ``"poisson"`` coding
  draws Bernoulli input spikes ``s_in(t)`` (probability ``p * poisson_max_prob`` per step)
  and drives with ``W_in^T s_in(t)``.
* Hidden LIF neurons (Brian2 ``NeuronGroup`` of ``B * n_hidden``):
  ``dv/dt = -v / tau_m``, input added each step, spike when ``v > theta``, reset
  ``v -= theta``. Each keeps a presynaptic trace ``dx/dt = -x / tau_x``, ``x += 1`` per
  spike (an exponentially weighted spike count).
* Readout (``NeuronGroup`` of ``B * n_out``, non-spiking): ``du/dt = -u / tau_x`` and
  ``u += W_out^T s_hidden(t)`` each step, so at the window end ``u = W_out^T x``.

Discrete steps (``d_m = exp(-dt / tau_m)``, ``d_x = exp(-dt / tau_x)``):
``v_t = d_m v_{t-1} + I_t``, ``x_t = d_x x_{t-1} + s_t``, ``u_t = d_x u_{t-1} + W^T s_t``.
Every presentation window (``window_steps`` steps) starts from ``v = x = u = 0``.
Rates reported are traces normalised by ``Z = sum_k d_x**k`` (k < T) so they lie in
[0, 1]: ``rate_hidden = x_T / Z`` and ``logits = u_T / Z = W_out^T rate_hidden``.

The feed-forward synapses are shared by all batch copies, so their summed input is one
dense matrix product per step in a ``network_operation`` instead of ``B`` copies of every
weight in a ``Synapses`` object (same arithmetic, far less memory and time).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .config import HLOPConfig


@dataclass
class Activity:
    """What one presentation of a batch leaves behind (all rates in [0, 1]).

    Attributes:
        input_rate: presynaptic traces of the input layer, ``(B, n_in)`` (for current
            coding the intensities themselves).
        hidden_drive: mean input current per step to each hidden neuron, ``(B, n_hidden)``
            (the argument of the rate surrogate).
        hidden_rate: normalised hidden traces at the window end, ``(B, n_hidden)``.
        logits: readout potentials at the window end divided by ``Z``, ``(B, n_out)``.
        hidden_spikes: total hidden spike count in the window, ``(B, n_hidden)``.
    """

    input_rate: np.ndarray
    hidden_drive: np.ndarray
    hidden_rate: np.ndarray
    logits: np.ndarray
    hidden_spikes: np.ndarray

    def take(self, n: int) -> Activity:
        """The first ``n`` samples."""
        return Activity(
            *(
                a[:n]
                for a in (
                    self.input_rate,
                    self.hidden_drive,
                    self.hidden_rate,
                    self.logits,
                    self.hidden_spikes,
                )
            )
        )

    @staticmethod
    def concatenate(parts: list[Activity]) -> Activity:
        """Stack activities along the batch axis."""
        names = ("input_rate", "hidden_drive", "hidden_rate", "logits", "hidden_spikes")
        return Activity(*(np.concatenate([getattr(p, n) for p in parts]) for n in names))


def code_object_class(target: str):
    """The Brian2 code-object class for ``target`` (set per object, not globally)."""
    if target == "numpy":
        from brian2.codegen.runtime.numpy_rt import NumpyCodeObject

        return NumpyCodeObject
    if target == "cython":
        from brian2.codegen.runtime.cython_rt import CythonCodeObject

        return CythonCodeObject
    raise ValueError(f"codegen must be 'numpy' or 'cython', got {target!r}")


class SpikingMLP:
    """Inputs -> hidden LIF layer -> leaky readout, simulated in Brian2 with batch copies.

    Args:
        n_inputs: input dimension.
        n_outputs: readout neurons (classes).
        config: sizes, time constants and coding (see ``HLOPConfig``).
        rng: generator for the initial weights and Poisson spikes.

    Attributes:
        w_in: input weights ``(n_inputs, n_hidden)``; ``w_out``: ``(n_hidden, n_outputs)``.
    """

    def __init__(
        self, n_inputs: int, n_outputs: int, config: HLOPConfig, rng: np.random.Generator
    ) -> None:
        self.config = config
        self.n_inputs, self.n_hidden, self.n_outputs = n_inputs, config.n_hidden, n_outputs
        self.rng = rng
        self.w_in = rng.normal(
            0.0, config.init_scale / np.sqrt(n_inputs), (n_inputs, config.n_hidden)
        )
        self.w_out = rng.normal(0.0, 1.0 / np.sqrt(config.n_hidden), (config.n_hidden, n_outputs))
        self._nets: dict[int, _BatchNetwork] = {}
        decay = np.exp(-config.dt_ms / config.tau_trace_ms)
        self.trace_norm = float(np.sum(decay ** np.arange(config.window_steps)))

    def present(
        self,
        x: np.ndarray,
        batch_size: int | None = None,
        on_window: Callable[[np.ndarray, Activity], None] | None = None,
    ) -> Activity:
        """Simulate every row of ``x`` (``(n, n_inputs)`` in [0, 1]) for one window each.

        Batches of ``batch_size`` copies run back to back inside one Brian2 ``run()``;
        after each window ``on_window(indices, activity)`` may change ``w_in``/``w_out``
        (learning), and the next window uses the new weights.

        Returns:
            The activity of all ``n`` samples, in order.
        """
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            raise ValueError(f"x must have shape (n, {self.n_inputs}), got {x.shape}")
        n = len(x)
        batch = min(batch_size or self.config.batch_size, n)
        net = self._nets.get(batch)
        if net is None:
            net = self._nets[batch] = _BatchNetwork(self, batch)
        return net.present(x, on_window)


class _BatchNetwork:
    """The Brian2 objects for one batch size (built once, reused across calls)."""

    def __init__(self, model: SpikingMLP, batch: int) -> None:
        import brian2 as b2

        cfg = model.config
        self.model, self.batch = model, batch
        self.steps = cfg.window_steps
        codeobj = code_object_class(cfg.codegen)
        dt = cfg.dt_ms * b2.ms
        namespace = {
            "tau_m": cfg.tau_membrane_ms * b2.ms,
            "tau_x": cfg.tau_trace_ms * b2.ms,
            "theta": cfg.threshold,
        }
        self.hidden = b2.NeuronGroup(
            batch * model.n_hidden,
            """dv/dt = -v / tau_m : 1
               dx/dt = -x / tau_x : 1
               spiked : 1""",
            threshold="v > theta",
            reset="v -= theta\nx += 1\nspiked = 1",
            method="exact",
            dt=dt,
            namespace=namespace,
            codeobj_class=codeobj,
        )
        self.readout = b2.NeuronGroup(
            batch * model.n_outputs,
            "du/dt = -u / tau_x : 1",
            method="exact",
            dt=dt,
            namespace=namespace,
            codeobj_class=codeobj,
        )
        self.drive_op = b2.NetworkOperation(self._drive, dt=dt, when="after_groups")
        self.spike_op = b2.NetworkOperation(self._propagate, dt=dt, when="after_resets")
        self.net = b2.Network(self.hidden, self.readout, self.drive_op, self.spike_op)
        self.dt = dt
        hv, rv = self.hidden.variables, self.readout.variables
        # The runtime devices keep each state variable in one numpy array; views of
        # them avoid Brian2's per-access indexing overhead in the per-step operations.
        self.v = hv["v"].get_value()
        self.x = hv["x"].get_value()
        self.spiked = hv["spiked"].get_value()
        self.u = rv["u"].get_value()

    def present(self, x: np.ndarray, on_window) -> Activity:
        cfg, batch = self.model.config, self.batch
        n = len(x)
        n_windows = -(-n // batch)
        padded = np.zeros((n_windows * batch, x.shape[1]))
        padded[:n] = x
        self._x, self._windows, self._step, self._on_window = padded, n_windows, 0, on_window
        self._parts: list[Activity] = []
        self._decay_x = np.exp(-cfg.dt_ms / cfg.tau_trace_ms)
        self.net.run(n_windows * self.steps * self.dt, namespace={})
        if self._step != n_windows * self.steps:  # pragma: no cover - Brian2 step count
            raise RuntimeError(f"simulated {self._step} steps, expected {n_windows * self.steps}")
        return Activity.concatenate(self._parts).take(n)

    def _window_inputs(self) -> np.ndarray:
        k = self._step // self.steps
        return self._x[k * self.batch : (k + 1) * self.batch]

    def _drive(self) -> None:
        model, cfg = self.model, self.model.config
        t = self._step % self.steps
        if t == 0:  # a new window: fresh state, next batch, current weights
            self.v[:] = 0.0
            self.x[:] = 0.0
            self.u[:] = 0.0
            self._pixels = self._window_inputs()
            self._in_trace = np.zeros_like(self._pixels)
            self._drive_sum = np.zeros((self.batch, model.n_hidden))
            self._spike_count = np.zeros((self.batch, model.n_hidden))
            if cfg.input_coding == "current":
                self._current = self._pixels @ model.w_in
        if cfg.input_coding == "current":
            current = self._current
        else:
            spikes = model.rng.random(self._pixels.shape) < self._pixels * cfg.poisson_max_prob
            self._in_trace = self._in_trace * self._decay_x + spikes
            current = spikes @ model.w_in
        self._drive_sum += current
        self.v += current.ravel()

    def _propagate(self) -> None:
        model = self.model
        spikes = self.spiked.reshape(self.batch, model.n_hidden)
        if spikes.any():
            self.u += (spikes @ model.w_out).ravel()
            self._spike_count += spikes
        self.spiked[:] = 0.0
        self._step += 1
        if self._step % self.steps == 0:
            norm = model.trace_norm
            if model.config.input_coding == "current":
                input_rate = self._pixels.copy()
            else:
                input_rate = self._in_trace / norm
            activity = Activity(
                input_rate=input_rate,
                hidden_drive=self._drive_sum / self.steps,
                hidden_rate=self.x.reshape(self.batch, model.n_hidden) / norm,  # a copy
                logits=self.u.reshape(self.batch, model.n_outputs) / norm,
                hidden_spikes=self._spike_count.copy(),
            )
            self._parts.append(activity)
            if self._on_window is not None:
                k = self._step // self.steps - 1
                self._on_window(np.arange(k * self.batch, (k + 1) * self.batch), activity)
