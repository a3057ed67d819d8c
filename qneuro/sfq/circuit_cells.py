"""Standard SFQ cells at circuit level, built from junctions and inductors (:mod:`.circuit`).

Each builder adds one cell to a :class:`~qneuro.sfq.circuit.Circuit` under a name
prefix and returns its output node(s). Inputs are existing nodes (or inputs) that the
cell connects to through its input inductor. Parameters (:class:`CellParameters`) are a
conventional RSFQ design on the default process (assumption, documented per field):
junctions of 100 uA (1 um^2 at 10 kA/cm^2), bias 0.7 Ic, stage inductance 4 pH
(``beta_L = 2 pi L Ic / Phi0 = 1.2``).

Cells:

* :func:`jtl`: ``stages`` biased junctions in a chain (Josephson transmission line);
* :func:`splitter`: a larger input junction feeding two output junctions;
* :func:`merger`: two inputs, each through a series escape junction, into one output
  junction (a pulse arriving while the output is switching is lost);
* :func:`synapse`: the stochastic synapse, a comparator: the input junction's pulse
  either switches the synapse junction (biased by the weight current ``Ib``: the pulse
  passes) or the series escape junction in front of it (the pulse is blocked); thermal
  noise makes the choice random near the balance bias, so the pass probability rises
  with ``Ib``;
* :func:`soma`: a storing loop ``a --L_loop-- b`` with grounded junctions at ``a``
  (input) and ``b`` (fire). Each input fluxon switches ``a`` and adds a loop current of
  about ``Phi0 / L_loop``; at the threshold count the fire junction switches, releases one
  fluxon to the output, and the loop keeps one fewer (not zero: unlike the pulse-level
  :class:`~qneuro.sfq.soma.Soma`, which resets). It has no inhibitory input;
* :func:`gated_soma`: the XOR's hidden neuron, a threshold-2 soma with an inhibitory
  input. A one-fluxon store ``s``: an excitatory pulse fires the output if ``s`` holds its
  fluxon and then sets ``s``; an inhibitory pulse clears ``s`` (into an empty store it
  escapes). This is the pulse-level ``Soma(threshold=2, reset="decrement")``: fire at the
  second stored fluxon, keep one; an inhibitory pulse removes one, never below zero.
"""

from __future__ import annotations

from dataclasses import dataclass

from brian2 import Quantity

from .circuit import Circuit
from .junction import Junction
from .units import check_quantity, kelvin, ohm, phenry, uamp
from .units import default_quantity as _default

__all__ = [
    "CellParameters",
    "jtl",
    "splitter",
    "merger",
    "synapse",
    "soma",
    "gated_soma",
    "load",
]


@dataclass(frozen=True, eq=False)
class CellParameters:
    """Design values shared by the cells (assumptions of a conventional RSFQ design).

    Args:
        ic: critical current of a logic junction (100 uA).
        bias_fraction: DC bias of a logic junction as a fraction of its Ic (0.7).
        inductance: stage inductance (4 pH).
        temperature: of every junction's shunt noise (4.2 K).
        load: resistance of a matched load terminating an output (5 ohm).
    """

    ic: Quantity = _default(100 * uamp)
    bias_fraction: float = 0.7
    inductance: Quantity = _default(4 * phenry)
    temperature: Quantity = _default(4.2 * kelvin)
    load: Quantity = _default(5 * ohm)

    def __post_init__(self) -> None:
        positive = {"minimum": 0, "strict_minimum": True}
        for name, unit, bounds in (
            ("ic", uamp, positive),
            ("inductance", phenry, positive),
            ("temperature", kelvin, {"minimum": 0}),
            ("load", ohm, positive),
        ):
            value = check_quantity(getattr(self, name), unit, f"CellParameters.{name}", **bounds)
            object.__setattr__(self, name, value)
        if not 0 <= self.bias_fraction < 1:
            raise ValueError(f"bias_fraction={self.bias_fraction!r} must lie in [0, 1)")

    def junction(self, scale: float = 1.0) -> Junction:
        """A junction of ``scale`` times the logic critical current."""
        return Junction(ic=scale * self.ic, temperature=self.temperature)

    def bias(self, scale: float = 1.0) -> Quantity:
        """The DC bias of a junction of ``scale`` times the logic critical current."""
        return self.bias_fraction * scale * self.ic


