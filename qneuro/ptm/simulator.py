"""The simulator: exact noisy expectation values of qiskit circuits.

:class:`PTMSimulator` compiles each circuit for one of two engines and caches the result:

* ``"ptm"`` (:class:`~qneuro.ptm.liouville.CompiledCircuit`): the Pauli vector, ``4**n``
  reals, under any noise;
* ``"statevector"`` (:class:`~qneuro.ptm.statevector.StatevectorCircuit`): ``2**n``
  amplitudes, when the circuit's gates carry no noise (readout error is still applied, in
  the observable).

With ``engine="auto"`` (the default) the statevector engine runs every circuit whose
gates are ideal under the simulator's noise, the PTM engine all others; the two agree to
rounding (tested), so the choice changes speed, not results.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np
from qiskit.circuit import Barrier, Measure, QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

from .blocks import Reduction, check_budget, check_memory
from .liouville import DEFAULT_MEMORY_BUDGET, CompiledCircuit, has_gate_noise
from .observable import as_sparse_pauli_op, pauli_terms, with_readout
from .pauli import pauli_to_density
from .program import NoiseSource, Program
from .shots import SHOT_MODELS, gaussian_estimate, measurement_plan, sample
from .statevector import (
    StatevectorCircuit,
    StatevectorObservable,
    pauli_expectations,
    pauli_expectations_bytes,
)

#: Compiled circuits and observables kept per simulator (oldest dropped first).
_CACHE_SIZE = 64

#: Engines a simulator can be asked for.
ENGINES = ("auto", "ptm", "statevector")
#: Most shots per measured setting (counts stay exact in int64 and float64).
MAX_SHOTS = 2**53

Compiled = CompiledCircuit | StatevectorCircuit


class PTMSimulator:
    """Exact noisy simulation in the Pauli-Liouville representation (statevectors when ideal).

    Args:
        noise: a :class:`qneuro.noise.NoiseProfile` (or any :class:`NoiseSource`);
            None simulates ideal gates and readout.
        shots: None for exact expectation values, or the number of shots per measured
            group, which adds shot noise of the kind ``shot_model`` names.
        shot_model: ``"gaussian"`` (CRLQAS: ``N(0, 1/shots)`` per term) or ``"sampled"``
            (multinomial counts per qubit-wise commuting group); see
            :mod:`qneuro.ptm.shots`.
        seed: seed of the shot-noise generator (None or an integer >= 0).
        memory_budget: bytes one evaluation may allocate: states, scratch, block
            matrices, the compiled observable, shot sampling. An evaluation (or an
            observable) that needs more is refused with a ``ValueError`` naming the
            estimate and the budget, before anything is allocated.
        engine: ``"auto"`` (statevectors for circuits whose gates are ideal, Pauli vectors
            otherwise), ``"ptm"`` (always Pauli vectors) or ``"statevector"`` (refuses
            circuits with gate noise).

    Parameters are bound in ``circuit.parameters`` order (qiskit's sorted order), as in
    qiskit's estimators. Readout error is part of every expectation value (exact mode
    folds it into the observable; ``"sampled"`` applies it to the counts). Angles,
    parameter values and observable coefficients must be finite (``ValueError``
    otherwise, naming the value).

    A simulator may be shared by threads: its caches of compiled circuits and
    observables are guarded by a lock (the shot-noise generator serialises its draws,
    so seeded results then depend on the threads' order).

    Example:
        >>> from qiskit import QuantumCircuit
        >>> from qiskit.quantum_info import SparsePauliOp
        >>> qc = QuantumCircuit(1); _ = qc.x(0)
        >>> PTMSimulator().expectation(qc, SparsePauliOp("Z"))
        -1.0
    """

    def __init__(
        self,
        noise: NoiseSource | None = None,
        *,
        shots: int | None = None,
        shot_model: str = "gaussian",
        seed: int | None = None,
        memory_budget: int = DEFAULT_MEMORY_BUDGET,
        engine: str = "auto",
    ) -> None:
        if isinstance(noise, str):
            raise TypeError(
                f"noise={noise!r}: pass a NoiseProfile, e.g. NoiseProfile.preset({noise!r})"
            )
        if noise is not None and not hasattr(noise, "gate_channel"):
            raise TypeError(f"noise must be a NoiseProfile or None, got {type(noise).__name__}")
        if shot_model not in SHOT_MODELS:
            raise ValueError(f"shot_model={shot_model!r}; allowed: {', '.join(SHOT_MODELS)}")
        if engine not in ENGINES:
            raise ValueError(f"engine={engine!r}; allowed: {', '.join(ENGINES)}")
        self.noise = noise
        self.shots = _check_shots(shots)
        self.shot_model = shot_model
        self.memory_budget = check_budget(memory_budget)
        self.engine = engine
        self.rng = np.random.default_rng(_check_seed(seed))
        # id -> (weakref, qubit count, snapshot (global phase, instructions), compiled form)
        self._circuits: dict[int, tuple] = {}
        self._observables: dict = {}
        self._cache_lock = threading.Lock()  # guards both caches (builds run outside it)

    def compile(self, circuit: QuantumCircuit | Program | Compiled) -> Compiled:
        """The reusable compiled form of ``circuit`` with this simulator's noise.

        Compiled forms of a ``QuantumCircuit`` are cached per circuit object and rebuilt
        when its qubits, instructions or global phase change (an exact comparison with a
        snapshot taken at compile time, see :func:`_snapshot`; pass the compiled form in
        tight loops).
        """
        if isinstance(circuit, QuantumCircuit):
            return self._compile_circuit(circuit)
        if isinstance(circuit, StatevectorCircuit) and self.engine == "ptm":
            return self._compile_program(circuit.program)
        if isinstance(circuit, CompiledCircuit | StatevectorCircuit):
            if circuit.noise is not self.noise and circuit.engine == "ptm":
                raise ValueError(
                    "this CompiledCircuit was compiled with other noise; compile it with this "
                    "simulator's compile()"
                )
            if circuit.engine == "statevector" and has_gate_noise(circuit.program, self.noise):
                raise ValueError(
                    "this StatevectorCircuit has no gate noise but this simulator's noise "
                    "has channels on its gates; compile it with this simulator's compile()"
                )
            return circuit
        if isinstance(circuit, Program):
            return self._compile_program(circuit)
        raise TypeError(f"expected a qiskit QuantumCircuit, got {type(circuit).__name__}")

    def _compile_circuit(self, circuit: QuantumCircuit) -> Compiled:
        with self._cache_lock:
            cached = self._circuits.get(id(circuit))
        if (
            cached is not None
            and cached[0]() is circuit
            and circuit.num_qubits == cached[1]
            and _unchanged(circuit, cached[2])
        ):
            return cached[3]
        snapshot = _snapshot(circuit)  # before compiling: a change meanwhile is seen next time
        compiled = self._compile_program(Program.from_circuit(circuit, self.noise))
        entry = (weakref.ref(circuit), circuit.num_qubits, snapshot, compiled)
        with self._cache_lock:
            _insert(self._circuits, id(circuit), entry)
        return compiled

    def _compile_program(self, program: Program) -> Compiled:
        noisy = has_gate_noise(program, self.noise)
        if self.engine == "statevector" and noisy:
            raise ValueError(
                "engine='statevector' needs ideal gates, but the noise has channels on this "
                "circuit's gates; use engine='auto' or 'ptm'"
            )
        if self.engine == "ptm" or (self.engine == "auto" and noisy):
            return CompiledCircuit(program, self.noise, memory_budget=self.memory_budget)
        return StatevectorCircuit(program, memory_budget=self.memory_budget)

    def pauli_vector(
        self, circuit: QuantumCircuit | Program | Compiled, parameter_values=None
    ) -> np.ndarray:
        """Final Pauli vector(s) ``r_P = Tr(P rho)``.

        Shape ``(4**n,)``, or ``(B, 4**n)`` when ``parameter_values`` has shape ``(B, k)``.
        """
        compiled = self.compile(circuit)
        states = compiled.pauli_vectors(compiled.evolve(parameter_values))
        return states if np.ndim(parameter_values) == 2 else states[0]

    def statevector(
        self, circuit: QuantumCircuit | Program | StatevectorCircuit, parameter_values=None
    ) -> np.ndarray:
        """The final state of a circuit with ideal gates (up to a global phase).

        Shape ``(2**n,)`` complex, or ``(B, 2**n)`` for ``(B, k)`` parameter values.
        Readout error does not enter (it is a property of measurements).
        """
        compiled = self.compile(circuit)
        if compiled.engine != "statevector":
            if has_gate_noise(compiled.program, self.noise):
                raise ValueError("the circuit's gates are noisy: it has no statevector")
            compiled = StatevectorCircuit(compiled.program, memory_budget=self.memory_budget)
        states = compiled.evolve(parameter_values)
        return states if np.ndim(parameter_values) == 2 else states[0]

    def density_matrix(
        self, circuit: QuantumCircuit | Program | Compiled, parameter_values=None
    ) -> np.ndarray:
        """Final density matrix (qiskit ordering) for one parameter set; small n only."""
        if np.ndim(parameter_values) == 2:
            raise ValueError("density_matrix takes one parameter set, shape (k,)")
        num_qubits = self.compile(circuit).num_qubits
        entries = 4**num_qubits  # the matrix, its complex copy of the vector, the scaling
        task = f"the density matrix of {num_qubits} qubits"
        check_memory({"density matrix": 3 * 16 * entries}, self.memory_budget, task)
        return pauli_to_density(self.pauli_vector(circuit, parameter_values))

    def expectation(
        self,
        circuit: QuantumCircuit | Program | Compiled,
        observable: SparsePauliOp,
        parameter_values=None,
        *,
        shots: int | None | str = "default",
    ) -> float | np.ndarray:
        """``Tr(H rho)`` after the circuit, with readout error and optional shot noise.

        Args:
            circuit: a circuit, a :class:`~qneuro.ptm.program.Program`, or the result of
                :meth:`compile`.
            observable: a Hermitian ``SparsePauliOp`` on the circuit's qubits.
            parameter_values: None, shape ``(k,)``, or shape ``(B, k)``.
            shots: ``"default"`` uses the simulator's ``shots``; None gives the exact value;
                a positive integer overrides the shot count for this call (shot schedules).

        Returns:
            A float, or an array of shape ``(B,)`` for a ``(B, k)`` input.
        """
        shots = self._shots(shots)
        compiled = self.compile(circuit)
        observable = as_sparse_pauli_op(observable)
        batch = _batch_size(parameter_values)
        terms, reduction, extra = self._evaluation(compiled, observable, batch, shots)
        compiled.check_memory(batch, reduction, extra)  # before anything is allocated
        if reduction is None:  # sampled shots: every state, then counts per group
            pauli_values = _pauli_values(compiled, compiled.evolve(parameter_values))
            values = sample(self._plan(observable), pauli_values, shots, self.rng)
        else:
            values = compiled.evolve(parameter_values, reduce=reduction)
            if shots is not None:
                values = gaussian_estimate(values, terms.term_coeffs, shots, self.rng)
        return values if np.ndim(parameter_values) == 2 else float(values[0])

    def memory_needed(
        self,
        circuit: QuantumCircuit | Program | Compiled,
        observable: SparsePauliOp,
        batch: int = 1,
        *,
        shots: int | None | str = "default",
    ) -> dict[str, int]:
        """Bytes :meth:`expectation` would allocate for ``batch`` parameter sets, by purpose.

        The estimate the memory budget is checked against (compiling the observable may
        itself be refused when its statevector form exceeds the budget).
        """
        shots = self._shots(shots)
        compiled = self.compile(circuit)
        _, reduction, extra = self._evaluation(
            compiled, as_sparse_pauli_op(observable), batch, shots
        )
        return {**compiled.evaluation_buffers(batch, reduction), **extra}

    def _shots(self, shots):
        return self.shots if isinstance(shots, str) and shots == "default" else _check_shots(shots)

    def _evaluation(self, compiled, observable, batch: int, shots):
        """``(terms, reduction, extra buffers)`` of an expectation.

        The reduction is None for sampled shots (every state is kept for sampling).
        """
        terms = self._terms(observable, compiled.num_qubits)  # checks the observable
        if shots is not None and self.shot_model == "sampled":
            return terms, None, _sampling_buffers(compiled, self._plan(observable), batch)
        extra = {} if shots is None else {"shot noise": batch * 8 * (len(terms.term_coeffs) + 1)}
        return terms, terms.values_on(compiled.engine), extra

    def observable_terms(self, observable: SparsePauliOp, num_qubits: int):
        """Compiled terms: ``(indices, coeffs, term_coeffs)``.

        ``indices``/``coeffs`` have readout folded in; ``term_coeffs`` are the
        observable's own non-identity coefficients (for Gaussian shot noise).
        """
        terms = self._terms(as_sparse_pauli_op(observable), num_qubits)
        return terms.indices, terms.coeffs, terms.term_coeffs

    def statevector_observable(
        self, observable: SparsePauliOp, num_qubits: int
    ) -> StatevectorObservable:
        """The cached statevector form of ``observable`` (readout folded in)."""
        return self._terms(as_sparse_pauli_op(observable), num_qubits).statevector()

    def _terms(self, observable: SparsePauliOp, num_qubits: int) -> _Terms:
        def build():
            indices, coeffs = pauli_terms(observable, num_qubits)
            term_coeffs = coeffs[indices != 0]
            if self.noise is not None:
                indices, coeffs = with_readout(indices, coeffs, num_qubits, self.noise.readout)
            return _Terms(indices, coeffs, term_coeffs, num_qubits, self.memory_budget)

        return self._cached(("terms", num_qubits, _observable_key(observable)), build)

    def _readout(self):
        return None if self.noise is None else self.noise.readout

    def _cached(self, key, build):
        """``build()`` once per ``key`` (oldest entry dropped past ``_CACHE_SIZE``).

        Thread-safe: lookups and insertions hold the lock; builds run outside it (two
        threads may build the same entry; the first one stored is kept).
        """
        with self._cache_lock:
            value = self._observables.get(key)
        if value is None:
            value = build()
            with self._cache_lock:
                value = _insert(self._observables, key, value)
        return value

    def _plan(self, observable: SparsePauliOp):
        """The cached qubit-wise measurement plan of ``observable`` with this readout."""
        return self._cached(
            ("plan", _observable_key(observable)),
            lambda: measurement_plan(observable, self._readout(), self.memory_budget),
        )


class _Terms:
    """An observable compiled for this simulator.

    Pauli indices and coefficients (readout folded in), the observable's own non-identity
    coefficients (for Gaussian shot noise), and its statevector form, built on demand
    within ``memory_budget``.
    """

    def __init__(self, indices, coeffs, term_coeffs, num_qubits: int, memory_budget: int):
        self.indices, self.coeffs, self.term_coeffs = indices, coeffs, term_coeffs
        self.num_qubits = num_qubits
        self.memory_budget = memory_budget
        self._statevector: StatevectorObservable | None = None
        self._reductions: dict[str, Reduction] = {}

    def statevector(self) -> StatevectorObservable:
        """The :class:`StatevectorObservable` of these terms (built once).

        Raises:
            ValueError: its weights and flips (``masks x 2**n``) exceed the memory budget.
        """
        if self._statevector is None:
            need = StatevectorObservable.memory_needed(self.indices, self.num_qubits)
            task = (
                f"the statevector form of an observable with {len(self.indices)} terms on "
                f"{self.num_qubits} qubits"
            )
            check_memory({"observable": need}, self.memory_budget, task)
            self._statevector = StatevectorObservable(self.indices, self.coeffs, self.num_qubits)
        return self._statevector

    def values_on(self, engine: str) -> Reduction:
        """The reduction from evolved states ``(B, ...)`` of ``engine`` to values ``(B,)``."""
        reduction = self._reductions.get(engine)
        if reduction is None:
            if engine == "ptm":
                held = self.indices.nbytes + self.coeffs.nbytes
                reduction = Reduction(
                    lambda states: states[:, self.indices] @ self.coeffs,
                    lambda batch: held + batch * self.coeffs.nbytes,  # the gathered entries
                )
            else:
                observable = self.statevector()
                reduction = Reduction(observable.values, observable.memory)
            self._reductions[engine] = reduction
        return reduction


def _snapshot(circuit: QuantumCircuit) -> tuple:
    """What :func:`_unchanged` compares ``circuit`` against later.

    The global phase (its parameters enter ``circuit.parameters``, hence the binding
    order) and the instructions: the instruction list itself when every operation is a
    standard gate or qiskit's barrier or measurement (held by qiskit, immutable from
    Python; comparing the ``CircuitInstruction`` lists is exact, about 0.5 us per
    instruction), otherwise a copy of the circuit data, whose operations are copied too
    (about 1 us per instruction), so a Python-defined operation changed in place is seen.
    """
    instructions = circuit._data[:]
    if not all(
        instruction.is_standard_gate() or isinstance(instruction.operation, Barrier | Measure)
        for instruction in instructions
    ):
        instructions = circuit._data.copy()
    return circuit.global_phase, instructions


def _unchanged(circuit: QuantumCircuit, snapshot: tuple) -> bool:
    """Whether ``circuit`` equals the :func:`_snapshot` taken earlier."""
    phase, instructions = snapshot
    if circuit.global_phase != phase:
        return False
    if isinstance(instructions, list):
        return len(circuit._data) == len(instructions) and circuit._data[:] == instructions
    return circuit._data == instructions


def _insert(cache: dict, key, value):
    """Store ``value`` unless ``key`` is there; returns the stored value.

    Drops the oldest entries past ``_CACHE_SIZE``. Call with the simulator's lock held.
    """
    if key in cache:
        return cache[key]
    while len(cache) >= _CACHE_SIZE:
        cache.pop(next(iter(cache)))
    cache[key] = value
    return value


def _sampling_buffers(compiled, plan, batch: int) -> dict[str, int]:
    """Bytes of :func:`~qneuro.ptm.shots.sample` for ``batch`` states of ``compiled``."""
    widest = max((len(group.correlators) for group in plan.groups), default=1)
    need = 4 * batch * 8 * widest  # Pauli values, probabilities, their clip, counts
    if compiled.engine != "ptm":
        need += pauli_expectations_bytes(batch, widest, compiled.num_qubits)
    return {"shot sampling": need}


def _pauli_values(compiled, states):
    """A function from Pauli indices ``(m,)`` to the states' expectations ``(B, m)``."""
    if compiled.engine == "ptm":
        return lambda indices: states[:, indices]
    return lambda indices: pauli_expectations(states, indices, compiled.num_qubits)


def _observable_key(observable: SparsePauliOp) -> tuple:
    paulis = observable.paulis
    return (
        observable.num_qubits,
        paulis.z.tobytes(),
        paulis.x.tobytes(),
        (paulis._phase if hasattr(paulis, "_phase") else paulis.phase).tobytes(),
        np.asarray(observable.coeffs).tobytes(),
    )


def _batch_size(parameter_values) -> int:
    """B for parameter values of shape ``(B, k)``, else 1 (shapes are checked by evolve)."""
    return 1 if np.ndim(parameter_values) < 2 else len(parameter_values)


def _check_seed(seed):
    if seed is None or isinstance(
        seed, np.random.Generator | np.random.SeedSequence | np.random.BitGenerator
    ):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed={seed!r}; allowed: None or an integer >= 0")
    return int(seed)


def _check_shots(shots):
    if shots is None:
        return None
    is_integer = isinstance(shots, (int, np.integer)) and not isinstance(shots, bool)
    if not is_integer or not 1 <= shots <= MAX_SHOTS:
        allowed = f"None (exact) or an integer in 1..{MAX_SHOTS:,}"
        raise ValueError(f"shots={shots!r}; allowed: {allowed}")
    return int(shots)
