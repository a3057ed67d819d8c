"""Variational energies of an ansatz for a problem, under noise and shots, and a VQE run.

:class:`Energy` is the objective the optimisers and the architecture-search environments
minimise: ``E(theta) = Tr(H rho(theta))`` with ``rho(theta)`` the ansatz's state under a
noise profile, readout error included, plus shot noise when ``shots`` is set. It is
batched (``(B, k) -> (B,)``) and takes a per-call ``shots=`` for shot schedules. Its
:meth:`Energy.noiseless` gives the exact energy of the same angles without any noise, the
quantity by which CRLQAS judges chemical accuracy. ``mitigation`` estimates the energy as
error-mitigated hardware would: readout correction, or that plus zero-noise extrapolation.

Example:
    >>> from qneuro import chem, vqe
    >>> problem = chem.load("H2-2q")
    >>> result = vqe.run(problem, vqe.hardware_efficient_ansatz(2, layers=1), budget=400, seed=1)
    >>> bool(result.error < 1.6e-3)
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.quantum_info import SparsePauliOp

from qneuro import checks
from qneuro.chem.problem import CHEMICAL_ACCURACY  # noqa: F401  (qneuro.vqe.CHEMICAL_ACCURACY)
from qneuro.noise import NoiseProfile
from qneuro.optim import OptimizeResult, get_optimizer
from qneuro.ptm import CompiledCircuit, Program, PTMSimulator, StatevectorCircuit
from qneuro.ptm.observable import check_finite_coefficients
from qneuro.ptm.sweep import (
    STATEVECTOR_SWEEP_FROM_QUBITS,
    PauliSweep,
    StatevectorSweep,
    sweep_memory,
)

#: Error mitigation an :class:`Energy` can apply (None: the raw noisy estimate).
MITIGATIONS = (None, "readout", "zne")

#: Zero-noise extrapolation: noise scales and Richardson weights, ``E_0 = (3 E_1 - E_3) / 2``.
ZNE_SCALES = (1, 3)
ZNE_WEIGHTS = (1.5, -0.5)


class Energy:
    """``E(theta)`` of ``ansatz`` for ``hamiltonian`` under ``noise`` with optional shots.

    Args:
        problem: a :class:`qneuro.chem.Problem` (its ``hamiltonian`` and ``exact_energy``)
            or any Hermitian ``SparsePauliOp``.
        ansatz: a parameterised ``QuantumCircuit`` on the problem's qubits, or a
            :class:`qneuro.ptm.Program` (what the environments build, no qiskit objects).
        noise: a :class:`~qneuro.noise.NoiseProfile`, a preset name, or None (ideal).
        shots: None (exact expectation values) or shots per measured term / group.
        shot_model: ``"gaussian"`` (CRLQAS) or ``"sampled"`` (qubit-wise commuting groups,
            multinomial counts, readout error), see :mod:`qneuro.ptm.shots`.
        seed: seed of the shot noise.
        engine: the simulator engine (``"auto"``: statevectors where the gates are ideal;
            ``"ptm"`` keeps every evaluation on Pauli vectors, the path before statevectors).
        mitigation: None (the raw noisy energy); ``"readout"``: readout errors corrected by
            inverting each qubit's confusion matrix (exact in expectation, so the energy
            is that without readout error); ``"zne"``: that plus zero-noise extrapolation,
            ``E = (3 E(noise x1) - E(noise x3)) / 2`` with every gate channel applied three
            times (:meth:`~qneuro.noise.NoiseProfile.folded`), in the spirit of qiskit
            Runtime's resilience level 2 (which also twirls and offers other factors and
            extrapolators); twice the circuit evaluations. Both need exact expectations
            (``shots=None``, also per call) and assume invertible confusion matrices
            (``p10 + p01 < 1``).

    The energy along one angle is exact in closed form when every parameter is the angle
    of its own Pauli rotation (:meth:`coordinate_sweep`), which Rotosolve uses; the same
    sinusoids give the exact gradient (:meth:`value_and_gradient`), which L-BFGS-B uses.

    Attributes:
        hamiltonian: the operator (shift included), ``SparsePauliOp``.
        exact_energy: the problem's ground energy, or None for a bare operator.
        num_parameters: k, the length of ``theta``.
        nfev: circuit evaluations so far (a batch of B counts B; under ZNE each point
            counts twice, one simulation per noise scale, while an optimiser counts it
            once); closed-form sinusoids from :meth:`coordinate_sweep` are not evaluations.
    """

    batched = True

    def __init__(
        self,
        problem,
        ansatz: QuantumCircuit,
        noise: NoiseProfile | str | None = None,
        *,
        shots: int | None = None,
        shot_model: str = "gaussian",
        seed: int | None = None,
        engine: str = "auto",
        mitigation: str | None = None,
    ) -> None:
        self.hamiltonian, self.exact_energy = _hamiltonian(problem)
        self.mitigation = check_mitigation(mitigation, shots)
        if not isinstance(ansatz, QuantumCircuit | Program):
            raise TypeError(
                f"ansatz must be a qiskit QuantumCircuit or a qneuro.ptm.Program, got "
                f"{type(ansatz).__name__}"
            )
        if ansatz.num_qubits != self.hamiltonian.num_qubits:
            raise ValueError(
                f"the ansatz has {ansatz.num_qubits} qubits but the Hamiltonian acts on "
                f"{self.hamiltonian.num_qubits}"
            )
        self.noise = NoiseProfile.preset(noise) if isinstance(noise, str) else noise
        estimated = self.noise
        if mitigation is not None and estimated is not None:
            estimated = estimated.without_readout()
        self.simulator = PTMSimulator(
            estimated, shots=shots, shot_model=shot_model, seed=seed, engine=engine
        )
        self.circuit = ansatz
        self.compiled: CompiledCircuit | StatevectorCircuit = self.simulator.compile(ansatz)
        ideal = self.noise is None or self.noise.is_ideal
        self._ideal_simulator = self.simulator if ideal else PTMSimulator(engine=engine)
        self._ideal = self.compiled if ideal else None  # compiled on first use
        self.num_parameters = self.compiled.num_parameters
        self.nfev = 0
        self._pauli_compiled: CompiledCircuit | None = None  # noiseless sweeps below 7 qubits
        self._amplified: Energy | None = None  # ZNE: the same energy under tripled noise
        if mitigation == "zne" and estimated is not None and not estimated.is_ideal:
            self._amplified = Energy(
                self.hamiltonian, ansatz, estimated.folded(ZNE_SCALES[1]), engine=engine
            )

    def __call__(self, theta, shots: int | None | str = "default") -> float | np.ndarray:
        """Noisy (and shot-noisy) energy; ``theta`` of shape ``(k,)`` or ``(B, k)``."""
        theta = self._check(theta)
        per_call = shots is not None and not (isinstance(shots, str) and shots == "default")
        if self.mitigation is not None and per_call:
            raise ValueError(
                f"shots={shots} with mitigation={self.mitigation!r}; allowed: exact "
                "expectation values (shots=None)"
            )
        scales = 1 if self._amplified is None else len(ZNE_SCALES)
        self.nfev += (1 if theta.ndim == 1 else theta.shape[0]) * scales
        value = self.simulator.expectation(self.compiled, self.hamiltonian, theta, shots=shots)
        return self._extrapolated(value, theta)

    def exact(self, theta) -> float | np.ndarray:
        """Noisy energy without shot noise (the expectation the shots estimate)."""
        theta = self._check(theta)
        value = self.simulator.expectation(self.compiled, self.hamiltonian, theta, shots=None)
        return self._extrapolated(value, theta)

    def _extrapolated(self, value, theta):
        """``value`` combined with the amplified-noise energy under ZNE, else as it is."""
        if self._amplified is None:
            return value
        return ZNE_WEIGHTS[0] * value + ZNE_WEIGHTS[1] * self._amplified.exact(theta)

    def noiseless(self, theta) -> float | np.ndarray:
        """Energy of the same angles with no gate, readout or shot noise."""
        theta = self._check(theta)
        if self._ideal is None:
            self._ideal = self._ideal_simulator.compile(self.compiled.program)
        return self._ideal_simulator.expectation(self._ideal, self.hamiltonian, theta, shots=None)

    def error(self, theta) -> float | np.ndarray:
        """Noiseless error ``noiseless(theta) - exact_energy`` (needs a known exact energy)."""
        if self.exact_energy is None:
            raise ValueError("no exact energy known: pass a Problem, not a bare operator")
        return self.noiseless(theta) - self.exact_energy

    def coordinate_sweep(self, x, coordinates: int, engine: str | None = None):
        """Exact sinusoids along parameters ``k-1, k-2, ..., k-coordinates`` from ``x``.

        Returns None unless the energy is exact (no shots) and parameter i is the angle of
        the i-th rotation alone (``theta_i = offset_i +- x_i``), as in every circuit the
        environments build and in :func:`hardware_efficient_ansatz`, and the sweep's states
        fit in the simulator's memory budget (:func:`~qneuro.ptm.sweep.sweep_memory`;
        Rotosolve then evaluates the energy instead). Otherwise returns an
        object with ``sinusoid(d) -> (a, b, c)``, meaning
        ``E(x with x_d = t) = a + b cos(t) + c sin(t)``, and ``move(d, value)``, visited
        for ``d = k-1`` down to ``k - coordinates`` (see :mod:`qneuro.ptm.sweep`).

        ``engine`` picks the sweep: ``"ptm"`` (Pauli vectors, any noise), ``"statevector"``
        (ideal gates only) or None: statevectors for ideal gates from
        :data:`~qneuro.ptm.sweep.STATEVECTOR_SWEEP_FROM_QUBITS` qubits, else Pauli vectors.
        """
        if engine not in (None, "ptm", "statevector"):
            raise ValueError(f"engine={engine!r}; allowed: None, 'ptm', 'statevector'")
        if self.simulator.shots is not None:
            return None
        program = self.compiled.program
        signs = _slot_signs(program)
        if signs is None or not 1 <= coordinates <= self.num_parameters:
            return None
        n = self.compiled.num_qubits
        ideal = self.compiled.engine == "statevector"
        if engine == "statevector" and not ideal:
            raise ValueError(
                "a statevector sweep needs the statevector engine (ideal gates and "
                f"engine='auto'); this energy runs on the {self.compiled.engine} engine"
            )
        statevector = engine == "statevector" or (
            engine is None and ideal and n >= STATEVECTOR_SWEEP_FROM_QUBITS
        )
        need, budget = sweep_memory(n, coordinates, statevector), self.simulator.memory_budget
        if self._amplified is not None:  # ZNE: a second sweep of the same size
            budget //= 2
        if need > budget:
            return None
        x = np.asarray(x, dtype=float)
        angles = program.offsets + signs * x
        first = self.num_parameters - coordinates
        if statevector:
            observable = self.simulator.statevector_observable(self.hamiltonian, n)
            if need + observable.held_bytes > budget:
                return None
            sweep = StatevectorSweep(self.compiled, observable, angles, first)
        else:
            indices, coeffs, _ = self.simulator.observable_terms(self.hamiltonian, n)
            compiled = self.compiled
            if compiled.engine != "ptm":
                if self._pauli_compiled is None:
                    self._pauli_compiled = CompiledCircuit(
                        program, None, memory_budget=self.simulator.memory_budget
                    )
                compiled = self._pauli_compiled
            vector = np.zeros(4**n)
            vector[indices] = coeffs
            sweep = PauliSweep(compiled, vector, angles, first)
        sweep = _ParameterSweep(sweep, program.offsets, signs)
        if self._amplified is None:
            return sweep
        amplified = self._amplified.coordinate_sweep(x, coordinates, engine)
        if amplified is None:
            return None
        return _WeightedSweeps((sweep, amplified), ZNE_WEIGHTS)

    def value_and_gradient(self, x) -> tuple[float, np.ndarray] | None:
        """``(E(x), dE/dx)`` exactly, from one sweep that moves no angle; None as for sweeps.

        Along coordinate d the energy is ``a + b cos(x_d) + c sin(x_d)`` (the others
        fixed), so ``dE/dx_d = c cos(x_d) - b sin(x_d)``: the parameter-shift gradient
        ``(E(x + pi/2 e_d) - E(x - pi/2 e_d)) / 2`` without its ``2k`` evaluations. Not
        counted in :attr:`nfev`. Returns None when :meth:`coordinate_sweep` would.
        """
        x = np.array(self._check(x), dtype=float)
        if x.ndim != 1:
            raise ValueError(f"x has shape {x.shape}; expected ({self.num_parameters},)")
        sweep = self.coordinate_sweep(x, self.num_parameters)
        if sweep is None:
            return None
        gradient = np.empty_like(x)
        value = 0.0
        for d in range(x.size - 1, -1, -1):
            a, b, c = sweep.sinusoid(d)
            cos, sin = np.cos(x[d]), np.sin(x[d])
            value = a + b * cos + c * sin
            gradient[d] = c * cos - b * sin
            sweep.move(d, x[d])
        return float(value), gradient

    def _check(self, theta) -> np.ndarray:
        theta = np.asarray(theta, dtype=float)
        if theta.ndim not in (1, 2) or theta.shape[-1] != self.num_parameters:
            raise ValueError(
                f"theta has shape {theta.shape}; expected ({self.num_parameters},) or "
                f"(B, {self.num_parameters})"
            )
        finite = np.isfinite(theta)
        if not finite.all():
            at = np.unravel_index(int(np.argmin(finite)), theta.shape)
            index = ", ".join(str(int(i)) for i in at)
            raise ValueError(f"theta[{index}] is {theta[at]}; allowed: finite angles")
        return theta


@dataclass
class VQEResult:
    """A VQE run's outcome.

    Attributes:
        parameters: best angles, shape ``(k,)``.
        energy: the measured (noisy, shot-noisy) energy at ``parameters``.
        noiseless_energy: the exact noiseless energy of ``parameters`` (Ha).
        error: ``noiseless_energy - exact_energy`` (Ha), or None without an exact energy.
        optimization: the optimiser's :class:`~qneuro.optim.OptimizeResult` (history).
    """

    parameters: np.ndarray
    energy: float
    noiseless_energy: float
    error: float | None
    optimization: OptimizeResult


def run(
    problem,
    ansatz: QuantumCircuit,
    *,
    noise: NoiseProfile | str | None = None,
    shots: int | None = None,
    shot_model: str = "gaussian",
    optimizer="adam-spsa",
    budget: int = 500,
    seed: int | None = None,
    x0=None,
    mitigation: str | None = None,
    **options,
) -> VQEResult:
    """Minimise the energy of ``ansatz`` for ``problem`` (arguments as :class:`Energy`).

    Args:
        problem: a :class:`qneuro.chem.Problem` or a ``SparsePauliOp``.
        ansatz: parameterised circuit.
        noise: noise profile, preset name or None.
        shots: shots per term (None: exact).
        shot_model: ``"gaussian"`` or ``"sampled"``.
        optimizer: a name from :data:`qneuro.optim.OPTIMIZERS` or a configuration object.
        budget: energy evaluations to spend.
        seed: seeds the start angles, the optimiser and the shot noise.
        x0: start angles; default uniform in ``[0, 0.1)`` (the CRLQAS initialisation).
        mitigation: None, ``"readout"`` or ``"zne"`` (:class:`Energy`).
        **options: fields of the optimiser's configuration.
    """
    energy = Energy(
        problem, ansatz, noise, shots=shots, shot_model=shot_model, seed=seed, mitigation=mitigation
    )
    rng = np.random.default_rng(seed)
    if x0 is None:
        x0 = rng.uniform(0.0, 0.1, size=energy.num_parameters)
    result = get_optimizer(optimizer, **options).minimize(
        energy, x0, budget=budget, seed=int(rng.integers(2**32))
    )
    noiseless = float(energy.noiseless(result.x))
    error = None if energy.exact_energy is None else noiseless - energy.exact_energy
    return VQEResult(result.x, result.fun, noiseless, error, result)


def hardware_efficient_ansatz(num_qubits: int, layers: int) -> QuantumCircuit:
    """RY and RZ on every qubit, then a CX chain, ``layers`` times, then RY and RZ again.

    ``2 * num_qubits * (layers + 1)`` parameters named ``θ[i]``.
    """
    integers = all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) for v in (num_qubits, layers)
    )
    if not integers or num_qubits < 1 or layers < 0:
        raise ValueError(
            f"num_qubits={num_qubits!r}, layers={layers!r}; allowed: integers >= 1 and >= 0"
        )
    theta = ParameterVector("θ", 2 * num_qubits * (layers + 1))
    circuit = QuantumCircuit(num_qubits)
    angles = iter(theta)
    for layer in range(layers + 1):
        for q in range(num_qubits):
            circuit.ry(next(angles), q)
            circuit.rz(next(angles), q)
        if layer < layers:
            for q in range(num_qubits - 1):
                circuit.cx(q, q + 1)
    return circuit


def parameterised(circuit: QuantumCircuit) -> tuple[QuantumCircuit, np.ndarray]:
    """A bound circuit with each RX, RY, RZ angle made a parameter, and those angles.

    Parameters follow gate order (``θ[0]`` is the first rotation's angle), so
    ``Energy(problem, ansatz)(angles)`` is the energy of ``circuit``: re-optimise the
    angles of a found circuit from where its search left them. Other gates are kept.
    """
    names = [instruction.operation.name for instruction in circuit.data]
    theta = iter(ParameterVector("θ", sum(name in ("rx", "ry", "rz") for name in names)))
    out = QuantumCircuit(circuit.num_qubits)
    angles = []
    for name, instruction in zip(names, circuit.data, strict=True):
        qubits = [circuit.find_bit(q).index for q in instruction.qubits]
        if name in ("rx", "ry", "rz"):
            angles.append(float(instruction.operation.params[0]))
            getattr(out, name)(next(theta), qubits)
        else:
            out.append(instruction.operation, qubits)
    return out, np.array(angles)


class _ParameterSweep:
    """A slot sweep seen in parameter coordinates (``theta_d = offset_d + sign_d x_d``)."""

    def __init__(self, sweep, offsets: np.ndarray, signs: np.ndarray) -> None:
        self.sweep, self.offsets, self.signs = sweep, offsets, signs

    def sinusoid(self, d: int) -> tuple[float, float, float]:
        """``(a, b, c)`` with ``E = a + b cos(x_d) + c sin(x_d)``."""
        a, b, c = self.sweep.sinusoid(d)
        offset, sign = self.offsets[d], self.signs[d]
        if offset == 0.0:
            return a, b, sign * c
        cos, sin = np.cos(offset), np.sin(offset)
        return a, b * cos + c * sin, sign * (c * cos - b * sin)

    def move(self, d: int, value: float) -> None:
        """Set ``x_d = value``."""
        self.sweep.move(d, self.offsets[d] + self.signs[d] * value)


def check_mitigation(mitigation, shots: int | None = None) -> str | None:
    """``mitigation`` when it is one of :data:`MITIGATIONS` and ``shots`` is None (if set)."""
    if mitigation is not None:
        checks.one_of("mitigation", mitigation, ("readout", "zne"))
        if shots is not None:
            raise ValueError(
                f"mitigation={mitigation!r} with shots={shots}; allowed: mitigation with exact "
                "expectation values (shots=None)"
            )
    return mitigation


class _WeightedSweeps:
    """Sweeps of several energies seen as one: ``E = sum_i w_i E_i`` (ZNE)."""

    def __init__(self, sweeps, weights) -> None:
        self.sweeps, self.weights = sweeps, weights

    def sinusoid(self, d: int) -> tuple[float, float, float]:
        """``(a, b, c)`` with ``E = a + b cos(x_d) + c sin(x_d)``."""
        parts = np.array([sweep.sinusoid(d) for sweep in self.sweeps])
        a, b, c = np.asarray(self.weights) @ parts
        return float(a), float(b), float(c)

    def move(self, d: int, value: float) -> None:
        """Set ``x_d = value`` in every sweep."""
        for sweep in self.sweeps:
            sweep.move(d, value)


def _slot_signs(program: Program) -> np.ndarray | None:
    """Per parameter i, the sign s_i when slot i's angle is ``offset_i + s_i x_i``, else None."""
    if program.num_slots != program.num_parameters:
        return None
    signs = np.empty(program.num_parameters)
    for i, terms in enumerate(program.slot_parameters()):
        if len(terms) != 1 or terms[0][0] != i or abs(terms[0][1]) != 1.0:
            return None
        signs[i] = terms[0][1]
    return signs


def _hamiltonian(problem) -> tuple[SparsePauliOp, float | None]:
    if isinstance(problem, SparsePauliOp):
        check_finite_coefficients(problem)
        return problem, None
    hamiltonian = getattr(problem, "hamiltonian", None)
    if not isinstance(hamiltonian, SparsePauliOp):
        raise TypeError(
            f"problem must be a qneuro.chem.Problem or a SparsePauliOp, got "
            f"{type(problem).__name__}"
        )
    return hamiltonian, problem.exact_energy