DEFAULT_CELLS = CellParameters()


def jtl(circuit: Circuit, name: str, source: str, stages: int = 2, cells=DEFAULT_CELLS) -> str:
    """``stages`` biased junctions after ``source``; returns the last node."""
    if isinstance(stages, bool) or not isinstance(stages, int) or stages < 1:
        raise ValueError(f"stages={stages!r} must be an integer >= 1")
    previous = source
    for k in range(stages):
        node = f"{name}.{k}"
        circuit.inductor(previous, node, cells.inductance)
        circuit.junction(node, cells.junction(), bias=cells.bias())
        previous = node
    return previous


def splitter(circuit: Circuit, name: str, source: str, cells=DEFAULT_CELLS) -> tuple[str, str]:
    """A splitter: input junction of 1.4 Ic driving two output junctions."""
    hub = f"{name}.in"
    circuit.inductor(source, hub, cells.inductance / 2)
    circuit.junction(hub, cells.junction(1.4), bias=cells.bias(1.4))
    outputs = []
    for side in ("a", "b"):
        node = f"{name}.{side}"
        circuit.inductor(hub, node, cells.inductance)
        circuit.junction(node, cells.junction(), bias=cells.bias())
        outputs.append(node)
    return outputs[0], outputs[1]


def merger(circuit: Circuit, name: str, first: str, second: str, cells=DEFAULT_CELLS) -> str:
    """A merger: each input junction through a series escape junction into one output.

    At the default bias fraction the input nodes take 0.5 Ic and the output node 1.6 Ic
    (most of it flows on through the escape junctions: about 0.9 Ic reaches the output
    junction at rest); all scale with ``cells.bias_fraction``.
    """
    out = f"{name}.out"
    for side, source in (("a", first), ("b", second)):
        node = f"{name}.{side}"
        circuit.inductor(source, node, cells.inductance)
        circuit.junction(node, cells.junction(), bias=cells.bias(5 / 7))
        circuit.series_junction(node, out, cells.junction())
    circuit.junction(out, cells.junction(), bias=cells.bias(16 / 7))
    return out


def synapse(circuit: Circuit, name: str, source: str, bias: Quantity, cells=DEFAULT_CELLS) -> str:
    """The stochastic synapse: escape junction then the synapse junction at ``bias``."""
    bias = check_quantity(bias, uamp, f"synapse {name!r} bias")
    entry = f"{name}.in"
    circuit.inductor(source, entry, cells.inductance)
    circuit.junction(entry, cells.junction(), bias=cells.bias())
    node = f"{name}.s"
    circuit.series_junction(entry, node, cells.junction(0.8))
    circuit.junction(node, cells.junction(), bias=bias)
    out = f"{name}.out"
    circuit.inductor(node, out, cells.inductance)
    circuit.junction(out, cells.junction(), bias=cells.bias())
    return out


def soma(
    circuit: Circuit,
    name: str,
    source: str,
    *,
    loop_inductance: Quantity = 50 * phenry,
    fire_bias: Quantity = 75 * uamp,
    cells=DEFAULT_CELLS,
) -> str:
    """A storing-loop soma (module docstring); returns its output node.

    The loop ``a --L_loop-- b`` stores the fluxons that switch the input junction ``a``
    (entered through a series escape junction, which switches instead once the loop
    current has unloaded ``a`` too far: the loop saturates). Each stored fluxon adds about
    ``Phi0 / L_loop`` to the fire junction ``b``'s current (41 uA at 50 pH); ``b``
    switches when its bias plus the loop current exceeds its Ic, sends one fluxon to the
    output and leaves one fewer in the loop. The threshold, measured by
    :func:`~qneuro.sfq.circuit_characterize.soma_threshold`, is set by ``fire_bias`` and
    ``loop_inductance``.
    """
    loop = check_quantity(
        loop_inductance, phenry, "loop_inductance", minimum=0, strict_minimum=True
    )
    fire_bias = check_quantity(fire_bias, uamp, "fire_bias")
    entry, a, b = f"{name}.in", f"{name}.a", f"{name}.b"
    circuit.inductor(source, entry, cells.inductance)
    circuit.junction(entry, cells.junction(), bias=cells.bias())
    circuit.series_junction(entry, a, cells.junction())
    circuit.junction(a, cells.junction(), bias=cells.bias(1.07))
    circuit.inductor(a, b, loop)
    circuit.junction(b, cells.junction(), bias=fire_bias)
    out = f"{name}.out"
    circuit.inductor(b, out, cells.inductance)
    circuit.junction(out, cells.junction(), bias=cells.bias())
    return out


