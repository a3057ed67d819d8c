r"""SFQ circuits at circuit level: a netlist of junctions, inductors and sources, in brian2.

A :class:`Circuit` is a netlist on named nodes (the ground is ``"gnd"``):

* a *resistor* (with its Johnson noise) or a *capacitor* from a node to ground;
* a *grounded junction* at a node (an RCSJ :class:`~qneuro.sfq.junction.Junction` from
  the node to ground, with its Johnson noise) and a DC *bias* current into the node;
* an *inductor* between two nodes, and *mutual* inductances between inductors;
* a *series junction* between two nodes (escape and buffer junctions): an overdamped
  RSJ element, current ``Ic sin(phi_a - phi_b) + (Phi0/2piR)(phi_a' - phi_b')``, its
  capacitance and its noise neglected (assumption; its shunt ``R`` is the one the
  process gives a grounded junction of the same ``Ic``);
* an *input*: a phase source that advances by ``2pi`` for every input pulse,
  ``phi_s' = (2pi k(t) - phi_s) / tau_source`` (``k`` counts the pulses so far), coupled
  to the circuit through an inductor: an ideal SFQ pulse generator of area ``Phi0``.

Node equations (``phi_k`` the node phase, ``V_k = (Phi0/2pi) phi_k'``)::

    C_k (Phi0/2pi) phi_k'' = I_b,k - Ic_k sin(phi_k) - (Phi0/(2pi R_k)) phi_k' + I_n,k
                             - (Phi0/2pi) sum_j Gamma_kj phi_j  + sum of series currents

with ``Gamma = A L^-1 A^T`` the nodal inverse-inductance matrix (``A`` the node-branch
incidence matrix, ``L`` the branch inductance matrix with the mutuals off its diagonal)
over the circuit's nodes and its sources. Every node needs a capacitance to ground: a
grounded junction's, or an explicit ``capacitance`` (a node with neither is refused).

A pulse at a node is a forward ``2pi`` slip of its phase: :func:`simulate_circuit`
records the time at which a node's phase passes ``phi_start + 2pi m + pi`` for
``m = 0, 1, ...``, and the net slips ``round((phi_end - phi_start) / 2pi)``. The run
starts from the DC operating point (the phases where every node's currents balance with
all sources at phase 0; Powell's hybrid method from zero phases). Many copies of the
circuit run as one brian2 run, one row per node and copy, with independent noise.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity

from qneuro import checks

from .codegen import code_object_class
from .constants import K_B, PHI0
from .junction import JUNCTION_DT, Junction, shunt_resistance
from .units import (
    amp,
    check_quantity,
    farad,
    ffarad,
    joule,
    kelvin,
    ohm,
    phenry,
    psecond,
    second,
    uamp,
)

__all__ = ["Circuit", "CircuitRun", "simulate_circuit", "GROUND", "SOURCE_TAU", "MAX_DT"]

#: Largest time step :func:`simulate_circuit` accepts (omega_p dt = 0.22 at the default
#: process; the input sources' Euler step needs dt < 2 tau_source).
MAX_DT = 0.1 * psecond
#: Name of the ground node.
GROUND = "gnd"
#: Rise time of an input phase source (a first-order 2pi step): peak voltage
#: ``Phi0 / tau`` = 2.07 mV, a pulse a few ps wide like a JTL's (assumption).
SOURCE_TAU = 1 * psecond


@dataclass(frozen=True)
class _Branch:
    name: str
    a: str
    b: str
    inductance: float  # henry


@dataclass
class Circuit:
    """A netlist (see the module docstring); build it with the methods below.

    Node names are strings; ``"gnd"`` is the ground. Currents are brian2 quantities.
    """

    junctions: dict = field(default_factory=dict)  # node -> Junction
    biases: dict = field(default_factory=dict)  # node -> amp (float)
    capacitances: dict = field(default_factory=dict)  # node -> farad (float)
    conductances: dict = field(default_factory=dict)  # node -> siemens to ground (float)
    noise_powers: dict = field(default_factory=dict)  # node -> sum of 2 k T / R (A^2 s)
    series: list = field(default_factory=list)  # (a, b, Junction)
    inductors: list = field(default_factory=list)  # _Branch
    mutuals: list = field(default_factory=list)  # (branch name, branch name, henry)
    inputs: list = field(default_factory=list)  # source names, in order
    nodes: list = field(default_factory=list)  # circuit nodes, in order of appearance

    # -- building -------------------------------------------------------------------

    def _node(self, name: str) -> str:
        if not isinstance(name, str) or not name:
            raise ValueError(f"node name {name!r} must be a non-empty string")
        if name in self.inputs:
            raise ValueError(f"{name!r} is an input source, not a circuit node")
        if name != GROUND and name not in self.nodes:
            self.nodes.append(name)
        return name

    def _endpoint(self, name: str) -> str:
        return name if name in self.inputs else self._node(name)

    def junction(self, node: str, junction: Junction, bias: Quantity = 0 * uamp) -> Circuit:
        """A grounded junction at ``node`` with a DC bias current into the node."""
        if node == GROUND:
            raise ValueError("a grounded junction needs a node other than 'gnd'")
        if not isinstance(junction, Junction):
            raise ValueError(f"junction={junction!r} must be a Junction")
        self._node(node)
        if node in self.junctions:
            raise ValueError(f"node {node!r} already has a grounded junction")
        self.junctions[node] = junction
        self.bias(node, bias)
        return self

    def bias(self, node: str, current: Quantity) -> Circuit:
        """Add a DC current source from ground into ``node``."""
        current = check_quantity(current, uamp, f"bias of {node!r}")
        self._node(node)
        self.biases[node] = self.biases.get(node, 0.0) + float(current)
        return self

    def capacitor(self, node: str, capacitance: Quantity) -> Circuit:
        """A capacitance from ``node`` to ground (for a node without a grounded junction)."""
        c = check_quantity(capacitance, ffarad, f"capacitance of {node!r}", minimum=0)
        self._node(node)
        self.capacitances[node] = self.capacitances.get(node, 0.0) + float(c)
        return self

    def resistor(
        self, node: str, resistance: Quantity, temperature: Quantity = 4.2 * kelvin
    ) -> Circuit:
        """A resistor from ``node`` to ground (a matched load that absorbs pulses).

        It adds its Johnson noise current, spectral density ``4kT/R`` at ``temperature``.
        """
        r = check_quantity(
            resistance, ohm, f"resistance of {node!r}", minimum=0, strict_minimum=True
        )
        t = check_quantity(
            temperature, kelvin, f"temperature of the resistor at {node!r}", minimum=0
        )
        self._node(node)
        self.conductances[node] = self.conductances.get(node, 0.0) + 1 / float(r)
        power = 2 * float(K_B) * float(t / kelvin) / float(r)
        self.noise_powers[node] = self.noise_powers.get(node, 0.0) + power
        return self

    def inductor(self, a: str, b: str, inductance: Quantity, name: str | None = None) -> Circuit:
        """An inductor between ``a`` and ``b`` (either may be ``"gnd"`` or an input)."""
        value = check_quantity(
            inductance, phenry, f"inductance {a}-{b}", minimum=0, strict_minimum=True
        )
        if a == b:
            raise ValueError(f"an inductor needs two different nodes, got {a!r} twice")
        taken = {branch.name for branch in self.inductors}
        if name is None:
            name = next(f"L{k}" for k in range(len(taken) + 1) if f"L{k}" not in taken)
        if name in taken:
            raise ValueError(f"inductor name {name!r} is taken")
        self.inductors.append(_Branch(name, self._endpoint(a), self._endpoint(b), float(value)))
        return self

    def mutual(self, first: str, second: str, inductance: Quantity) -> Circuit:
        """A mutual inductance between the inductors named ``first`` and ``second``."""
        names = {branch.name for branch in self.inductors}
        for name in (first, second):
            if name not in names:
                raise ValueError(f"no inductor named {name!r}; have {sorted(names)}")
        if first == second:
            raise ValueError(f"a mutual needs two different inductors, got {first!r} twice")
        if any({first, second} == {one, other} for one, other, _ in self.mutuals):
            raise ValueError(f"inductors {first!r} and {second!r} already have a mutual")
        value = check_quantity(inductance, phenry, f"mutual {first}-{second}")
        self.mutuals.append((first, second, float(value)))
        return self

    def series_junction(self, a: str, b: str, junction: Junction) -> Circuit:
        """An overdamped junction between nodes ``a`` and ``b`` (current ``a -> b``)."""
        if not isinstance(junction, Junction):
            raise ValueError(f"junction={junction!r} must be a Junction")
        if GROUND in (a, b) or a == b:
            raise ValueError(f"a series junction needs two circuit nodes, got {a!r}, {b!r}")
        self.series.append((self._node(a), self._node(b), junction))
        return self

    def input(self, name: str) -> Circuit:
        """An input phase source named ``name`` (connect it with :meth:`inductor`)."""
        if name in self.nodes or name == GROUND or name in self.inputs:
            raise ValueError(f"input name {name!r} is taken")
        self.inputs.append(name)
        return self

    # -- derived --------------------------------------------------------------------

    @property
    def jj_count(self) -> int:
        """Junctions: grounded plus series."""
        return len(self.junctions) + len(self.series)

    def inverse_inductance(self) -> np.ndarray:
        """``Gamma = A L^-1 A^T`` (1/henry) over ``nodes + inputs`` (ground eliminated).

        Shape ``(n_nodes + n_inputs, n_nodes + n_inputs)``.
        """
        index = {name: i for i, name in enumerate(self.nodes + self.inputs)}
        incidence = np.zeros((len(index), len(self.inductors)))
        for col, branch in enumerate(self.inductors):
            if branch.a != GROUND:
                incidence[index[branch.a], col] += 1.0
            if branch.b != GROUND:
                incidence[index[branch.b], col] -= 1.0
        matrix = np.diag([branch.inductance for branch in self.inductors])
        position = {branch.name: i for i, branch in enumerate(self.inductors)}
        for one, other, value in self.mutuals:
            matrix[position[one], position[other]] += value
            matrix[position[other], position[one]] += value
        if self.inductors and np.any(np.linalg.eigvalsh(matrix) <= 0):
            raise ValueError("the inductance matrix is not positive definite (mutuals too large)")
        inverse = np.linalg.inv(matrix) if self.inductors else matrix
        return incidence @ inverse @ incidence.T

    def check(self) -> None:
        """Refuse a netlist the simulation cannot integrate (named reasons)."""
        if not self.nodes:
            raise ValueError("the circuit has no nodes")
        bare = [n for n in self.nodes if n not in self.junctions and not self.capacitances.get(n)]
        if bare:
            raise ValueError(
                f"nodes {bare} have no capacitance to ground: give them a grounded junction "
                "or a capacitor"
            )
        connected = {b.a for b in self.inductors} | {b.b for b in self.inductors}
        loose = [name for name in self.inputs if name not in connected]
        if loose:
            raise ValueError(f"inputs {loose} are not connected by an inductor")

    def operating_point(self) -> np.ndarray:
        """Node phases (rad) of the DC state with every input at phase 0.

        Solves ``I_b - Ic sin(phi) - (Phi0/2pi) Gamma phi + series currents = 0`` by
        Powell's hybrid method (scipy's ``root``) from zero phases; raises ValueError where
        it does not converge (a bias that switches a junction by itself, for instance), or
        where a node has no DC path to ground.
        """
        from scipy.optimize import root

        self.check()
        n = len(self.nodes)
        gamma = self.inverse_inductance()[:n, :n] * float(PHI0) / (2 * np.pi)
        ic = np.array(
            [float(self.junctions[k].ic) if k in self.junctions else 0.0 for k in self.nodes]
        )
        bias = np.array([self.biases.get(k, 0.0) for k in self.nodes])
        index = {name: i for i, name in enumerate(self.nodes)}
        pairs = [(index[a], index[b], float(j.ic)) for a, b, j in self.series]

        def residual(phi):
            out = bias - ic * np.sin(phi) - gamma @ phi
            for a, b, ics in pairs:
                current = ics * np.sin(phi[a] - phi[b])
                out[a] -= current
                out[b] += current
            return out / 1e-6

        def jacobian(phi):
            jac = -gamma - np.diag(ic * np.cos(phi))
            for a, b, ics in pairs:
                g = ics * np.cos(phi[a] - phi[b])
                jac[a, a] -= g
                jac[a, b] += g
                jac[b, b] -= g
                jac[b, a] += g
            return jac / 1e-6

        solution = root(residual, np.zeros(n), jac=jacobian, method="hybr")
        if not solution.success or np.max(np.abs(residual(solution.x))) > 1e-6:
            raise ValueError(f"no DC operating point found: {solution.message}")
        stiffness = np.linalg.eigvalsh(-jacobian(solution.x))  # symmetric
        if np.min(np.abs(stiffness)) < 1e-9 * np.max(np.abs(stiffness)):
            raise ValueError(
                "the circuit has a node or island without a DC path to ground through "
                "inductors or junctions (its phase is not fixed)"
            )
        if np.min(stiffness) <= 0:
            raise ValueError("the DC operating point is unstable (a junction biased past Ic?)")
        return solution.x


@dataclass(frozen=True, eq=False)
class CircuitRun:
    """Result of :func:`simulate_circuit`.

    Attributes:
        nodes: the circuit's node names (row order within a copy).
        copies: number of copies.
        pulse_copy, pulse_node, pulse_time: every forward 2pi slip (copy, node index,
            second), in time order.
        slips: net slips per copy and node, shape ``(copies, n_nodes)``.
        energy: energy dissipated at each node, ``int V^2 / R dt`` (joule), shape
            ``(copies, n_nodes)``: its junction's shunt and its load resistors, plus the
            shunts of the series junctions whose first node it is.
        traces: ``{node: array (copies, steps)}`` of phases, for the recorded nodes.
        trace_times: times of the trace samples (second).
        wall_time: seconds the run took.
    """

    nodes: list
    copies: int
    pulse_copy: np.ndarray
    pulse_node: np.ndarray
    pulse_time: np.ndarray
    slips: np.ndarray
    energy: np.ndarray
    traces: dict
    trace_times: np.ndarray
    wall_time: float

    def pulse_times(self, node: str, copy: int = 0) -> np.ndarray:
        """Times (second) of the forward slips of ``node`` in ``copy``."""
        k = self._index(node)
        return self.pulse_time[(self.pulse_node == k) & (self.pulse_copy == copy)]

    def counts(self, node: str) -> np.ndarray:
        """Net slips of ``node`` per copy, shape ``(copies,)``."""
        return self.slips[:, self._index(node)]

    def energy_of(self, nodes) -> np.ndarray:
        """Energy (joule) dissipated at ``nodes`` (names) per copy, shape ``(copies,)``."""
        return self.energy[:, [self._index(node) for node in nodes]].sum(axis=1)

    def _index(self, node: str) -> int:
        if node not in self.nodes:
            raise ValueError(f"no node {node!r}; nodes: {self.nodes}")
        return self.nodes.index(node)


NODE_EQUATIONS = """
dphi/dt = v : 1
dv/dt = (i_bias + i_ind + i_src + i_ser - ic*sin(phi) - phi0*v/(2*pi*r_shunt)
         + noise*xi)*2*pi/(phi0*c) : hertz
