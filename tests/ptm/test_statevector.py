"""The statevector engine against qiskit's Statevector and against the PTM engine."""

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter, ParameterVector
from qiskit.quantum_info import SparsePauliOp, Statevector

from qneuro.noise import NoiseProfile
from qneuro.ptm import Program, PTMSimulator, StatevectorCircuit
from qneuro.ptm.observable import pauli_terms
from qneuro.ptm.statevector import StatevectorObservable, pauli_expectations
from tests.conftest import random_gate_circuit, random_observable


def parametric_circuit(num_qubits, layers, seed):
    """Rotations of every kind on random qubits, CX/CZ/SWAP on distant pairs, one
    parameter per rotation, and a fixed u gate."""
    rng = np.random.default_rng(seed)
    theta = ParameterVector("t", layers * (num_qubits + 1))
    angles = iter(theta)
    circuit = QuantumCircuit(num_qubits)
    circuit.x(0)
    for _ in range(layers):
        for q in range(num_qubits):
            getattr(circuit, rng.choice(["rx", "ry", "rz", "p"]))(next(angles), q)
        a, b = (int(q) for q in rng.choice(num_qubits, 2, replace=False))
        getattr(circuit, rng.choice(["rzz", "rxx", "ryy", "rzx"]))(next(angles), a, b)
        a, b = (int(q) for q in rng.choice(num_qubits, 2, replace=False))
        getattr(circuit, rng.choice(["cx", "cz", "swap", "ecr"]))(a, b)
        circuit.u(*rng.uniform(-np.pi, np.pi, 3), int(rng.integers(num_qubits)))
    return circuit


def same_up_to_phase(a, b):
    return abs(abs(np.vdot(a, b)) - 1.0)


@pytest.mark.parametrize("num_qubits", [1, 2, 3, 5, 7])
def test_statevector_matches_qiskit_for_every_gate(num_qubits):
    circuit = random_gate_circuit(num_qubits, 15 * num_qubits, seed=40 + num_qubits)
    ours = PTMSimulator().statevector(circuit)
    assert same_up_to_phase(ours, Statevector(circuit).data) < 1e-12


@pytest.mark.parametrize("num_qubits", [2, 4, 6])
def test_batched_parametric_statevectors_match_qiskit_and_the_ptm(num_qubits):
    circuit = parametric_circuit(num_qubits, layers=4, seed=num_qubits)
    values = np.random.default_rng(1).uniform(-np.pi, np.pi, (5, circuit.num_parameters))
    simulator = PTMSimulator()
    compiled = simulator.compile(circuit)
    assert compiled.engine == "statevector"
    states = simulator.statevector(compiled, values)
    observable = random_observable(num_qubits, 20, seed=3)
    energies = simulator.expectation(compiled, observable, values)
    ptm = PTMSimulator(engine="ptm").expectation(circuit, observable, values)
    for row, state in enumerate(states):
        bound = Statevector(circuit.assign_parameters(values[row]))
        assert same_up_to_phase(state, bound.data) < 1e-12
        assert energies[row] == pytest.approx(bound.expectation_value(observable).real, abs=1e-10)
    np.testing.assert_allclose(energies, ptm, atol=1e-10)
    np.testing.assert_allclose(
        simulator.pauli_vector(compiled, values),
        PTMSimulator(engine="ptm").pauli_vector(circuit, values),
        atol=1e-10,
    )


def test_engine_choice_follows_the_gate_noise():
    circuit = random_gate_circuit(3, 20, seed=2)
    observable = random_observable(3, 10, seed=2)
    readout_only = NoiseProfile().add_readout(0.02, 0.05)
    noisy = NoiseProfile.depolarizing(0.01, 0.02)
    assert PTMSimulator().compile(circuit).engine == "statevector"
    assert PTMSimulator(readout_only).compile(circuit).engine == "statevector"
    assert PTMSimulator(noisy).compile(circuit).engine == "ptm"
    assert PTMSimulator(engine="ptm").compile(circuit).engine == "ptm"
    # Readout error is folded into the observable for both engines alike.
    assert PTMSimulator(readout_only).expectation(circuit, observable) == pytest.approx(
        PTMSimulator(readout_only, engine="ptm").expectation(circuit, observable), abs=1e-12
    )
    with pytest.raises(ValueError, match="needs ideal gates"):
        PTMSimulator(noisy, engine="statevector").compile(circuit)
    with pytest.raises(ValueError, match="engine='fast'"):
        PTMSimulator(engine="fast")
    with pytest.raises(ValueError, match="gates are noisy"):
        PTMSimulator(noisy).statevector(circuit)


def test_sampled_shots_on_statevectors_are_unbiased():
    circuit = random_gate_circuit(3, 18, seed=9)
    observable = random_observable(3, 8, seed=9)
    noise = NoiseProfile().add_readout(0.03, 0.08)
    exact = PTMSimulator(noise).expectation(circuit, observable)
    simulator = PTMSimulator(noise, shots=1000, shot_model="sampled", seed=4)
    assert simulator.compile(circuit).engine == "statevector"
    values = simulator.expectation(circuit, observable, np.zeros((800, 0)))
    assert abs(values.mean() - exact) < 4 * values.std() / np.sqrt(len(values))