def gated_soma(
    circuit: Circuit, name: str, excitatory: str, inhibitory: str, cells=DEFAULT_CELLS
) -> str:
    """The XOR's hidden neuron: a threshold-2 soma with an inhibitory input (18 JJ).

    The excitatory pulse is split three ways: *read*, *set* and *enable*. The store is the
    loop ``a --10 pH-- b`` (``a`` biased 0.7 Ic, ``b`` 0.65 Ic at the default bias
    fraction; all biases scale with ``cells.bias_fraction``). *Read* reaches ``b`` first,
    through a 0.9 Ic series junction: if the loop holds its fluxon, ``b`` switches, which
    empties the loop and sends a pulse down the *readout* line (two JTL stages) to the
    gate node ``g`` (biased 0.4 Ic); otherwise the series junction switches instead and the
    read pulse is lost. *Set* (one splitter later) then switches ``a`` through a series
    junction, which stores one fluxon in the loop. ``g`` switches only when the
    readout pulse and the *enable* pulse (one JTL stage) arrive together, so the output
    fires on an excitatory pulse that finds the store full and on nothing else (a readout
    caused by an inhibitory pulse finds no enable pulse and is lost at ``g``). An
    inhibitory pulse enters ``b`` through a 0.8 Ic series junction from ``inhibitory``
    (the last stage of a line, e.g. a synapse's buffer): it switches ``b`` and empties a
    full store, and is lost in its series junction at an empty one. The two series
    junctions into ``b`` are small enough that ``b``'s switch slips them rather than
    running back into the input lines. An inhibitory pulse that arrives while the store
    is being read and refilled (about 6 to 9 ps after an excitatory one, at T = 0 behind
    the XOR's synapses) is lost, so the next excitatory pulse fires where the counting
    rule says it only refills the store (measured in the XOR: ``docs/sfq.md``). The
    pulse-level soma loses inhibitory pulses only within its refractory time after an
    output; this neuron does so after every excitatory pulse. Returns the output node
    (one biased junction after ``g``).
    """
    read, to_set = splitter(circuit, f"{name}.split1", excitatory, cells)
    set_line, enable_line = splitter(circuit, f"{name}.split2", to_set, cells)
    a, b, gate, out = (f"{name}.{node}" for node in ("a", "b", "g", "out"))
    circuit.series_junction(set_line, a, cells.junction())
    circuit.junction(a, cells.junction(), bias=cells.bias())
    circuit.inductor(a, b, 10 * phenry)
    circuit.junction(b, cells.junction(), bias=cells.bias(0.65 / 0.7))
    circuit.series_junction(read, b, cells.junction(0.9))
    circuit.series_junction(inhibitory, b, cells.junction(0.8))
    readout = jtl(circuit, f"{name}.readout", b, 2, cells)
    circuit.series_junction(readout, gate, cells.junction())
    enable = jtl(circuit, f"{name}.enable", enable_line, 1, cells)
    circuit.series_junction(enable, gate, cells.junction())
    circuit.junction(gate, cells.junction(), bias=cells.bias(0.4 / 0.7))
    circuit.inductor(gate, out, cells.inductance)
    circuit.junction(out, cells.junction(), bias=cells.bias())
    return out


def load(circuit: Circuit, node: str, cells=DEFAULT_CELLS) -> str:
    """Terminate ``node`` with one more stage and a matched resistor (no stored flux)."""
    end = f"{node}.load"
    circuit.inductor(node, end, cells.inductance)
    circuit.junction(end, cells.junction(), bias=cells.bias())
    circuit.resistor(end, cells.load, temperature=cells.temperature)
    return end
