"""The simulator against independent oracles: qiskit-aer's density matrix and statevectors."""

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.circuit import Gate, Instruction, Parameter, ParameterVector
from qiskit.circuit.library import RXGate, RYGate, efficient_su2
from qiskit.quantum_info import SparsePauliOp, Statevector, random_quantum_channel
from qiskit_aer import AerSimulator
from qiskit_aer.noise import (
    NoiseModel,
    ReadoutError,
    amplitude_damping_error,
    depolarizing_error,
    pauli_error,
    phase_damping_error,
    thermal_relaxation_error,
)

from qneuro.noise import NoiseProfile
from qneuro.ptm import PTMSimulator
from tests.conftest import (
    ONE_QUBIT_FIXED,
    ONE_QUBIT_ROTATIONS,
    TWO_QUBIT_FIXED,
    TWO_QUBIT_ROTATIONS,
    random_gate_circuit,
    random_observable,
)

ALL_ONE = ONE_QUBIT_FIXED + ONE_QUBIT_ROTATIONS + ["u"]
ALL_TWO = TWO_QUBIT_FIXED + TWO_QUBIT_ROTATIONS


def aer_expectation(circuit, observable, noise_model=None):
    circuit = circuit.copy()
    circuit.save_expectation_value(observable, range(circuit.num_qubits))
    simulator = AerSimulator(method="density_matrix", noise_model=noise_model)
    return float(simulator.run(circuit).result().data()["expectation_value"])


def random_noise_model(num_qubits, seed):
    """Every kind of channel: depolarizing, Pauli, amplitude/phase damping, thermal
    relaxation, a random CPTP map, per gate and per qubit."""
    rng = np.random.default_rng(seed)
    model = NoiseModel()
    kinds = [
        lambda: depolarizing_error(rng.uniform(0, 0.05), 1),
        lambda: pauli_error([("X", 0.02), ("Y", 0.01), ("Z", 0.03), ("I", 0.94)]),
        lambda: amplitude_damping_error(rng.uniform(0, 0.1)),
        lambda: phase_damping_error(rng.uniform(0, 0.1)),
        lambda: thermal_relaxation_error(50e-6, 60e-6, rng.uniform(20e-9, 500e-9)),
        lambda: depolarizing_error(0.01, 1).compose(amplitude_damping_error(0.05)),
    ]
    for i, gate in enumerate(ALL_ONE):
        model.add_all_qubit_quantum_error(kinds[i % len(kinds)](), [gate])
    # Qubit-specific errors override the default ones.
    model.add_quantum_error(amplitude_damping_error(0.2), ["h", "rx"], [0])
    for gate in ALL_TWO:
        model.add_all_qubit_quantum_error(depolarizing_error(rng.uniform(0, 0.05), 2), [gate])
    model.add_all_qubit_quantum_error(
        thermal_relaxation_error(40e-6, 30e-6, 300e-9)
        .expand(thermal_relaxation_error(60e-6, 90e-6, 300e-9))
        .compose(depolarizing_error(0.01, 2)),
        ["cx"],
    )
    if num_qubits >= 2:
        model.add_quantum_error(random_quantum_channel(4, seed=seed), ["cz"], [0, 1])
    return model


@pytest.mark.parametrize("num_qubits", [1, 2, 3, 4, 5, 6])
def test_noiseless_equals_statevector(num_qubits):
    circuit = random_gate_circuit(num_qubits, 12 * num_qubits, seed=num_qubits)
    observable = random_observable(num_qubits, 15, seed=num_qubits)
    expected = Statevector(circuit).expectation_value(observable).real
    assert PTMSimulator().expectation(circuit, observable) == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize("num_qubits", [1, 2, 3, 4, 5, 6])
