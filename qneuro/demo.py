"""``qneuro demo``: a short tour of every pillar.

1. The PTM noisy simulator: one 4-qubit variational circuit and Heisenberg Hamiltonian
   under every noise preset; the same value from qiskit-aer's density-matrix simulator;
   the time per evaluation of both.
2. VQE problems and optimisers: H2 (2 qubits) under Mumbai-median noise with Adam-SPSA,
   measured and noiseless energies against the exact ground energy.

Then each pillar's own ``demo_step`` (:data:`PILLAR_STEPS`).
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


#: (result key, title, module with ``demo_step(progress, echo) -> dict``).
PILLAR_STEPS: tuple[tuple[str, str, str], ...] = (
    ("qas", "Curriculum RL architecture search (masked double DQN on QAS-H2-2q)", "qneuro.rl.cli"),
    ("generators", "Transformer OpenQASM circuit generator", "qneuro.generators.cli"),
    ("sfq", "SFQ neuromorphic XOR (Brian2, pulse level)", "qneuro.sfq.cli"),
    ("hlop", "Continual learning with Hebbian orthogonal projection (Brian2)", "qneuro.hlop.cli"),
)


def run_demo(progress: bool = True, echo: Callable[[str], None] = print) -> dict:
    """Run the tour, printing as it goes; returns the results as a JSON-ready dict."""
    import importlib

    results = {"ptm": ptm_tour(progress, echo), "vqe": vqe_tour(progress, echo)}
    for number, (key, title, module) in enumerate(PILLAR_STEPS, start=3):
        echo(f"[{number}] {title}")
        step = importlib.import_module(module).demo_step
        results[key] = step(progress, lambda text: echo(_indent(text)))
    return results


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in str(text).splitlines())


def vqe_tour(progress: bool, echo: Callable[[str], None]) -> dict:
    """Step 2 of the tour: VQE for H2 under device noise."""
    from qiskit import QuantumCircuit

    from qneuro import chem, vqe

    problem = chem.load("H2-2q")
    ansatz = QuantumCircuit(2)
    ansatz.x(0)  # the Hartree-Fock state |01>
    ansatz.compose(hardware_efficient_ansatz(2, layers=1), inplace=True)
    echo(
        f"[2] VQE: {problem.name} ({problem.num_terms} Pauli terms), exact ground energy "
        f"{problem.exact_energy:.6f} Ha, Hartree-Fock {problem.hf_energy:.6f} Ha"
    )
    start = time.perf_counter()
    result = vqe.run(problem, ansatz, noise="mumbai-median", budget=600, seed=1)
    seconds = time.perf_counter() - start
    echo(
        f"    Adam-SPSA, mumbai-median noise, 600 exact noisy evaluations in {seconds:.2f} s: "
        f"measured {result.energy:.5f} Ha, noiseless {result.noiseless_energy:.6f} Ha, "
        f"noiseless error {result.error:.1e} Ha "
        f"({'within' if abs(result.error) < vqe.CHEMICAL_ACCURACY else 'outside'} "
        "chemical accuracy)"
    )
    return {
        "problem": problem.name,
        "exact_energy": problem.exact_energy,
        "energy": result.energy,
        "noiseless_energy": result.noiseless_energy,
        "noiseless_error": result.error,
        "seconds": seconds,
    }


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
    echo(
        f"[1] PTM simulator: {num_qubits}-qubit ansatz ({circuit.size()} gates, "
        f"{circuit.num_parameters} angles), Heisenberg chain, exact noisy energies"
    )

    energies = {}
    for name in tqdm(DEMO_PRESETS, desc="noise presets", disable=not progress, leave=False):
        energies[name] = PTMSimulator(NoiseProfile.preset(name)).expectation(
            circuit, hamiltonian, angles
        )
    for name, energy in energies.items():
        echo(f"    {name:<26} E = {energy:+.6f}")
    wide = hardware_efficient_ansatz(8, layers)  # ideal gates: statevector vs Pauli vector
    wide_h, wide_angles = heisenberg(8), np.full(wide.num_parameters, 0.3)
    ideal, pauli = PTMSimulator(), PTMSimulator(engine="ptm")
    ideal_compiled, pauli_compiled = ideal.compile(wide), pauli.compile(wide)
    statevector_s = _median_time(lambda: ideal.expectation(ideal_compiled, wide_h, wide_angles), 50)
    pauli_s = _median_time(lambda: pauli.expectation(pauli_compiled, wide_h, wide_angles), 20)
    echo(
        f"    ideal gates, 8 qubits: {ideal_compiled.engine} engine {statevector_s * 1e3:.3f} ms "
        f"per energy, Pauli vector {pauli_s * 1e3:.2f} ms"
    )

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
    echo(
        f"    same noise in qiskit-aer (density matrix): E = {theirs:+.12f}, "
        f"qneuro E = {ours:+.12f}, |diff| = {abs(ours - theirs):.1e}"
    )
    echo(
        f"    time per evaluation: qneuro {qneuro_s * 1e3:.3f} ms, "
        f"aer {aer_s * 1e3:.3f} ms ({aer_s / qneuro_s:.0f}x)"
    )
    return {
        "num_qubits": num_qubits,
        "energies": energies,
        "aer_energy": theirs,
        "qneuro_energy": ours,
        "abs_diff": abs(ours - theirs),
        "qneuro_ms": qneuro_s * 1e3,
        "aer_ms": aer_s * 1e3,
        "ideal_statevector_ms": statevector_s * 1e3,
        "ideal_pauli_vector_ms": pauli_s * 1e3,
    }


def _median_time(call: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times))
