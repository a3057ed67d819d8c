import numpy as np
import pytest
from qiskit.quantum_info import SparsePauliOp, Statevector
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel, depolarizing_error

from qneuro import vqe
from qneuro.noise import NoiseProfile
from qneuro.optim import AdamSPSA


def heisenberg(n):
    terms = [(p * 2, [i, i + 1], 1.0) for i in range(n - 1) for p in "XYZ"]
    return SparsePauliOp.from_sparse_list(terms + [("Z", [0], 0.5)], n)


class Problem:
    def __init__(self, hamiltonian):
        self.hamiltonian = hamiltonian
        self.exact_energy = float(np.linalg.eigvalsh(hamiltonian.to_matrix()).min())


def test_noiseless_energy_equals_statevector_and_batches_match():
    ansatz = vqe.hardware_efficient_ansatz(3, layers=2)
    energy = vqe.Energy(heisenberg(3), ansatz, "depolarizing-0.01-0.02")
    rng = np.random.default_rng(0)
    thetas = rng.uniform(-np.pi, np.pi, size=(5, energy.num_parameters))
    for theta, batched in zip(thetas, energy.noiseless(thetas), strict=True):
        state = Statevector(ansatz.assign_parameters(theta))
        assert batched == pytest.approx(state.expectation_value(heisenberg(3)).real, abs=1e-12)
    assert np.allclose(energy(thetas), [energy(t) for t in thetas], atol=1e-12)
    assert energy.nfev == 10


def test_noisy_energy_equals_aer_density_matrix():
    ansatz = vqe.hardware_efficient_ansatz(2, layers=1)
    model = NoiseModel()
    model.add_all_qubit_quantum_error(depolarizing_error(0.02, 1), ["ry", "rz"])
    model.add_all_qubit_quantum_error(depolarizing_error(0.05, 2), ["cx"])
    energy = vqe.Energy(heisenberg(2), ansatz, NoiseProfile.from_noise_model(model))
    theta = np.linspace(0.1, 1.1, energy.num_parameters)
    circuit = ansatz.assign_parameters(theta)
    circuit.save_density_matrix()
    rho = AerSimulator(method="density_matrix", noise_model=model).run(circuit).result()
    reference = rho.data()["density_matrix"].expectation_value(heisenberg(2)).real
    assert energy(theta) == pytest.approx(reference, abs=1e-10)
    assert energy.noiseless(theta) != pytest.approx(reference, abs=1e-3)


def test_shots_are_seeded_unbiased_and_overridable():
    ansatz = vqe.hardware_efficient_ansatz(2, layers=1)
    theta = np.full(8, 0.4)
    a = vqe.Energy(heisenberg(2), ansatz, shots=100, seed=5)
    b = vqe.Energy(heisenberg(2), ansatz, shots=100, seed=5)
    samples = a(np.tile(theta, (4000, 1)))
    assert np.array_equal(samples, b(np.tile(theta, (4000, 1))))
    # Gaussian model: sigma^2 = sum_P h_P^2 / shots over the non-identity terms.
    sigma = np.sqrt((3 * 1.0**2 + 0.5**2) / 100)
    assert samples.std() == pytest.approx(sigma, rel=0.05)
    assert samples.mean() == pytest.approx(a.exact(theta), abs=4 * sigma / np.sqrt(4000))
    assert a(theta, shots=None) == a.exact(theta)


def test_vqe_reaches_the_ground_energy_and_reports_the_noiseless_error():
    problem = Problem(heisenberg(2))
    result = vqe.run(problem, vqe.hardware_efficient_ansatz(2, 1), budget=900, seed=1)
    assert abs(result.error) < 1.6e-3
    assert result.noiseless_energy == pytest.approx(problem.exact_energy + result.error)
    noisy = vqe.run(
        problem,
        vqe.hardware_efficient_ansatz(2, 1),
        noise="depolarizing-0.001-0.005",
        optimizer=AdamSPSA(),
        budget=900,
        seed=1,
    )
    assert noisy.energy > noisy.noiseless_energy  # depolarizing pulls the energy up
    assert abs(noisy.error) < 2e-2


@pytest.mark.parametrize(
    "build, error, match",
    [
        (lambda: vqe.Energy("H2", vqe.hardware_efficient_ansatz(2, 1)), TypeError, "Problem"),
        (
            lambda: vqe.Energy(heisenberg(3), vqe.hardware_efficient_ansatz(2, 1)),
            ValueError,
            "2 qubits",
        ),
        (
            lambda: vqe.Energy(heisenberg(2), vqe.hardware_efficient_ansatz(2, 1))(np.zeros(3)),
            ValueError,
            r"expected \(8,\)",
        ),
        (
            lambda: vqe.Energy(heisenberg(2), vqe.hardware_efficient_ansatz(2, 1)).error(
                np.zeros(8)
            ),
            ValueError,
            "no exact energy",
        ),
        (lambda: vqe.hardware_efficient_ansatz(0, 1), ValueError, "num_qubits=0"),
    ],
)
def test_bad_input(build, error, match):
    with pytest.raises(error, match=match):
        build()


def test_parameterised_circuit_has_the_bound_circuits_energy():
    from qiskit import QuantumCircuit

    from qneuro.chem import load

    problem = load("LiH-4q")
    bound = QuantumCircuit(4)
    bound.x(0)
    bound.ry(0.3, 1)
    bound.cx(1, 2)
    bound.rz(-1.2, 2)
    bound.cx(0, 3)
    bound.rx(2.5, 3)
    bound.ry(0.1, 1)
    ansatz, angles = vqe.parameterised(bound)
    np.testing.assert_array_equal(angles, [0.3, -1.2, 2.5, 0.1])
    assert [p.name for p in ansatz.parameters] == [f"θ[{i}]" for i in range(4)]
    assert [i.operation.name for i in ansatz.data] == [i.operation.name for i in bound.data]
    expected = Statevector(bound).expectation_value(problem.hamiltonian).real
    assert float(vqe.Energy(problem, ansatz)(angles)) == pytest.approx(expected, abs=1e-10)