def test_noisy_random_circuits_equal_aer_density_matrix(num_qubits):
    circuit = random_gate_circuit(num_qubits, 10 * num_qubits, seed=10 + num_qubits)
    observable = random_observable(num_qubits, 20, seed=num_qubits)
    model = random_noise_model(num_qubits, seed=num_qubits)
    ours = PTMSimulator(NoiseProfile.from_noise_model(model)).expectation(circuit, observable)
    assert ours == pytest.approx(aer_expectation(circuit, observable, model), abs=1e-9)


def test_every_gate_with_noise_equals_aer():
    circuit = QuantumCircuit(3)
    for gate in ALL_ONE:
        if gate in ONE_QUBIT_ROTATIONS:
            getattr(circuit, gate)(0.7, 1)
        elif gate == "u":
            circuit.u(0.3, 1.2, -0.4, 2)
        else:
            getattr(circuit, gate)(0)
        circuit.h(2)
    for gate in ALL_TWO:
        args = (0.9, 2, 0) if gate in TWO_QUBIT_ROTATIONS else (2, 0)
        getattr(circuit, gate)(*args)
        circuit.ry(0.2, 1)
        getattr(circuit, gate)(*((0.4, 1, 2) if gate in TWO_QUBIT_ROTATIONS else (1, 2)))
    observable = random_observable(3, 30, seed=5)
    model = random_noise_model(3, seed=9)
    ours = PTMSimulator(NoiseProfile.from_noise_model(model)).expectation(circuit, observable)
    assert ours == pytest.approx(aer_expectation(circuit, observable, model), abs=1e-9)


def mumbai_noise_model(physical):
    """qiskit-aer's NoiseModel.from_backend(FakeMumbaiV2), restricted to ``physical``."""
    fake_provider = pytest.importorskip("qiskit_ibm_runtime.fake_provider")
    full = NoiseModel.from_backend(fake_provider.FakeMumbaiV2())
    relabel = {q: i for i, q in enumerate(physical)}
    model = NoiseModel(basis_gates=full.basis_gates)
    for gate, by_qubits in full._local_quantum_errors.items():
        for qubits, error in by_qubits.items():
            if all(q in relabel for q in qubits):
                model.add_quantum_error(error, gate, [relabel[q] for q in qubits])
    for qubits, error in full._local_readout_errors.items():
        if qubits[0] in relabel:
            model.add_readout_error(error, [relabel[qubits[0]]])
    return model


@pytest.mark.parametrize("physical", [[0, 1, 2, 3], [12, 13, 14]])
def test_mumbai_noise_model_equals_aer(physical):
    model = mumbai_noise_model(physical)
    n = len(physical)
    coupling = [[a, b] for a, b in model._local_quantum_errors["cx"]]
    ansatz = efficient_su2(n, reps=2, entanglement="linear")
    circuit = transpile(
        ansatz.assign_parameters(np.random.default_rng(2).uniform(-3, 3, ansatz.num_parameters)),
        basis_gates=["rz", "sx", "x", "cx"],
        coupling_map=coupling,
        initial_layout=list(range(n)),
        optimization_level=0,
        seed_transpiler=1,
    )
    observable = random_observable(n, 20, seed=n)
    profile = NoiseProfile.from_noise_model(model)
    profile_without_readout = NoiseProfile.from_noise_model(_without_readout(model))
    expected = aer_expectation(circuit, observable, model)  # Aer ignores readout here
    ours = PTMSimulator(profile_without_readout).expectation(circuit, observable)
    assert ours == pytest.approx(expected, abs=1e-9)
    # Our device model reproduces NoiseModel.from_backend's channels exactly.
    fake_provider = pytest.importorskip("qiskit_ibm_runtime.fake_provider")
    device = NoiseProfile.from_backend(fake_provider.FakeMumbaiV2()).subset(physical)
    for gate, qubits in [("sx", (0,)), ("x", (n - 1,)), ("cx", tuple(coupling[0]))]:
        np.testing.assert_allclose(
            device.gate_channel(gate, qubits), profile.gate_channel(gate, qubits), atol=1e-12
        )
    assert [device.readout(q) for q in range(n)] == [profile.readout(q) for q in range(n)]