denergy/dt = (phi0*v/(2*pi))**2/r_shunt : joule
i_ind : amp
i_src : amp
i_ser : amp
i_bias : amp (constant)
ic : amp (constant)
r_shunt : ohm (constant)
c : farad (constant)
noise : amp*second**0.5 (constant)
mark : 1
"""

SOURCE_EQUATIONS = """
dphi/dt = (2*pi*count - phi)/tau_source : 1
count : 1
"""


def _inputs(circuit: Circuit, input_times, copies: int):
    """``(rows, times)`` of the input pulses over the source group (one row per copy)."""
    if not isinstance(input_times, dict):
        raise ValueError("input_times must be a dict {input name: times}")
    unknown = sorted(set(input_times) - set(circuit.inputs))
    if unknown:
        raise ValueError(f"unknown inputs {unknown}; the circuit has {circuit.inputs}")
    rows, times = [], []
    for s, name in enumerate(circuit.inputs):
        value = input_times.get(name)
        if value is None:
            continue
        per_copy = value if isinstance(value, list | tuple) else [value] * copies
        if isinstance(value, list | tuple) and any(np.ndim(t) == 0 for t in value):
            raise ValueError(
                f"input {name!r}: a list holds one array of times per copy, got a single "
                "time in it; give one quantity array (the same pulses in every copy, e.g. "
                "[20, 60] * psecond) or a list of arrays (one per copy)"
            )
        if len(per_copy) != copies:
            raise ValueError(f"input {name!r}: {len(per_copy)} time lists for {copies} copies")
        for copy, copy_times in enumerate(per_copy):
            t = np.atleast_1d(
                np.asarray(check_quantity(copy_times, psecond, name, allow_array=True))
            )
            rows.append(np.full(t.size, copy * len(circuit.inputs) + s))
            times.append(t.astype(float))
    if not rows:
        return np.zeros(0, int), np.zeros(0)
    return np.concatenate(rows), np.concatenate(times)


def simulate_circuit(
    circuit: Circuit,
    input_times: dict | None = None,
    *,
    duration: Quantity,
    copies: int = 1,
    dt: Quantity = JUNCTION_DT,
    seed: int = 0,
    record: tuple = (),
    target: str = "numpy",
) -> CircuitRun:
    """Simulate ``copies`` independent copies of ``circuit`` for ``duration``.

    Args:
        circuit: the netlist.
        input_times: ``{input: times}``; times are a quantity array (the same pulses in
            every copy) or a list of ``copies`` quantity arrays (one per copy).
        duration: simulated time.
        copies: independent copies (rows of one brian2 run; noise independent).
        dt: time step (default :data:`~qneuro.sfq.junction.JUNCTION_DT`; at most
            :data:`MAX_DT`, a small fraction of the junctions' ~2.8 ps plasma period).
        seed: seeds brian2's noise.
        record: node names whose phase traces are kept (every step).
        target: brian2 code generation target, ``"numpy"`` or ``"cython"``.
    """
    import brian2 as b2

    seed = checks.seed("seed", seed, limit=2**32)
    if isinstance(copies, bool) or not isinstance(copies, int) or copies < 1:
        raise ValueError(f"copies={copies!r} must be an integer >= 1")
    duration = check_quantity(duration, psecond, "duration", minimum=0, strict_minimum=True)
    dt = check_quantity(dt, psecond, "dt", minimum=0, strict_minimum=True)
    if dt > MAX_DT:
        raise ValueError(f"dt={dt} is too coarse for the junction dynamics; allowed: <= {MAX_DT}")
    missing = [name for name in record if name not in circuit.nodes]
    if missing:
        raise ValueError(f"record: no nodes {missing}; nodes: {circuit.nodes}")
    codeobj = code_object_class(target)
    start = time.perf_counter()
    rows, times = _inputs(circuit, input_times or {}, copies)
    if rows.size and not circuit.inputs:
        raise ValueError("the circuit has no inputs")
    phi_start = circuit.operating_point()
    n, n_in = len(circuit.nodes), len(circuit.inputs)
    gamma = circuit.inverse_inductance()
    scale = float(PHI0) / (2 * np.pi)

    ic, r, c, noise = (np.zeros(n) for _ in range(4))
    for k, name in enumerate(circuit.nodes):
        c[k] = circuit.capacitances.get(name, 0.0)
        conductance = circuit.conductances.get(name, 0.0)
        junction = circuit.junctions.get(name)
        if junction is not None:
            ic[k] = float(junction.ic)
            c[k] += float(junction.capacitance / farad)
            conductance += 1 / float(junction.resistance / ohm)
            noise[k] = float(2 * junction.thermal_energy / junction.resistance)
        noise[k] = np.sqrt(noise[k] + circuit.noise_powers.get(name, 0.0))  # independent sources
        r[k] = 1 / conductance if conductance > 0 else np.inf
    bias = np.array([circuit.biases.get(name, 0.0) for name in circuit.nodes])

    common = {"dt": dt, "codeobj_class": codeobj}
    nodes = b2.NeuronGroup(
        copies * n,
        NODE_EQUATIONS,
        threshold="phi > mark",
        reset="mark += 2*pi",
        method="euler",
        namespace={"phi0": PHI0},
        name="circuit_nodes*",
        **common,
    )
    tile = lambda values: np.tile(values, copies)  # noqa: E731
    nodes.ic = tile(ic) * amp
    nodes.r_shunt = tile(np.where(np.isinf(r), 1e30, r)) * ohm
    nodes.c = tile(c) * farad
    nodes.noise = tile(noise) * (amp * second**0.5)
    nodes.i_bias = tile(bias) * amp
    nodes.phi = tile(phi_start)
    nodes.mark = tile(phi_start + np.pi)
    objects = [nodes]

    def linear(pre_group, pre_offset, columns, variable):
        """Synapses adding ``w * phi_pre`` into ``variable`` for the Gamma entries given."""
        block = -scale * gamma[:n][:, columns]
        post, pre = np.nonzero(block)
        if post.size == 0:
            return
        syn = b2.Synapses(
            pre_group,
            nodes,
            model=f"w : amp (constant)\n{variable}_post = w*phi_pre : amp (summed)",
            name="circuit_links*",
            **common,
        )
        offsets = np.arange(copies)[:, None]
        syn.connect(
            i=(offsets * pre_offset + pre[None, :]).ravel(),
            j=(offsets * n + post[None, :]).ravel(),
        )
        syn.w = np.tile(block[post, pre], copies) * amp
        objects.append(syn)

    linear(nodes, n, list(range(n)), "i_ind")
    if n_in:
        sources = b2.NeuronGroup(
            copies * n_in,
            SOURCE_EQUATIONS,
            method="euler",
            namespace={"tau_source": SOURCE_TAU},
            name="circuit_sources*",
            **common,
        )
        objects.append(sources)
        linear(sources, n_in, list(range(n, n + n_in)), "i_src")
        if rows.size:
            generator = b2.SpikeGeneratorGroup(
                copies * n_in, rows, times * second, name="circuit_pulses*", **common
            )
            kick = b2.Synapses(generator, sources, on_pre="count += 1", **common)
            kick.connect(j="i")
            objects += [generator, kick]
    series = None
    if circuit.series:
        index = {name: i for i, name in enumerate(circuit.nodes)}
        a = np.array([index[s[0]] for s in circuit.series])
        b = np.array([index[s[1]] for s in circuit.series])
        ics = np.array([float(s[2].ic) for s in circuit.series])
        rs = np.array(
            [
                float(shunt_resistance(s[2].ic, s[2].capacitance, s[2].beta_c) / ohm)
                for s in circuit.series
            ]
        )
        syn = b2.Synapses(
            nodes,
            nodes,
            model=(
                "ic_s : amp (constant)\nr_s : ohm (constant)\n"
                "i_ser_post = ic_s*sin(phi_pre - phi_post)"
                " + phi0*(v_pre - v_post)/(2*pi*r_s) : amp (summed)\n"
                # each junction has two synapses (a -> b, b -> a): each counts half
                "de_ser/dt = (phi0*(v_pre - v_post)/(2*pi))**2/(2*r_s) : joule (clock-driven)"
            ),
            method="euler",
            namespace={"phi0": PHI0},
            name="circuit_series*",
            **common,
        )
        offsets = (np.arange(copies)[:, None] * n).ravel()[:, None]
        pre = np.concatenate([a, b])[None, :] + offsets
        post = np.concatenate([b, a])[None, :] + offsets
        syn.connect(i=pre.ravel(), j=post.ravel())
        syn.ic_s = np.tile(np.concatenate([ics, ics]), copies) * amp
        syn.r_s = np.tile(np.concatenate([rs, rs]), copies) * ohm
        objects.append(syn)
        series = (syn, a)
    spikes = b2.SpikeMonitor(nodes, codeobj_class=codeobj)
    objects.append(spikes)
    rows_recorded = [circuit.nodes.index(name) for name in record]
    traces = None
    if rows_recorded:
        indices = (np.arange(copies)[:, None] * n + np.array(rows_recorded)[None, :]).ravel()
        traces = b2.StateMonitor(nodes, "phi", record=indices, codeobj_class=codeobj)
        objects.append(traces)
    net = b2.Network(*objects)
    b2.seed(seed)
    net.run(duration, namespace={})
    phases = np.asarray(nodes.phi[:]).reshape(copies, n)
    if not np.all(np.isfinite(phases)):
        raise ValueError(f"the run diverged (non-finite phases) at dt={dt}; use a smaller dt")
    energy = np.asarray(nodes.energy[:] / joule).reshape(copies, n)
    if series is not None:  # a series junction's dissipation counts at its first node
        syn, first = series
        halves = np.asarray(syn.e_ser[:] / joule).reshape(copies, 2, first.size).sum(axis=1)
        np.add.at(energy, (slice(None), first), halves)
    slips = np.rint((phases - phi_start[None, :]) / (2 * np.pi)).astype(int)
    index = np.asarray(spikes.i[:])
    order = np.argsort(np.asarray(spikes.t[:]), kind="stable")
    recorded = {}
    if traces is not None:
        values = np.asarray(traces.phi[:]).reshape(copies, len(rows_recorded), -1)
        recorded = {name: values[:, i] for i, name in enumerate(record)}
    return CircuitRun(
        nodes=list(circuit.nodes),
        copies=copies,
        pulse_copy=(index // n)[order],
        pulse_node=(index % n)[order],
        pulse_time=np.asarray(spikes.t[:])[order],
        slips=slips,
        energy=energy,
        traces=recorded,
        trace_times=np.asarray(traces.t[:]) if traces is not None else np.zeros(0),
        wall_time=time.perf_counter() - start,
    )
