"""``qneuro demo``: a short tour of every pillar that exists so far.

1. The PTM noisy simulator: one 4-qubit variational circuit and Heisenberg Hamiltonian
   under every noise preset; the same value from qiskit-aer's density-matrix simulator;
   the time per evaluation of both.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from tqdm import tqdm

from qneuro.vqe import hardware_efficient_ansatz

#: Noise presets the tour evaluates.
DEMO_PRESETS = (
    "ideal",
    "depolarizing-0.001-0.005",
    "mumbai-median",
    "mumbai-max",
    "mumbai-10x-max",
)


def run_demo(progress: bool = True, echo: Callable[[str], None] = print) -> dict:
    """Run the tour, printing as it goes; returns the results as a JSON-ready dict."""
    return {"ptm": ptm_tour(progress, echo)}


def heisenberg(num_qubits: int):
    """``H = sum_i (X_i X_{i+1} + Y_i Y_{i+1} + Z_i Z_{i+1}) + 0.5 sum_i Z_i`` (open chain)."""
    from qiskit.quantum_info import SparsePauliOp

    terms = []
    for i in range(num_qubits - 1):
        for pauli in "XYZ":
            terms.append((pauli * 2, [i, i + 1], 1.0))
    terms += [("Z", [i], 0.5) for i in range(num_qubits)]
    return SparsePauliOp.from_sparse_list(terms, num_qubits)


def ptm_tour(progress: bool, echo: Callable[[str], None]) -> dict:
    """Step 1 of the tour: the PTM simulator against qiskit-aer."""
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel, amplitude_damping_error, depolarizing_error

    from qneuro.noise import NoiseProfile
    from qneuro.ptm import PTMSimulator

    num_qubits, layers = 4, 3
    circuit = hardware_efficient_ansatz(num_qubits, layers)
    hamiltonian = heisenberg(num_qubits)
    angles = np.random.default_rng(7).uniform(0, np.pi, circuit.num_parameters)
    echo(f"[1] PTM simulator: {num_qubits}-qubit ansatz ({circuit.size()} gates, "
         f"{circuit.num_parameters} angles), Heisenberg chain, exact noisy energies")

    energies = {}
    for name in tqdm(DEMO_PRESETS, desc="noise presets", disable=not progress, leave=False):
        energies[name] = PTMSimulator(NoiseProfile.preset(name)).expectation(
            circuit, hamiltonian, angles
        )
    for name, energy in energies.items():
        echo(f"    {name:<26} E = {energy:+.6f}")

    aer_noise = NoiseModel()
    aer_noise.add_all_qubit_quantum_error(
        depolarizing_error(1e-3, 1).compose(amplitude_damping_error(2e-3)), ["ry", "rz"]
    )
    aer_noise.add_all_qubit_quantum_error(depolarizing_error(1e-2, 2), ["cx"])
    simulator = PTMSimulator(NoiseProfile.from_noise_model(aer_noise))
    compiled = simulator.compile(circuit)
    ours = simulator.expectation(compiled, hamiltonian, angles)

    bound = circuit.assign_parameters(angles)
    bound.save_expectation_value(hamiltonian, range(num_qubits))
    aer = AerSimulator(method="density_matrix", noise_model=aer_noise)
    theirs = float(aer.run(bound).result().data()["expectation_value"])
    qneuro_s = _median_time(lambda: simulator.expectation(compiled, hamiltonian, angles), 200)
    aer_s = _median_time(lambda: aer.run(bound).result(), 20)
    echo(f"    same noise in qiskit-aer (density matrix): E = {theirs:+.12f}, "
         f"qneuro E = {ours:+.12f}, |diff| = {abs(ours - theirs):.1e}")
    echo(f"    time per evaluation: qneuro {qneuro_s * 1e3:.3f} ms, "
         f"aer {aer_s * 1e3:.3f} ms ({aer_s / qneuro_s:.0f}x)")
    return {
        "num_qubits": num_qubits,
        "energies": energies,
        "aer_energy": theirs,
        "qneuro_energy": ours,
        "abs_diff": abs(ours - theirs),
        "qneuro_ms": qneuro_s * 1e3,
        "aer_ms": aer_s * 1e3,
    }


def _median_time(call: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times))