def _without_readout(model):
    copy = NoiseModel(basis_gates=model.basis_gates)
    for gate, by_qubits in model._local_quantum_errors.items():
        for qubits, error in by_qubits.items():
            copy.add_quantum_error(error, gate, qubits)
    return copy


def test_readout_error_matches_sampled_counts():
    """Aer's expectation ignores readout; its sampled counts do not."""
    circuit = QuantumCircuit(3)
    circuit.ry(1.1, 0)
    circuit.cx(0, 1)
    circuit.rx(0.6, 2)
    circuit.h(1)
    readout = {0: (0.08, 0.03), 1: (0.02, 0.12), 2: (0.05, 0.05)}
    model = NoiseModel()
    for q, (p10, p01) in readout.items():
        model.add_readout_error(ReadoutError([[1 - p10, p10], [p01, 1 - p01]]), [q])
    profile = NoiseProfile.from_noise_model(model)
    assert profile.readout(1) == (0.02, 0.12)
    observable = SparsePauliOp.from_list([("ZZZ", 0.7), ("IZZ", -0.4), ("ZII", 1.2), ("IIZ", 0.3)])
    ours = PTMSimulator(profile).expectation(circuit, observable)
    measured = circuit.copy()
    measured.measure_all()
    shots = 400_000
    counts = (
        AerSimulator(noise_model=model, seed_simulator=3)
        .run(measured, shots=shots)
        .result()
        .get_counts()
    )
    estimate = 0.0
    for bits, count in counts.items():
        z = [1 - 2 * int(b) for b in reversed(bits)]  # z[q] for qubit q
        value = 0.7 * z[0] * z[1] * z[2] - 0.4 * z[0] * z[1] + 1.2 * z[2] + 0.3 * z[0]
        estimate += value * count / shots
    sigma = 2.6 / np.sqrt(shots)  # |observable| <= 2.6
    assert abs(ours - estimate) < 5 * sigma
    ideal = PTMSimulator().expectation(circuit, observable)
    assert abs(ours - ideal) > 20 * sigma  # the readout effect is resolved


def test_parameters_bind_in_circuit_order_and_batch():
    theta = ParameterVector("t", 4)
    b = Parameter("b")
    circuit = QuantumCircuit(2)
    circuit.ry(theta[0], 0)
    circuit.rz(2 * theta[1] - 0.5, 0)  # affine expressions are allowed
    circuit.cx(0, 1)
    circuit.rx(theta[2] + b, 1)
    circuit.u(theta[3], b, 0.2, 0)
    observable = random_observable(2, 8, seed=1)
    simulator = PTMSimulator(NoiseProfile.depolarizing(0.01, 0.02))
    values = np.random.default_rng(0).uniform(-2, 2, (7, circuit.num_parameters))
    batch = simulator.expectation(circuit, observable, values)
    assert batch.shape == (7,)
    for row, value in zip(values, batch, strict=True):
        single = simulator.expectation(circuit.assign_parameters(row), observable)
        assert value == pytest.approx(single, abs=1e-12)
        assert simulator.expectation(circuit, observable, row) == pytest.approx(value, abs=1e-12)
    assert isinstance(simulator.expectation(circuit, observable, values[0]), float)


def test_compiled_circuit_is_reused_and_rebuilt_on_change():
    theta = ParameterVector("t", 2)
    circuit = QuantumCircuit(2)
    circuit.ry(theta[0], 0)
    circuit.cx(0, 1)
    simulator = PTMSimulator()
    first = simulator.compile(circuit)
    assert simulator.compile(circuit) is first
    circuit.rx(theta[1], 1)  # the RL loop appends gates
    second = simulator.compile(circuit)
    assert second is not first and second.num_parameters == 2
    observable = SparsePauliOp("ZZ")
    values = [0.3, 0.8]
    expected = Statevector(circuit.assign_parameters(values)).expectation_value(observable).real
    assert simulator.expectation(circuit, observable, values) == pytest.approx(expected)


