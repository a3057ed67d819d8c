"""Coordinate sinusoids from cached states and a back-propagated observable."""

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector

from qneuro.noise import NoiseProfile
from qneuro.ptm import PTMSimulator
from qneuro.ptm.statevector import StatevectorObservable
from qneuro.ptm.sweep import PauliSweep, StatevectorSweep
from tests.conftest import random_observable


def rotation_circuit(num_qubits, num_rotations, seed):
    """Rotations (one and two qubits) in parameter order, CX/CZ on distant pairs between."""
    rng = np.random.default_rng(seed)
    theta = ParameterVector("t", num_rotations)
    circuit = QuantumCircuit(num_qubits)
    circuit.x(0)
    for angle in theta:
        if rng.random() < 0.3:
            a, b = (int(q) for q in rng.choice(num_qubits, 2, replace=False))
            getattr(circuit, rng.choice(["rzz", "rxx", "rzx"]))(angle, a, b)
        else:
            getattr(circuit, rng.choice(["rx", "ry", "rz"]))(angle, int(rng.integers(num_qubits)))
        if rng.random() < 0.5:
            a, b = (int(q) for q in rng.choice(num_qubits, 2, replace=False))
            getattr(circuit, rng.choice(["cx", "cz"]))(a, b)
    return circuit


def check_sweep(simulator, sweep_for, circuit, observable, first, seed):
    """Each sinusoid equals evaluations of the circuit at two angles, after earlier moves."""
    compiled = simulator.compile(circuit)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-np.pi, np.pi, circuit.num_parameters)
    sweep = sweep_for(compiled, x.copy(), first)
    for slot in range(circuit.num_parameters - 1, first - 1, -1):
        a, b, c = sweep.sinusoid(slot)
        for angle in (0.4, -2.1):
            point = x.copy()
            point[slot] = angle
            expected = simulator.expectation(compiled, observable, point)
            assert a + b * np.cos(angle) + c * np.sin(angle) == pytest.approx(expected, abs=1e-10)
        x[slot] = rng.uniform(-np.pi, np.pi)
        sweep.move(slot, x[slot])


@pytest.mark.parametrize("noise", [None, "depolarizing-0.01-0.02", "mumbai-median"])
@pytest.mark.parametrize("num_qubits", [3, 5])
def test_pauli_sweep_equals_evaluations(noise, num_qubits):
    circuit = rotation_circuit(num_qubits, 14, seed=num_qubits)
    observable = random_observable(num_qubits, 25, seed=7)
    profile = None if noise is None else NoiseProfile.preset(noise)
    simulator = PTMSimulator(profile, engine="ptm")

    def sweep_for(compiled, x, first):
        indices, coeffs, _ = simulator.observable_terms(observable, num_qubits)
        vector = np.zeros(4**num_qubits)
        vector[indices] = coeffs
        return PauliSweep(compiled, vector, x, first)

    check_sweep(simulator, sweep_for, circuit, observable, first=3, seed=1)


@pytest.mark.parametrize("num_qubits", [3, 7])
def test_statevector_sweep_equals_evaluations(num_qubits):
    circuit = rotation_circuit(num_qubits, 12, seed=10 + num_qubits)
    observable = random_observable(num_qubits, 25, seed=8)
    simulator = PTMSimulator(NoiseProfile().add_readout(0.02, 0.04))

    def sweep_for(compiled, x, first):
        indices, coeffs, _ = simulator.observable_terms(observable, num_qubits)
        return StatevectorSweep(
            compiled, StatevectorObservable(indices, coeffs, num_qubits), x, first
        )

    check_sweep(simulator, sweep_for, circuit, observable, first=0, seed=2)


def test_sweep_visits_slots_in_order():
    circuit = rotation_circuit(2, 4, seed=1)
    compiled = PTMSimulator(engine="ptm").compile(circuit)
    sweep = PauliSweep(compiled, np.eye(16)[3], np.zeros(4), first=1)
    with pytest.raises(ValueError, match="at slot 3, not 2"):
        sweep.sinusoid(2)
