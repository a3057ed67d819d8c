"""qneuro's simulator against the simulators a user would pick instead, side by side.

What it measures, per number of qubits n (default 2, 4, 6, 8, 10), in two settings:

* the circuit (as in ``benchmarks/ptm_vs_aer.py``): ``hardware_efficient_ansatz(n, 3)``,
  4 layers of RY and RZ on every qubit with a CX chain (0-1, 1-2, ...) between layers,
  every angle its own ``Parameter``; the observable: a random Hermitian ``SparsePauliOp``
  of 32 drawn Pauli strings (real coefficients, fixed seed);
* noisy: depolarizing(1e-3) then amplitude damping(2e-3) after every RY and RZ, two-qubit
  depolarizing(1e-2) after every CX, defined once as a qiskit-aer ``NoiseModel``
  (converted for qneuro with ``NoiseProfile.from_noise_model``). qneuro's ``PTMSimulator``
  (Pauli-vector engine) against the density-matrix simulators of qulacs
  (``DensityMatrix``), PennyLane (``default.mixed``), cirq (``DensityMatrixSimulator``) and
  qiskit-aer (``AerSimulator(method="density_matrix")`` run + ``save_expectation_value``,
  one set per call and B sets per call), each peer's channels converted to Aer's
  conventions (see "Conventions" below);
* noiseless: qneuro's ``PTMSimulator()`` (statevector engine) against qulacs
  ``QuantumState`` + ``ParametricQuantumCircuit``, qiskit-aer
  ``AerSimulator(method="statevector")`` (one set and B sets per call), PennyLane
  ``default.qubit`` and ``lightning.qubit``, and cirq ``Simulator``;
* per parameter set, the median wall-clock time (``time.perf_counter``) in milliseconds of
  qneuro single (one set per call, compiled once), qneuro batched (B sets per call, time per
  set) and each peer (a peer without batching is timed per call); every process runs on one
  thread (the script re-executes itself with ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``
  and ``MKL_NUM_THREADS`` set to 1 and gives Aer ``max_parallel_threads=1``);
* the ratios fastest peer / qneuro single and fastest peer / qneuro batched ("fastest peer"
  is the peer method with the least time per set, batched or not), and in the noiseless
  table qneuro single / qulacs and qneuro batched per set / qulacs single, with PASS/FAIL
  against the targets: noisy, qneuro ahead of the fastest density-matrix peer at every n,
  single and batched (ratio > 1); noiseless, qneuro single <= 2x qulacs at 4 <= n <= 10 and
  qneuro batched per set < qulacs single at every n.

Before anything is timed, every method evaluates the same parameter sets (3 sets one by one,
or all B in one batched call) and must agree with qneuro to 1e-8 absolute; values produced
while timing are checked the same way. The run
aborts with exit code 1 when any value disagrees. A peer whose one call would take more than
``--max-call-s`` seconds (5 by default; estimated from its time at the previous size) is
skipped at that size and the table says so. A peer that is not installed is skipped with a
message naming the ``bench`` extra (``pip install -e ".[bench]"``).

Conventions (checked by the agreement test): Aer's ``depolarizing_error(p)`` puts p/4 on each
of the 4**k Pauli strings, so it is qulacs ``DepolarizingNoise(3p/4)`` and
``TwoQubitDepolarizingNoise(15p/16)``, PennyLane ``DepolarizingChannel(3p/4)`` (two qubits:
a ``QubitChannel`` of the 16 weighted Pauli Kraus operators) and cirq ``depolarize(3p/4)``,
``depolarize(15p/16, n_qubits=2)``; amplitude damping(gamma) is the same in all four.
qulacs rotations are exp(+i theta P / 2), so qulacs gets -theta. Every peer names Pauli
factors by qubit (wire) index, so the qiskit label is read right to left (qubit 0 is the
last character).

Run it from the repository root (install the peers first: ``pip install -e ".[bench]"``)::

    .venv/bin/python benchmarks/ptm_vs_peers.py [--json] [--qubits 2,4,6,8,10] [--quick]

``--json`` prints one JSON object with all numbers as the last line; ``--quick`` is a smoke
run (few repeats, batch 8, one parameter set checked per single-call method, peers skipped
above 1 s per call); ``--settings noisy`` or ``noiseless`` runs one table only; ``--batch``
and ``--max-call-s`` override the defaults. The full run takes 1-3 minutes on a 2-core
machine.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp, random_pauli_list
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel, amplitude_damping_error, depolarizing_error

from qneuro.noise import NoiseProfile
from qneuro.ptm import PTMSimulator
from qneuro.vqe import hardware_efficient_ansatz

DEFAULT_QUBITS = (2, 4, 6, 8, 10)
LAYERS = 3  # entangling layers; rotation layers = LAYERS + 1
NUM_TERMS = 32
TOLERANCE = 1e-8
#: Parameter sets every single-call method evaluates before timing (1 when quick).
CHECK_SETS = 3
#: A first call slower than this is not a mere warm-up: the check calls count as timed.
WARMUP_DISCARD_S = 0.5

P_DEPOL_1Q = 1e-3
GAMMA_AMP = 2e-3
P_DEPOL_2Q = 1e-2

BENCH_HINT = 'install the peers with: pip install -e ".[bench]"'
SETTINGS = ("noisy", "noiseless")

#: method name -> (column title, batched, peer family); qneuro first, then the peers.
METHODS = {
    "noisy": {
        "qneuro_single": ("qneuro 1", False, None),
        "qneuro_batch": ("qneuro B/set", True, None),
        "qulacs_dm": ("qulacs DM", False, "qulacs"),
        "pennylane_mixed": ("PL default.mixed", False, "pennylane"),
        "cirq_dm": ("cirq DM", False, "cirq"),
        "aer_dm_single": ("Aer DM 1", False, "aer"),
        "aer_dm_batch": ("Aer DM B/set", True, "aer"),
    },
    "noiseless": {
        "qneuro_single": ("qneuro 1", False, None),
        "qneuro_batch": ("qneuro B/set", True, None),
        "qulacs_sv": ("qulacs SV", False, "qulacs"),
        "aer_sv_single": ("Aer SV 1", False, "aer"),
        "aer_sv_batch": ("Aer SV B/set", True, "aer"),
        "pennylane_qubit": ("PL default.qubit", False, "pennylane"),
        "pennylane_lightning": ("PL lightning", False, "pennylane"),
        "cirq_sv": ("cirq SV", False, "cirq"),
    },
}

#: How one call's time grows per added qubit (estimates for skipping slow peers).
GROWTH = {"noisy": 4.0, "noiseless": 2.0}


# -- the problem ---------------------------------------------------------------------------


def build_noise_model() -> NoiseModel:
    """The shared noise definition (qiskit-aer ``NoiseModel``), as in ptm_vs_aer.py."""
    one_qubit = depolarizing_error(P_DEPOL_1Q, 1).compose(amplitude_damping_error(GAMMA_AMP))
    noise_model = NoiseModel()
    noise_model.add_all_qubit_quantum_error(one_qubit, ["ry", "rz"])
    noise_model.add_all_qubit_quantum_error(depolarizing_error(P_DEPOL_2Q, 2), ["cx"])
    return noise_model


def random_observable(num_qubits: int, seed: int) -> SparsePauliOp:
    """A random Hermitian Pauli sum with real coefficients (duplicates merged)."""
    rng = np.random.default_rng(seed)
    paulis = random_pauli_list(num_qubits, NUM_TERMS, seed=seed, phase=False)
    return SparsePauliOp(paulis, rng.normal(size=NUM_TERMS)).simplify()


@dataclass
class Problem:
    """One size: the circuit, its gate list, the observable and the parameter sets.

    Attributes:
        circuit: the qiskit circuit (parameters bound in ``circuit.parameters`` order).
        ops: ``(gate, qubits, parameter column or None)`` in circuit order.
        observable: the Pauli sum (qiskit little-endian labels).
        terms: ``(coefficient, [(qubit, "X" | "Y" | "Z"), ...])`` per Pauli string.
        thetas: ``(B, k)`` parameter sets, columns in ``circuit.parameters`` order.
    """

    circuit: QuantumCircuit
    ops: list[tuple[str, tuple[int, ...], int | None]]
    observable: SparsePauliOp
    terms: list[tuple[float, list[tuple[int, str]]]]
    thetas: np.ndarray

    @property
    def num_qubits(self) -> int:
        """The number of qubits."""
        return self.circuit.num_qubits


def make_problem(num_qubits: int, batch: int) -> Problem:
    """The circuit, observable and ``batch`` random parameter sets at ``num_qubits``."""
    circuit = hardware_efficient_ansatz(num_qubits, LAYERS)
    observable = random_observable(num_qubits, seed=1000 + num_qubits)
    column = {p: j for j, p in enumerate(circuit.parameters)}
    ops = []
    for inst in circuit.data:
        name = inst.operation.name
        qubits = tuple(circuit.find_bit(q).index for q in inst.qubits)
        if name in ("ry", "rz"):
            ops.append((name, qubits, column[inst.operation.params[0]]))
        elif name == "cx":
            ops.append((name, qubits, None))
        else:
            raise ValueError(f"unexpected gate {name!r} in the ansatz")
    terms = []
    for label, coefficient in observable.to_list():
        if abs(coefficient.imag) > 1e-14:
            raise ValueError(f"non-real coefficient {coefficient} for {label}")
        # qiskit labels are little-endian: qubit q is the character q places from the right.
        factors = [(q, ch) for q, ch in enumerate(reversed(label)) if ch != "I"]
        terms.append((float(coefficient.real), factors))
    rng = np.random.default_rng(num_qubits)
    thetas = rng.uniform(-np.pi, np.pi, size=(batch, circuit.num_parameters))
    return Problem(circuit, ops, observable, terms, thetas)


# -- the methods ---------------------------------------------------------------------------

#: A method evaluates one parameter set (shape (k,)) -> float, or a batch (B, k) -> (B,).
Call = Callable[[np.ndarray], "float | np.ndarray"]


class PeerMissing(Exception):
    """A peer package is not installed."""


def qneuro_methods(problem: Problem, setting: str, noise_model: NoiseModel) -> dict:
    """The qneuro methods, single and batched, and the engine its compile chose."""
    noise = NoiseProfile.from_noise_model(noise_model) if setting == "noisy" else None
    sim = PTMSimulator(noise)
    compiled = sim.compile(problem.circuit)
    observable = problem.observable

    def evaluate(theta: np.ndarray):
        return sim.expectation(compiled, observable, theta)

    return {"qneuro_single": evaluate, "qneuro_batch": evaluate, "_engine": compiled.engine}


def qulacs_method(problem: Problem, setting: str) -> Call:
    """qulacs: ``ParametricQuantumCircuit`` on a ``DensityMatrix`` or ``QuantumState``."""
    try:
        from qulacs import DensityMatrix, Observable, ParametricQuantumCircuit, QuantumState
        from qulacs.gate import (
            AmplitudeDampingNoise,
            DepolarizingNoise,
            TwoQubitDepolarizingNoise,
        )
    except ImportError as exc:
        raise PeerMissing("qulacs") from exc
    n, noisy = problem.num_qubits, setting == "noisy"
    circuit = ParametricQuantumCircuit(n)
    columns = []
    for name, qubits, column in problem.ops:
        if name == "ry":
            circuit.add_parametric_RY_gate(qubits[0], 0.0)
        elif name == "rz":
            circuit.add_parametric_RZ_gate(qubits[0], 0.0)
        else:
            circuit.add_CNOT_gate(*qubits)
        if column is not None:
            columns.append(column)
        if noisy and name in ("ry", "rz"):
            circuit.add_gate(DepolarizingNoise(qubits[0], 3 * P_DEPOL_1Q / 4))
            circuit.add_gate(AmplitudeDampingNoise(qubits[0], GAMMA_AMP))
        elif noisy:
            circuit.add_gate(TwoQubitDepolarizingNoise(*qubits, 15 * P_DEPOL_2Q / 16))
    observable = Observable(n)
    for coefficient, factors in problem.terms:
        observable.add_operator(coefficient, " ".join(f"{ch} {q}" for q, ch in factors))
    state = DensityMatrix(n) if noisy else QuantumState(n)
    count = circuit.get_parameter_count()

    def evaluate(theta: np.ndarray) -> float:
        for index in range(count):
            circuit.set_parameter(index, -theta[columns[index]])  # qulacs: exp(+i t P / 2)
        state.set_zero_state()
        circuit.update_quantum_state(state)
        return float(np.real(observable.get_expectation_value(state)))

    return evaluate


def pennylane_method(problem: Problem, setting: str, device_name: str) -> Call:
    """PennyLane: a QNode on ``default.mixed``, ``default.qubit`` or ``lightning.qubit``."""
    try:
        import pennylane as qml
    except ImportError as exc:
        raise PeerMissing("pennylane") from exc
    noisy = setting == "noisy"
    paulis = {"I": np.eye(2), "X": np.array([[0, 1], [1, 0]]), "Y": np.array([[0, -1j], [1j, 0]])}
    paulis["Z"] = np.diag([1.0, -1.0])
    # Aer's depolarizing_error(p) on 2 qubits: weight p/16 on each of the 16 Pauli strings.
    kraus_2q = [np.sqrt(1 - 15 * P_DEPOL_2Q / 16) * np.eye(4)] + [
        np.sqrt(P_DEPOL_2Q / 16) * np.kron(paulis[a], paulis[b])
        for a in "IXYZ"
        for b in "IXYZ"
        if a + b != "II"
    ]
    named = {"X": qml.PauliX, "Y": qml.PauliY, "Z": qml.PauliZ}

    def term(factors):
        if not factors:
            return qml.Identity(0)
        ops = [named[ch](q) for q, ch in factors]
        return ops[0] if len(ops) == 1 else qml.prod(*ops)

    hamiltonian = qml.Hamiltonian(
        [c for c, _ in problem.terms], [term(f) for _, f in problem.terms]
    )
    try:
        device = qml.device(device_name, wires=problem.num_qubits)
    except Exception as exc:  # a device plugin that is absent or broken
        raise PeerMissing(f"pennylane device {device_name} ({exc})") from exc
    ops = problem.ops

    @qml.qnode(device, interface=None, diff_method=None)
    def qnode(theta):
        for name, qubits, column in ops:
            if name == "ry":
                qml.RY(theta[column], wires=qubits[0])
            elif name == "rz":
                qml.RZ(theta[column], wires=qubits[0])
            else:
                qml.CNOT(wires=qubits)
            if noisy and name in ("ry", "rz"):
                qml.DepolarizingChannel(3 * P_DEPOL_1Q / 4, wires=qubits[0])
                qml.AmplitudeDamping(GAMMA_AMP, wires=qubits[0])
            elif noisy:
                qml.QubitChannel(kraus_2q, wires=qubits)
        return qml.expval(hamiltonian)

    def evaluate(theta: np.ndarray) -> float:
        return float(qnode(theta))

    return evaluate


def cirq_method(problem: Problem, setting: str) -> Call:
    """cirq: ``DensityMatrixSimulator`` or ``Simulator`` (complex128), sympy parameters."""
    try:
        import cirq
        import sympy
    except ImportError as exc:
        raise PeerMissing("cirq") from exc
    noisy = setting == "noisy"
    qubits = cirq.LineQubit.range(problem.num_qubits)
    symbols = sympy.symbols(f"t0:{problem.thetas.shape[1]}")
    operations = []
    for name, where, column in problem.ops:
        if name == "ry":
            operations.append(cirq.ry(symbols[column]).on(qubits[where[0]]))
        elif name == "rz":
            operations.append(cirq.rz(symbols[column]).on(qubits[where[0]]))
        else:
            operations.append(cirq.CNOT(qubits[where[0]], qubits[where[1]]))
        if noisy and name in ("ry", "rz"):
            operations.append(cirq.depolarize(3 * P_DEPOL_1Q / 4).on(qubits[where[0]]))
            operations.append(cirq.amplitude_damp(GAMMA_AMP).on(qubits[where[0]]))
        elif noisy:
            operations.append(
                cirq.depolarize(15 * P_DEPOL_2Q / 16, n_qubits=2).on(*(qubits[q] for q in where))
            )
    circuit = cirq.Circuit(operations)
    gates = {"X": cirq.X, "Y": cirq.Y, "Z": cirq.Z}
    observable = cirq.PauliSum()
    for coefficient, factors in problem.terms:
        string = {qubits[q]: gates[ch] for q, ch in factors}
        observable += cirq.PauliString(string, coefficient=coefficient)
    if noisy:
        simulator = cirq.DensityMatrixSimulator(dtype=np.complex128)
    else:
        simulator = cirq.Simulator(dtype=np.complex128)

    def evaluate(theta: np.ndarray) -> float:
        resolver = cirq.ParamResolver(dict(zip(symbols, theta.tolist(), strict=True)))
        values = simulator.simulate_expectation_values(
            circuit, observables=observable, param_resolver=resolver
        )
        return float(np.real(values[0]))

    return evaluate


def aer_methods(problem: Problem, setting: str, noise_model: NoiseModel, threads: int) -> dict:
    """Aer run + ``save_expectation_value``: one set per call, and B sets per call."""
    if setting == "noisy":
        backend = AerSimulator(
            method="density_matrix", noise_model=noise_model, max_parallel_threads=threads
        )
    else:
        backend = AerSimulator(method="statevector", max_parallel_threads=threads)
    saved = problem.circuit.copy()
    saved.save_expectation_value(problem.observable, range(problem.num_qubits))
    parameters = list(problem.circuit.parameters)

    def single(theta: np.ndarray) -> float:
        binds = {p: [theta[j]] for j, p in enumerate(parameters)}
        result = backend.run(saved, parameter_binds=[binds]).result()
        return float(np.real(result.data(0)["expectation_value"]))

    def batch(thetas: np.ndarray) -> np.ndarray:
        binds = {p: thetas[:, j].tolist() for j, p in enumerate(parameters)}
        result = backend.run(saved, parameter_binds=[binds]).result()
        return np.array([np.real(result.data(i)["expectation_value"]) for i in range(len(thetas))])

    prefix = "aer_dm" if setting == "noisy" else "aer_sv"
    return {f"{prefix}_single": single, f"{prefix}_batch": batch}


def build_methods(
    problem: Problem,
    setting: str,
    noise_model: NoiseModel,
    threads: int,
    missing: dict[str, str],
) -> tuple[dict[str, Call], str]:
    """Every available method of ``setting``; missing peers are recorded in ``missing``."""
    qneuro = qneuro_methods(problem, setting, noise_model)
    engine = qneuro.pop("_engine")
    methods: dict[str, Call] = dict(qneuro)
    builders: dict[str, Callable[[], Call | dict]] = {}
    if setting == "noisy":
        builders["qulacs_dm"] = lambda: qulacs_method(problem, setting)
        builders["pennylane_mixed"] = lambda: pennylane_method(problem, setting, "default.mixed")
        builders["cirq_dm"] = lambda: cirq_method(problem, setting)
    else:
        builders["qulacs_sv"] = lambda: qulacs_method(problem, setting)
        builders["pennylane_qubit"] = lambda: pennylane_method(problem, setting, "default.qubit")
        builders["pennylane_lightning"] = lambda: pennylane_method(
            problem, setting, "lightning.qubit"
        )
        builders["cirq_sv"] = lambda: cirq_method(problem, setting)
    methods.update(aer_methods(problem, setting, noise_model, threads))
    for name, build in builders.items():
        if name in missing:
            continue
        try:
            methods[name] = build()
        except PeerMissing as exc:
            if str(exc) not in missing.values():
                print(f"{exc}: not installed or unusable, skipping it ({BENCH_HINT})", flush=True)
            missing[name] = str(exc)
    ordered = {name: methods[name] for name in METHODS[setting] if name in methods}
    return ordered, engine


# -- checking and timing -------------------------------------------------------------------


class Disagreement(Exception):
    """A method's value differs from qneuro's by more than the tolerance."""


def compare(setting: str, n: int, name: str, index: int, value: float, reference: float) -> None:
    """Raise :class:`Disagreement` unless ``|value - reference| <= TOLERANCE``."""
    if not abs(value - reference) <= TOLERANCE:
        raise Disagreement(
            f"ABORT: {setting}, n={n}, parameter set {index}: {name} gives {value!r}, qneuro "
            f"{reference!r} (difference {value - reference:.3g} > {TOLERANCE:g})"
        )


@dataclass
class Timing:
    """Median time of one method at one size.

    Attributes:
        per_set_ms: median milliseconds per parameter set (None when skipped).
        call_s: median seconds per call (what the skip rule extrapolates).
        repeats: timed calls.
        note: why it was skipped or timed once only, or empty.
        max_error: largest |value - qneuro| over every value it produced.
    """

    per_set_ms: float | None = None
    call_s: float | None = None
    repeats: int = 0
    note: str = ""
    max_error: float = 0.0


def run_setting(
    problem: Problem,
    setting: str,
    noise_model: NoiseModel,
    args: argparse.Namespace,
    missing: dict[str, str],
    last_call: dict[str, tuple[int, float]],
) -> dict:
    """Check agreement, then time every method of ``setting`` at one size.

    ``last_call`` maps ``"setting/method"`` to ``(n, seconds per parameter set)`` of the last
    size timed; it decides which peers are skipped as too slow.

    Raises:
        Disagreement: when any value differs from qneuro's by more than the tolerance.
    """
    n = problem.num_qubits
    thetas = problem.thetas
    batch = len(thetas)
    methods, engine = build_methods(problem, setting, noise_model, args.threads, missing)

    # Reference values: qneuro batched on all B sets.
    reference = np.asarray(methods["qneuro_batch"](thetas), dtype=float)
    timings: dict[str, Timing] = {name: Timing() for name in methods}

    def timed_call(name: str, repeat: int) -> float:
        """One call of method ``name`` (set ``repeat % B``, or all B); check it, time it."""
        batched = METHODS[setting][name][1]
        t0 = time.perf_counter()
        if batched:
            values = np.asarray(methods[name](thetas), dtype=float)
            indices: list[int] = list(range(batch))
        else:
            values = np.array([methods[name](thetas[repeat % batch])])
            indices = [repeat % batch]
        elapsed = time.perf_counter() - t0
        for i, value in zip(indices, values, strict=True):
            compare(setting, n, name, i, float(value), float(reference[i]))
            error = abs(float(value) - float(reference[i]))
            timings[name].max_error = max(timings[name].max_error, error)
        return elapsed

    # Agreement first: every method evaluates the same sets (the first check_sets sets one
    # by one, or all B in one call) before anything is timed. These calls are also the
    # warm-up; when the first is slow (WARMUP_DISCARD_S), they count as timed calls.
    check_times: dict[str, list[float]] = {}
    for name in methods:
        batched = METHODS[setting][name][1]
        key = f"{setting}/{name}"
        if key in last_call and not name.startswith("qneuro"):
            prev_n, prev_per_set = last_call[key]
            per_call = prev_per_set * (batch if batched else 1)
            estimate = per_call * GROWTH[setting] ** (n - prev_n)
            if estimate > args.max_call_s:
                timings[name].note = f"skip: ~{estimate:.2g} s/call"
                continue
        calls = 1 if batched else min(args.check_sets, batch)
        check_times[name] = [timed_call(name, repeat) for repeat in range(calls)]

    # Timing: only after every method agreed.
    max_repeats, budget = repeat_plan(n, args.quick)
    min_repeats = 1 if args.quick else 3
    for name, first in check_times.items():
        timing = timings[name]
        batched = METHODS[setting][name][1]
        if first[0] > args.max_call_s:  # too slow to repeat: timed on its check calls
            times = list(first)
            timing.note = f"{len(times)} call" + ("s" if len(times) > 1 else "")
        else:
            times = list(first) if first[0] >= WARMUP_DISCARD_S else []
            limit = max(3, max_repeats // 5) if batched else max_repeats
            repeat = len(first)
            while len(times) < limit and not (len(times) >= min_repeats and sum(times) > budget):
                times.append(timed_call(name, repeat))
                repeat += 1
        timing.call_s = statistics.median(times)
        timing.repeats = len(times)
        timing.per_set_ms = 1e3 * timing.call_s / (batch if batched else 1)
        last_call[f"{setting}/{name}"] = (n, timing.call_s / (batch if batched else 1))

    record = {
        "n": n,
        "batch": batch,
        "terms": len(problem.terms),
        "qneuro_engine": engine,
        "times_ms": {name: t.per_set_ms for name, t in timings.items()},
        "repeats": {name: t.repeats for name, t in timings.items()},
        "notes": {name: t.note for name, t in timings.items() if t.note},
        "max_error": max(t.max_error for t in timings.values()),
        "missing": sorted(name for name in METHODS[setting] if name not in methods),
    }
    record.update(ratios(setting, record["times_ms"]))
    record["targets"] = judge(setting, n, record)
    return record


def repeat_plan(num_qubits: int, quick: bool) -> tuple[int, float]:
    """``(max_repeats, time_budget_s)`` per method and size."""
    if quick:
        return 3, 0.2
    return (40, 1.5) if num_qubits <= 8 else (7, 2.0)


def ratios(setting: str, times: dict[str, float | None]) -> dict:
    """Fastest peer per set and the ratios of the targets (peer time / qneuro time)."""
    peers = {
        name: ms
        for name, ms in times.items()
        if ms is not None and METHODS[setting][name][2] is not None
    }
    out: dict = {"fastest_peer": None, "peer_over_qneuro_single": None}
    out["peer_over_qneuro_batch"] = None
    if peers:
        best = min(peers, key=peers.__getitem__)
        out["fastest_peer"] = best
        out["peer_over_qneuro_single"] = peers[best] / times["qneuro_single"]
        out["peer_over_qneuro_batch"] = peers[best] / times["qneuro_batch"]
        singles = {k: v for k, v in peers.items() if not METHODS[setting][k][1]}
        if singles:
            single = min(singles, key=singles.__getitem__)
            out["fastest_single_call_peer"] = single
            out["single_peer_over_qneuro_single"] = singles[single] / times["qneuro_single"]
    if setting == "noiseless":
        qulacs = times.get("qulacs_sv")
        out["qneuro_single_over_qulacs"] = times["qneuro_single"] / qulacs if qulacs else None
        out["qneuro_batch_over_qulacs"] = times["qneuro_batch"] / qulacs if qulacs else None
    return out


def judge(setting: str, n: int, record: dict) -> dict[str, bool | None]:
    """PASS (True) / FAIL (False) / not measured (None) per target that applies at ``n``."""
    if setting == "noisy":
        return {
            "dm_peer/qneuro_single>1": _above(record["peer_over_qneuro_single"], 1.0),
            "dm_peer/qneuro_batch>1": _above(record["peer_over_qneuro_batch"], 1.0),
        }
    targets: dict[str, bool | None] = {}
    single, batch = record["qneuro_single_over_qulacs"], record["qneuro_batch_over_qulacs"]
    if 4 <= n <= 10:
        targets["qneuro_single/qulacs<=2"] = None if single is None else single <= 2.0
    targets["qneuro_batch/qulacs<1"] = None if batch is None else batch < 1.0
    return targets


def _above(value: float | None, threshold: float) -> bool | None:
    return None if value is None else value > threshold


# -- report --------------------------------------------------------------------------------


def _cell(record: dict, name: str) -> str:
    ms = record["times_ms"].get(name)
    note = record["notes"].get(name, "")
    if name in record["missing"]:
        return "not installed"
    if ms is None:
        return note or "-"
    text = f"{ms:.3f}" if ms < 100 else f"{ms:.1f}"
    return f"{text} ({note})" if note else text


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def print_report(results: dict[str, list[dict]], config: dict) -> None:
    """Markdown tables per setting, then the targets."""
    print()
    print(
        f"circuit: hardware_efficient_ansatz(n, {LAYERS}), {NUM_TERMS}-term random observable; "
        f"noise: depol({P_DEPOL_1Q:g}) + amp_damp({GAMMA_AMP:g}) after ry/rz, "
        f"depol2({P_DEPOL_2Q:g}) after cx"
    )
    print("times: median ms per parameter set, one thread everywhere")
    for setting in SETTINGS:
        records = results.get(setting)
        if not records:
            continue
        names = list(METHODS[setting])
        titles = [METHODS[setting][name][0] for name in names]
        extra = ["fastest peer", "peer / qn 1", "peer / qn B", "1-call peer / qn 1"]
        if setting == "noiseless":
            extra += ["qn 1 / qulacs", "qn B/set / qulacs 1"]
        head = ["n", "B", "qn engine", *titles, *extra]
        print()
        heading = "noisy (density-matrix peers)" if setting == "noisy" else "noiseless"
        print(f"### {heading}")
        print()
        print("| " + " | ".join(head) + " |")
        print("|" + "|".join("---" if i < 3 else "---:" for i in range(len(head))) + "|")
        for r in records:
            best = r["fastest_peer"]
            row = [str(r["n"]), str(r["batch"]), r["qneuro_engine"]]
            row += [_cell(r, name) for name in names]
            row += [METHODS[setting][best][0] if best else "-"]
            row += [_ratio(r["peer_over_qneuro_single"]), _ratio(r["peer_over_qneuro_batch"])]
            row += [_ratio(r.get("single_peer_over_qneuro_single"))]
            if setting == "noiseless":
                row += [
                    _ratio(r["qneuro_single_over_qulacs"]),
                    _ratio(r["qneuro_batch_over_qulacs"]),
                ]
            print("| " + " | ".join(row) + " |")
    print()
    print(
        "columns: qn = qneuro; 1 = one parameter set per call; B/set = one call with B sets, "
        "per set; DM = density matrix, SV = statevector, PL = PennyLane; fastest peer = the "
        "peer method with the least time per set, batched or not; 1-call peer = the fastest "
        "peer called with one set at a time; 'skip' = one call estimated over "
        f"{config['max_call_s']:g} s from the previous size; 'k calls' = over that limit, "
        "timed on its k agreement-check calls only"
    )
    print()
    print("targets:")
    for setting in SETTINGS:
        for r in results.get(setting, []):
            for target, ok in r["targets"].items():
                print(f"  {setting:9} n={r['n']:<3} {target:26} {_verdict(ok)}")
    worst = max((r["max_error"] for rs in results.values() for r in rs), default=0.0)
    print(f"agreement: every value within {worst:.1e} of qneuro's (tolerance {TOLERANCE:g})")
    print(f"targets: {'ALL PASS' if config['all_targets_pass'] else 'SOME FAIL OR N/A'}")


# -- driver --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="also print one JSON object last")
    parser.add_argument(
        "--qubits",
        default=",".join(map(str, DEFAULT_QUBITS)),
        help="comma-separated sizes (default %(default)s)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: few repeats, batch 8")
    parser.add_argument("--batch", type=int, default=None, help="override the batch size")
    parser.add_argument(
        "--settings", default=",".join(SETTINGS), help="noisy, noiseless or both (default)"
    )
    parser.add_argument(
        "--max-call-s",
        type=float,
        default=None,
        help="skip a peer whose one call is estimated above this (default 5 s, 1 s quick)",
    )
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        args.qubits = sorted({int(q) for q in args.qubits.split(",") if q.strip()})
    except ValueError:
        parser.error(f"--qubits {args.qubits!r}: expected integers such as 2,4,6")
    if not args.qubits or min(args.qubits) < 2:
        parser.error("--qubits needs sizes of at least 2 (the circuit has CX gates)")
    args.settings = [s.strip() for s in args.settings.split(",") if s.strip()]
    if not args.settings or set(args.settings) - set(SETTINGS):
        parser.error(f"--settings: choose from {', '.join(SETTINGS)}")
    if args.batch is not None and args.batch < 1:
        parser.error("--batch must be positive")
    if args.max_call_s is None:
        args.max_call_s = 1.0 if args.quick else 5.0
    if args.threads < 1 or args.max_call_s <= 0:
        parser.error("--threads and --max-call-s must be positive")
    args.check_sets = 1 if args.quick else CHECK_SETS
    return args


def batch_size(setting: str, num_qubits: int, quick: bool, override: int | None) -> int:
    """Parameter sets per batched call: 64; 8 when noisy at n >= 10, and when quick."""
    if override is not None:
        return override
    if quick or (setting == "noisy" and num_qubits >= 10):
        return 8
    return 64


_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def pin_threads(threads: int) -> None:
    """Re-execute this script with the thread variables set, unless they already are.

    BLAS and OpenMP runtimes read them only when loaded, which has happened by now.
    """
    if all(os.environ.get(name) == str(threads) for name in _THREAD_VARIABLES):
        return
    env = dict(os.environ, **{name: str(threads) for name in _THREAD_VARIABLES})
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, *sys.argv], env)


def versions() -> dict[str, str]:
    """Installed versions of qneuro and every simulator package (or "missing")."""
    import qneuro

    out = {"qneuro": qneuro.__version__}
    for dist in ("numpy", "qiskit", "qiskit-aer", "qulacs", "pennylane", "pennylane-lightning"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = "missing"
    for dist in ("cirq-core", "cirq"):
        try:
            out["cirq"] = importlib.metadata.version(dist)
            break
        except importlib.metadata.PackageNotFoundError:
            out["cirq"] = "missing"
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the exit code (1 when a method disagrees with qneuro)."""
    args = parse_args(argv)
    if argv is None:
        pin_threads(args.threads)
    config = {
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average": round(os.getloadavg()[0], 2),
        "thread_env": {name: os.environ.get(name) for name in _THREAD_VARIABLES},
        "versions": versions(),
        "quick": args.quick,
        "qubits": args.qubits,
        "settings": args.settings,
        "max_call_s": args.max_call_s,
        "tolerance": TOLERANCE,
        "layers": LAYERS,
        "noise": {"depol_1q": P_DEPOL_1Q, "amp_damp": GAMMA_AMP, "depol_2q": P_DEPOL_2Q},
    }
    print(
        f"machine: {config['machine']}, {config['cpus']} CPUs, Python {config['python']}, "
        f"load average at start {config['load_average']}, thread env {config['thread_env']}"
    )
    print("versions: " + ", ".join(f"{k} {v}" for k, v in config["versions"].items()), flush=True)
    noise_model = build_noise_model()
    missing: dict[str, str] = {}
    last_call: dict[str, tuple[int, float]] = {}
    results: dict[str, list[dict]] = {setting: [] for setting in args.settings}
    wall = time.perf_counter()
    try:
        for n in args.qubits:
            for setting in args.settings:
                problem = make_problem(n, batch_size(setting, n, args.quick, args.batch))
                record = run_setting(problem, setting, noise_model, args, missing, last_call)
                results[setting].append(record)
                print(
                    f"[{setting} n={n} done, {time.perf_counter() - wall:.0f} s]",
                    file=sys.stderr,
                    flush=True,
                )
    except Disagreement as exc:
        print(exc, file=sys.stderr)
        return 1
    config["wall_s"] = round(time.perf_counter() - wall, 1)
    config["missing_peers"] = missing
    verdicts = [ok for rs in results.values() for r in rs for ok in r["targets"].values()]
    config["all_targets_pass"] = bool(verdicts) and all(ok is True for ok in verdicts)
    print_report(results, config)
    if args.json:
        print(json.dumps({"config": config, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