def _custom_rx(angle):
    """A Python-defined gate the simulator reads by name: its parameters can change in place."""
    return Gate("rx", 1, [angle])


def _replace(circuit, index, **changes):
    circuit.data[index] = circuit.data[index].replace(**changes)


SAME_LENGTH_CHANGES = {
    "angle": lambda circuit: _replace(circuit, 0, params=[1.1]),
    "qubits": lambda circuit: _replace(circuit, 1, qubits=circuit.qubits[::-1]),
    "gate": lambda circuit: _replace(circuit, 2, operation=RYGate(0.4)),
    "order": lambda circuit: circuit.data.insert(0, circuit.data.pop(2)),
    "custom-gate-in-place": lambda circuit: circuit.data[3].operation.params.__setitem__(0, 2.0),
}


@pytest.mark.parametrize(
    ("change", "custom"),
    [(change, False) for change in list(SAME_LENGTH_CHANGES)[:-1]]
    + [(change, True) for change in SAME_LENGTH_CHANGES],
)
def test_in_place_changes_of_the_same_length_are_noticed(change, custom):
    """Standard gates only, or with a Python-defined gate (two ways of checking)."""
    circuit = QuantumCircuit(2, 2)
    circuit.rx(0.3, 0)
    circuit.cx(0, 1)
    circuit.rz(0.7, 1)
    circuit.append(_custom_rx(0.5) if custom else RXGate(0.5), [1])
    circuit.h(0)
    circuit.barrier()
    circuit.measure([0, 1], [0, 1])
    simulator = PTMSimulator()
    observable = SparsePauliOp(["ZI", "XZ", "YY"], [0.4, -0.7, 0.2])
    first = simulator.compile(circuit)
    assert simulator.compile(circuit) is first
    SAME_LENGTH_CHANGES[change](circuit)
    assert simulator.compile(circuit) is not first
    oracle = QuantumCircuit(2)  # the gates as they are now, the custom one as a standard RX
    for instruction in circuit.data:
        if instruction.name not in ("barrier", "measure"):
            params = instruction.operation.params
            operation = RXGate(*params) if instruction.name == "rx" else instruction.operation
            oracle.append(operation, instruction.qubits)
    expected = Statevector(oracle).expectation_value(observable).real
    assert simulator.expectation(circuit, observable) == pytest.approx(expected, abs=1e-12)


def test_circuits_of_standard_gates_barriers_and_measurements_are_reused():
    circuit = random_gate_circuit(3, 20, seed=2)
    circuit.barrier()
    circuit.measure_all()
    simulator = PTMSimulator()
    first = simulator.compile(circuit)
    assert simulator.compile(circuit) is first


def test_a_parameter_moved_into_the_global_phase_rebinds_the_values():
    a, b, c = Parameter("a"), Parameter("b"), Parameter("c")
    circuit = QuantumCircuit(1)
    circuit.rx(b, 0)
    circuit.global_phase = c  # parameters (b, c)
    simulator = PTMSimulator()
    observable = SparsePauliOp("Z")
    simulator.expectation(circuit, observable, [0.5, 0.0])
    circuit.assign_parameters({c: a}, inplace=True)  # parameters (a, b): b moves to slot 1
    expected = np.cos(0.5)
    assert simulator.expectation(circuit, observable, [1.1, 0.5]) == pytest.approx(expected)


