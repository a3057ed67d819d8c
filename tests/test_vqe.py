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


def _one_qubit_problem():
    """``H = Z`` on ``ry(theta)|0>``: noiseless energy ``cos(theta)``."""
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter

    circuit = QuantumCircuit(1)
    circuit.ry(Parameter("t"), 0)
    return SparsePauliOp("Z"), circuit


def test_readout_mitigation_inverts_the_confusion_matrix():
    hamiltonian, circuit = _one_qubit_problem()
    p10, p01 = 0.03, 0.08
    noise = NoiseProfile().add_readout(p10, p01)
    theta = np.array([0.7])
    raw = vqe.Energy(hamiltonian, circuit, noise)(theta)
    # <Z>_measured = (1 - p10 - p01) <Z> + (p01 - p10); inverting it gives cos(theta)
    assert raw == pytest.approx((1 - p10 - p01) * np.cos(0.7) + (p01 - p10), abs=1e-12)
    mitigated = vqe.Energy(hamiltonian, circuit, noise, mitigation="readout")
    assert mitigated(theta) == pytest.approx(np.cos(0.7), abs=1e-12)
    assert mitigated(theta) == pytest.approx((raw - (p01 - p10)) / (1 - p10 - p01), abs=1e-12)


def test_zne_is_the_richardson_limit_of_folded_depolarizing_noise():
    hamiltonian, circuit = _one_qubit_problem()
    p = 0.05  # depolarizing after ry (Aer convention): <Z> scales by 1 - p per application
    noise = NoiseProfile.depolarizing(p, 0.0)
    lam = 1 - p
    theta = np.array([0.4])
    energy = vqe.Energy(hamiltonian, circuit, noise, mitigation="zne")
    assert vqe.Energy(hamiltonian, circuit, noise.folded(3))(theta) == pytest.approx(
        lam**3 * np.cos(0.4), abs=1e-12
    )
    assert energy(theta) == pytest.approx((3 * lam - lam**3) / 2 * np.cos(0.4), abs=1e-12)
    assert energy.nfev == 2  # one evaluation at each noise scale
    assert np.allclose(energy(np.array([[0.4], [1.0]])), [energy(theta), energy([1.0])])


def test_zne_brings_a_noisy_molecular_energy_near_the_noiseless_one():
    from qiskit import QuantumCircuit

    from qneuro.chem import load

    problem = load("LiH-4q")
    path = "benchmarks/results/circuits/lih-4q-s2.qasm"
    ansatz, angles = vqe.parameterised(QuantumCircuit.from_qasm_file(path))
    raw = vqe.Energy(problem, ansatz, "mumbai-median")
    zne = vqe.Energy(problem, ansatz, "mumbai-median", mitigation="zne")
    exact = raw.noiseless(angles)
    assert abs(zne(angles) - exact) < abs(raw(angles) - exact) / 5


@pytest.mark.parametrize("mitigation", ["readout", "zne"])
def test_mitigated_sweeps_and_gradients_are_exact(mitigation):
    ansatz = vqe.hardware_efficient_ansatz(3, layers=1)
    energy = vqe.Energy(heisenberg(3), ansatz, "mumbai-median", mitigation=mitigation)
    x = np.random.default_rng(1).uniform(-1, 1, energy.num_parameters)
    d = energy.num_parameters - 1
    sweep = energy.coordinate_sweep(x, 1)
    a, b, c = sweep.sinusoid(d)
    for t in (-0.9, 0.3, 2.0):
        moved = x.copy()
        moved[d] = t
        assert a + b * np.cos(t) + c * np.sin(t) == pytest.approx(energy.exact(moved), abs=1e-10)
    value, gradient = energy.value_and_gradient(x)
    assert value == pytest.approx(energy.exact(x), abs=1e-10)
    step = 1e-6
    for k in (0, d):
        shift = np.zeros_like(x)
        shift[k] = step
        central = (energy.exact(x + shift) - energy.exact(x - shift)) / (2 * step)
        assert gradient[k] == pytest.approx(central, abs=1e-6)


def test_mitigation_needs_exact_expectations_and_a_known_name():
    ansatz = vqe.hardware_efficient_ansatz(2, layers=1)
    with pytest.raises(ValueError, match="mitigation='zne' with shots=100"):
        vqe.Energy(heisenberg(2), ansatz, "mumbai-median", shots=100, mitigation="zne")
    with pytest.raises(ValueError, match="mitigation='pec'"):
        vqe.Energy(heisenberg(2), ansatz, "mumbai-median", mitigation="pec")


def test_per_call_shots_are_refused_under_mitigation_and_vqe_run_takes_it():
    ansatz = vqe.hardware_efficient_ansatz(2, layers=1)
    energy = vqe.Energy(heisenberg(2), ansatz, "mumbai-median", mitigation="zne")
    with pytest.raises(ValueError, match="shots=100 with mitigation='zne'"):
        energy(np.zeros(energy.num_parameters), shots=100)
    problem = Problem(heisenberg(2))
    kwargs = dict(noise="mumbai-median", optimizer="rotosolve", budget=300, seed=1)
    raw = vqe.run(problem, ansatz, **kwargs)
    mitigated = vqe.run(problem, ansatz, mitigation="zne", **kwargs)
    assert abs(mitigated.energy - mitigated.noiseless_energy) < abs(
        raw.energy - raw.noiseless_energy
    )
