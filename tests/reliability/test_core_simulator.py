"""The simulator's memory budget and thread safety.

Memory: :meth:`PTMSimulator.memory_needed` counts every buffer an evaluation allocates
(states, scratch, block matrices, angles, the compiled observable, shot sampling), so it
is at least the peak that ``tracemalloc`` measures; an evaluation over the budget is
refused before anything is allocated. Threads: one simulator shared by threads with a
cache of one entry (evictions on nearly every call) gives the right values and never
raises (before the lock, 3 of 5 such runs raised KeyError or RuntimeError).
"""

from __future__ import annotations

import sys
import threading
import tracemalloc

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

import qneuro.ptm.simulator as simulator_module
from qneuro.noise import NoiseProfile
from qneuro.ptm import PTMSimulator
from qneuro.ptm.blocks import _bytes
from qneuro.vqe import hardware_efficient_ansatz
from tests.conftest import random_observable

NOISY = NoiseProfile.depolarizing(0.001, 0.005)
GiB = 2**30


def _peak_bytes(call) -> int:
    """Peak bytes traced while ``call()`` runs (numpy reports its buffers to tracemalloc)."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        call()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    "num_qubits, batch, noise, shots, shot_model",
    [
        (3, 16, NOISY, None, "gaussian"),  # Pauli vectors, narrow blocks, one chunk
        (6, 5, NOISY, 100, "gaussian"),  # Pauli vectors, shot noise per term
        (7, 3, NOISY, None, "gaussian"),  # Pauli vectors one at a time
        (8, 2, NOISY, 100, "sampled"),  # every state kept for sampling
        (8, 5, None, None, "gaussian"),  # statevectors, gathered flipped states
        (9, 64, None, None, "gaussian"),  # statevectors, strided flips
        (7, 4, None, 100, "sampled"),  # statevectors, Pauli expectations per group
    ],
)
def test_the_estimate_covers_the_measured_peak(num_qubits, batch, noise, shots, shot_model):
    circuit = hardware_efficient_ansatz(num_qubits, layers=3)
    observable = random_observable(num_qubits, 60, seed=num_qubits)
    simulator = PTMSimulator(noise, shots=shots, shot_model=shot_model, seed=1)
    compiled = simulator.compile(circuit)
    values = np.random.default_rng(0).uniform(0, np.pi, (batch, circuit.num_parameters))
    simulator.expectation(compiled, observable, values)  # observable and schedules compiled
    need = sum(simulator.memory_needed(compiled, observable, batch).values())
    peak = _peak_bytes(lambda: simulator.expectation(compiled, observable, values))
    assert peak <= need, f"measured {peak} bytes, estimated {need}"
    assert need < 3 * peak + 2**16  # an estimate, not a guess


def test_a_14_qubit_noisy_evaluation_is_refused_before_allocating():
    circuit = QuantumCircuit(14)
    circuit.h(0)
    circuit.cx(0, 13)
    observable = SparsePauliOp("Z" * 14)
    simulator = PTMSimulator(NOISY)  # 4 GiB: two Pauli vectors of 2 GiB and a little more
    with pytest.raises(ValueError) as caught:
        simulator.expectation(circuit, observable)
    message = str(caught.value)
    assert "evolving 14 qubits with batch 1 on Pauli vectors needs 4,295," in message
    assert "Pauli vectors 2.0 GiB, scratch 2.0 GiB" in message
    assert "over the memory budget of 4,294,967,296 bytes" in message
    peak = _peak_bytes(
        lambda: pytest.raises(ValueError, simulator.expectation, circuit, observable)
    )
    assert peak < 64 * 2**20  # refused with nothing of the 4 GiB allocated
    needs = PTMSimulator(NOISY, memory_budget=8 * GiB).memory_needed(circuit, "Z" * 14)
    assert 4 * GiB < sum(needs.values()) < 4.01 * GiB


def test_a_need_equal_to_the_budget_fits_and_one_byte_less_does_not():
    circuit = hardware_efficient_ansatz(5, layers=1)
    observable = random_observable(5, 10, seed=3)
    values = np.full((3, circuit.num_parameters), 0.2)
    need = sum(PTMSimulator(NOISY).memory_needed(circuit, observable, 3).values())
    exact = PTMSimulator(NOISY, memory_budget=need)
    assert np.all(np.isfinite(exact.expectation(circuit, observable, values)))
    with pytest.raises(ValueError, match="over the memory budget"):
        PTMSimulator(NOISY, memory_budget=need - 1).expectation(circuit, observable, values)


def test_observables_and_shot_plans_count_against_the_budget():
    circuit = QuantumCircuit(12)
    circuit.h(range(12))
    wide = SparsePauliOp(["X" * 12, "Y" * 12, "Z" * 12])  # one sampled group on 12 qubits
    with pytest.raises(ValueError, match=r"shot-sampling plan .* measured on 12 qubits\) needs"):
        PTMSimulator(shots=10, shot_model="sampled", memory_budget=2**26).expectation(circuit, wide)
    many = random_observable(12, 400, seed=5)  # hundreds of masks x 2**12 amplitudes
    with pytest.raises(ValueError, match="statevector form of an observable with"):
        PTMSimulator(memory_budget=2**22).expectation(circuit, many)


def test_sizes_print_without_overflow():
    assert _bytes(4 * GiB) == "4.0 GiB"
    assert _bytes(2**70) == "1024.0 EiB"
    assert _bytes(16 * 4**1000).endswith("EiB")


def test_one_simulator_shared_by_threads_with_evictions(monkeypatch):
    monkeypatch.setattr(simulator_module, "_CACHE_SIZE", 1)  # nearly every call evicts
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often: races show up within seconds
    try:
        circuits = []
        for k in range(3):
            circuit = QuantumCircuit(2)
            circuit.ry(0.3 * k + 0.1, 0)
            circuit.cx(0, 1)
            circuits.append(circuit)
        observables = [SparsePauliOp(["ZZ", "XI"], [1.0, 0.1 * k]) for k in range(8)]
        expected = {
            (i, k): PTMSimulator().expectation(c, o)
            for i, c in enumerate(circuits)
            for k, o in enumerate(observables)
        }
        shared = PTMSimulator()
        errors: list[BaseException] = []

        def hammer(seed: int) -> None:
            rng = np.random.default_rng(seed)
            try:
                for _ in range(1000):
                    i, k = int(rng.integers(3)), int(rng.integers(8))
                    assert shared.expectation(circuits[i], observables[k]) == expected[i, k]
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=hammer, args=(seed,)) for seed in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert not errors, errors[:3]
    assert len(shared._observables) <= 1 and len(shared._circuits) <= 1


def test_threads_leave_blas_threads_as_they_found_them():
    from qneuro.ptm.liouville import blas_threads

    def limits():
        return [info["num_threads"] for info in blas_threads().info()]

    before = limits()
    circuit = hardware_efficient_ansatz(7, layers=1)  # 7 qubits: one BLAS thread inside
    simulator = PTMSimulator(NOISY)
    compiled = simulator.compile(circuit)
    observable = SparsePauliOp("Z" * 7)
    values = np.full(circuit.num_parameters, 0.1)
    threads = [
        threading.Thread(
            target=lambda: [simulator.expectation(compiled, observable, values) for _ in range(5)]
        )
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert limits() == before