def test_cached_and_fresh_compiles_agree_after_edits_of_python_objects():
    """A labelled gate keeps its Python object beside the angle qiskit stores: editing that
    object does not change the circuit (qiskit's Statevector agrees). A Python-defined
    instruction is its object: renaming it changes the circuit."""
    observable = SparsePauliOp("Z")
    labelled = QuantumCircuit(1)
    labelled.append(RXGate(0.5, label="kept"), [0])
    simulator = PTMSimulator()
    simulator.expectation(labelled, observable)
    labelled.data[0].operation.params[0] = 1.1
    expected = Statevector(labelled).expectation_value(observable).real
    assert expected == pytest.approx(np.cos(0.5))
    assert simulator.expectation(labelled, observable) == pytest.approx(expected)
    assert PTMSimulator().expectation(labelled, observable) == pytest.approx(expected)

    named = QuantumCircuit(1)
    named.rx(0.5, 0)
    named.append(Instruction("barrier", 1, 0, []), [0])
    assert simulator.expectation(named, observable) == pytest.approx(np.cos(0.5))
    named.data[1].operation.name = "x"
    fresh = PTMSimulator().expectation(named, observable)
    assert fresh == pytest.approx(-np.cos(0.5))
    assert simulator.expectation(named, observable) == pytest.approx(fresh)


def test_pauli_vector_and_density_matrix():
    circuit = random_gate_circuit(3, 20, seed=4)
    model = random_noise_model(3, seed=4)
    simulator = PTMSimulator(NoiseProfile.from_noise_model(model))
    rho = simulator.density_matrix(circuit)
    aer_circuit = circuit.copy()
    aer_circuit.save_density_matrix()
    expected = (
        AerSimulator(method="density_matrix", noise_model=model)
        .run(aer_circuit)
        .result()
        .data()["density_matrix"]
    )
    np.testing.assert_allclose(rho, np.asarray(expected), atol=1e-10)
    state = simulator.pauli_vector(circuit)
    assert state.shape == (64,) and state[0] == pytest.approx(1.0)


def test_non_adjacent_and_reversed_two_qubit_gates():
    circuit = QuantumCircuit(5)
    circuit.h(range(5))
    circuit.cx(4, 0)
    circuit.rzz(0.3, 1, 3)
    circuit.ecr(3, 1)
    circuit.cx(0, 4)
    circuit.swap(2, 0)
    circuit.ry(0.5, 3)
    observable = random_observable(5, 30, seed=2)
    expected = Statevector(circuit).expectation_value(observable).real
    assert PTMSimulator().expectation(circuit, observable) == pytest.approx(expected, abs=1e-10)


def test_unsupported_gates_are_transpiled_and_measurements_ignored():
    circuit = QuantumCircuit(3)
    circuit.h(0)
    circuit.ccx(0, 1, 2)
    circuit.cp(0.4, 0, 2)
    circuit.barrier()
    circuit.measure_all()
    observable = random_observable(3, 10, seed=3)
    bare = circuit.remove_final_measurements(inplace=False)
    expected = Statevector(bare).expectation_value(observable).real
    assert PTMSimulator().expectation(circuit, observable) == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda c: c.reset(0), "reset"),
        (lambda c: (c.measure_all(), c.h(0)), "mid-circuit"),
    ],
)
def test_unsupported_instructions_are_rejected(make, match):
    circuit = QuantumCircuit(1)
    circuit.h(0)
    make(circuit)
    with pytest.raises(ValueError, match=match):
        PTMSimulator().expectation(circuit, SparsePauliOp("Z"))


def test_bad_inputs_get_clear_errors():
    circuit = QuantumCircuit(2)
    circuit.ry(Parameter("a"), 0)
    simulator = PTMSimulator()
    with pytest.raises(ValueError, match="pass parameter_values"):
        simulator.expectation(circuit, SparsePauliOp("ZZ"))
    with pytest.raises(ValueError, match=r"\(B, 1\)"):
        simulator.expectation(circuit, SparsePauliOp("ZZ"), [0.1, 0.2])
    with pytest.raises(ValueError, match="not Hermitian"):
        simulator.expectation(circuit, SparsePauliOp(["ZZ"], [1j]), [0.1])
    with pytest.raises(ValueError, match="acts on 3 qubits"):
        simulator.expectation(circuit, SparsePauliOp("ZZZ"), [0.1])
    with pytest.raises(TypeError, match="NoiseProfile.preset"):
        PTMSimulator("mumbai-median")
    with pytest.raises(ValueError, match="shots"):
        PTMSimulator(shots=0)
    nonlinear = QuantumCircuit(1)
    a = Parameter("a")
    nonlinear.rx(a * a, 0)
    with pytest.raises(ValueError, match="not affine"):
        simulator.expectation(nonlinear, SparsePauliOp("Z"), [0.3])