@pytest.mark.parametrize("batch", [1, 3, 200])
def test_observable_values_in_every_batch_path(batch):
    num_qubits = 7
    observable = random_observable(num_qubits, 40, seed=5)
    indices, coeffs = pauli_terms(observable, num_qubits)
    rng = np.random.default_rng(batch)
    states = rng.normal(size=(batch, 2**num_qubits)) + 1j * rng.normal(size=(batch, 2**num_qubits))
    states /= np.linalg.norm(states, axis=1, keepdims=True)
    operator = StatevectorObservable(indices, coeffs, num_qubits)
    expected = [Statevector(s).expectation_value(observable).real for s in states]
    np.testing.assert_allclose(operator.values(states), expected, atol=1e-12)
    applied = operator.apply(states)
    np.testing.assert_allclose(
        np.einsum("bj,bj->b", states.conj(), applied).real, expected, atol=1e-12
    )
    np.testing.assert_allclose(
        pauli_expectations(states[:2], indices, num_qubits) @ coeffs, expected[:2], atol=1e-12
    )


def test_program_built_by_hand_equals_the_lowered_circuit():
    theta = ParameterVector("t", 3)
    circuit = QuantumCircuit(3)
    circuit.x(1)
    circuit.ry(theta[0], 0)
    circuit.cx(0, 2)
    circuit.rzz(theta[1], 2, 1)
    circuit.rx(theta[2], 1)
    program = Program(3, 3)
    program.add_gate("x", (1,))
    program.add_rotation("ry", (0,), 0)
    program.add_gate("cx", (0, 2))
    program.add_rotation("rzz", (2, 1), 1)
    program.add_rotation("rx", (1,), 2)
    values = np.array([[0.3, -1.2, 2.0], [1.0, 0.5, -0.1]])
    np.testing.assert_allclose(
        StatevectorCircuit(program).evolve(values),
        StatevectorCircuit(circuit).evolve(values),
        atol=1e-14,
    )
    with pytest.raises(ValueError, match="parameter index 3"):
        program.add_rotation("ry", (0,), 3)
    observable = SparsePauliOp(["ZZI", "XIX"], [1.0, 0.5])
    assert PTMSimulator().expectation(program, observable, values[0]) == pytest.approx(
        PTMSimulator().expectation(circuit, observable, values[0]), abs=1e-14
    )


def test_program_checks_what_it_is_given():
    program = Program(3, 2)
    with pytest.raises(ValueError, match="gate 'foo' is not a fixed gate"):
        program.add_gate("foo", (0,))
    with pytest.raises(ValueError, match=r"cx on qubits \(0, 0\): needs 2 distinct"):
        program.add_gate("cx", (0, 0))
    with pytest.raises(ValueError, match=r"ry on qubits \(3,\): needs 1 distinct qubit"):
        program.add_rotation("ry", (3,), 0)
    with pytest.raises(ValueError, match="gate 'rq' is not a rotation"):
        program.add_rotation("rq", (0,), 0)
    with pytest.raises(ValueError, match="parameter= or as terms="):
        program.add_rotation("ry", (0,), 0, terms=((1, 1.0),))
    # a compiled form keeps its own copy: later additions do not reach it
    program.add_rotation("ry", (0,), 0)
    compiled = StatevectorCircuit(program)
    program.add_rotation("rx", (1,), 1)
    assert compiled.num_gates == 1 and compiled.program.num_slots == 1


def test_compile_cache_notices_added_qubits_and_respects_the_engine():
    from qiskit import QuantumRegister

    circuit = QuantumCircuit(1)
    circuit.x(0)
    simulator = PTMSimulator()
    assert simulator.pauli_vector(circuit).shape == (4,)
    circuit.add_register(QuantumRegister(1, "extra"))
    assert simulator.pauli_vector(circuit).shape == (16,)
    assert simulator.expectation(circuit, SparsePauliOp("IZ")) == pytest.approx(-1.0)
    pauli = PTMSimulator(engine="ptm")
    assert pauli.compile(simulator.compile(circuit)).engine == "ptm"


def test_wide_batches_hold_one_state_for_expectations_and_all_for_pauli_vectors():
    circuit = QuantumCircuit(7)
    circuit.h(0)
    circuit.cx(0, 6)
    simulator = PTMSimulator(NoiseProfile.depolarizing(0.01, 0.02), memory_budget=2**20)
    observable = SparsePauliOp(["X" + "I" * 5 + "X", "Z" * 7], [0.5, 1.0])
    # 64 Pauli vectors of 128 KiB do not fit in 1 MiB; the expectations need two at a time
    values = simulator.expectation(circuit, observable, np.zeros((64, 0)))
    single = simulator.expectation(circuit, observable)
    assert values.shape == (64,) and np.all(values == single)
    needs = r"batch 64 on Pauli vectors needs 8\.1 MiB \(Pauli vectors 8\.0 MiB, scratch 128\.0 KiB"
    with pytest.raises(ValueError, match=needs):
        simulator.compile(circuit).evolve(np.zeros((64, 0)))


def test_wide_reductions_copy_each_row_and_take_empty_batches():
    circuit = QuantumCircuit(7)
    theta = Parameter("t")
    circuit.ry(theta, 0)
    circuit.cx(0, 6)
    compiled = PTMSimulator(NoiseProfile.depolarizing(0.01, 0.02)).compile(circuit)
    values = np.array([[0.1], [0.9], [2.0]])
    full = compiled.evolve(values)
    np.testing.assert_array_equal(compiled.evolve(values, reduce=lambda s: s), full)
    assert compiled.evolve(np.zeros((0, 1)), reduce=lambda s: s[:, 0]).shape == (0,)