def test_memory_budget_error_states_the_size():
    circuit = QuantumCircuit(15)
    with pytest.raises(
        ValueError,
        match=r"on Pauli vectors needs 16\.0 GiB \(Pauli vectors "
        r"8\.0 GiB, scratch 8\.0 GiB.*budget of 4\.0 GiB",
    ):
        PTMSimulator(engine="ptm").compile(circuit)
    with pytest.raises(
        ValueError,
        match=r"on statevectors needs 16\.0 GiB \(statevectors "
        r"8\.0 GiB, scratch 8\.0 GiB.*budget",
    ):
        PTMSimulator().compile(QuantumCircuit(29))
    small = PTMSimulator(memory_budget=2**20, engine="ptm")
    with pytest.raises(ValueError, match="batch 64"):
        small.expectation(
            QuantumCircuit(6, global_phase=0), SparsePauliOp("I" * 6), np.zeros((64, 0))
        )


def test_gaussian_shot_noise_statistics_and_seed():
    circuit = QuantumCircuit(2)
    circuit.ry(0.7, 0)
    circuit.cx(0, 1)
    observable = SparsePauliOp.from_list([("ZZ", 1.0), ("XI", 0.5), ("II", -0.3)])
    exact = PTMSimulator().expectation(circuit, observable)
    shots = 400
    simulator = PTMSimulator(shots=shots, shot_model="gaussian", seed=5)
    values = simulator.expectation(circuit, observable, np.zeros((4000, 0)))
    # Var = sum over non-identity terms of h^2 / shots.
    assert np.std(values) == pytest.approx(np.sqrt((1 + 0.25) / shots), rel=0.05)
    assert np.mean(values) == pytest.approx(exact, abs=4 * np.std(values) / np.sqrt(4000))
    again = PTMSimulator(shots=shots, shot_model="gaussian", seed=5)
    np.testing.assert_array_equal(
        again.expectation(circuit, observable, np.zeros((4000, 0))), values
    )


def test_sampled_shot_noise_is_unbiased_with_readout():
    circuit = QuantumCircuit(3)
    circuit.ry(0.9, 0)
    circuit.cx(0, 1)
    circuit.rx(0.4, 2)
    circuit.h(2)
    observable = SparsePauliOp.from_list(
        [("ZZI", 1.0), ("IZZ", 0.5), ("XII", 0.7), ("XIZ", -0.4), ("III", 0.2)]
    )
    noise = NoiseProfile.depolarizing(0.01, 0.03).add_readout(0.05, 0.1)
    exact = PTMSimulator(noise).expectation(circuit, observable)
    shots = 2000
    simulator = PTMSimulator(noise, shots=shots, shot_model="sampled", seed=11)
    values = simulator.expectation(circuit, observable, np.zeros((600, 0)))
    stderr = np.std(values) / np.sqrt(len(values))
    assert abs(np.mean(values) - exact) < 4 * stderr
    assert 0.5 / np.sqrt(shots) < np.std(values) < 3.0 / np.sqrt(shots)


def test_noise_on_a_gate_that_would_be_transpiled_away_is_refused():
    circuit = QuantumCircuit(2)
    circuit.cp(0.3, 0, 1)
    model = NoiseModel()
    model.add_all_qubit_quantum_error(depolarizing_error(0.1, 2), ["cp"])
    with pytest.raises(ValueError, match="channel for 'cp'"):
        PTMSimulator(NoiseProfile.from_noise_model(model)).expectation(circuit, "ZZ")


def test_reset_and_delay_get_a_clear_message():
    circuit = QuantumCircuit(1)
    circuit.delay(100, 0)
    with pytest.raises(ValueError, match="'delay' is not supported"):
        PTMSimulator().expectation(circuit, SparsePauliOp("Z"))


def test_sampled_mode_checks_the_observable_size():
    circuit = QuantumCircuit(3)
    simulator = PTMSimulator(shots=100, shot_model="sampled", seed=1)
    with pytest.raises(ValueError, match="acts on 2 qubits, the circuit on 3"):
        simulator.expectation(circuit, SparsePauliOp("ZZ"))


def test_compiled_circuit_keeps_its_noise():
    circuit = QuantumCircuit(1)
    circuit.x(0)
    compiled = PTMSimulator(NoiseProfile.depolarizing(0.1, 0.1)).compile(circuit)
    with pytest.raises(ValueError, match="compiled with other noise"):
        PTMSimulator().expectation(compiled, SparsePauliOp("Z"))


@pytest.mark.parametrize("batch", [3, 700])
def test_batches_across_chunks_and_uneven_blocks(batch):
    """Blocks with 1..64 rotation factors, a batch spanning several chunks."""
    theta = ParameterVector("t", 64 + 3 * 12)
    angles = iter(theta)
    circuit = QuantumCircuit(3)
    for _ in range(64):
        circuit.ry(next(angles), 0)
    for _ in range(12):
        circuit.cx(0, 1)
        circuit.rz(next(angles), 1)
        circuit.rzz(next(angles), 1, 2)
        circuit.rx(next(angles), 2)
    observable = random_observable(3, 12, seed=8)
    simulator = PTMSimulator(NoiseProfile.depolarizing(0.01, 0.02))
    values = np.random.default_rng(3).uniform(-2, 2, (batch, circuit.num_parameters))
    batched = simulator.expectation(circuit, observable, values)
    for row in (0, batch // 2, batch - 1):
        single = simulator.expectation(circuit.assign_parameters(values[row]), observable)
        assert batched[row] == pytest.approx(single, abs=1e-12)


@pytest.mark.parametrize("num_qubits", [7, 8])
def test_wide_noisy_circuits_with_distant_pairs_against_aer(num_qubits):
    """From 7 qubits batches run one set at a time; distant pairs permute the axes."""
    rng = np.random.default_rng(num_qubits)
    theta = ParameterVector("t", 3 * num_qubits)
    circuit = QuantumCircuit(num_qubits)
    for i, angle in enumerate(theta):
        getattr(circuit, ("rx", "ry", "rz")[i % 3])(angle, int(rng.integers(num_qubits)))
        a, b = (int(q) for q in rng.choice(num_qubits, 2, replace=False))
        circuit.cx(a, b)
    model = NoiseModel()
    model.add_all_qubit_quantum_error(
        depolarizing_error(0.01, 1).compose(amplitude_damping_error(0.02)), ["rx", "ry", "rz"]
    )
    model.add_all_qubit_quantum_error(depolarizing_error(0.03, 2), ["cx"])
    observable = random_observable(num_qubits, 12, seed=num_qubits)
    simulator = PTMSimulator(NoiseProfile.from_noise_model(model))
    values = rng.uniform(-np.pi, np.pi, (3, circuit.num_parameters))
    batched = simulator.expectation(circuit, observable, values)
    assert simulator.compile(circuit).engine == "ptm"
    for row in (0, 2):
        expected = aer_expectation(circuit.assign_parameters(values[row]), observable, model)
        assert batched[row] == pytest.approx(expected, abs=1e-10)
        assert simulator.expectation(circuit, observable, values[row]) == pytest.approx(
            batched[row], abs=1e-12
        )
