import numpy as np
import pytest
from qiskit.quantum_info import PTM, Kraus, random_quantum_channel
from qiskit_aer.noise import (
    amplitude_damping_error,
    depolarizing_error,
    pauli_error,
    phase_damping_error,
    thermal_relaxation_error,
)

from qneuro.ptm import channels


def aer_ptm(error):
    return PTM(error).data.real


@pytest.mark.parametrize("lam", [0.0, 0.01, 0.3, 1.0, 4 / 3])
def test_depolarizing_one_qubit_matches_aer(lam):
    np.testing.assert_allclose(
        channels.depolarizing(lam), aer_ptm(depolarizing_error(lam, 1)), atol=1e-12
    )
    np.testing.assert_allclose(np.diag(channels.depolarizing(lam)), [1] + [1 - lam] * 3)


def test_depolarizing_two_qubit_matches_aer():
    np.testing.assert_allclose(
        channels.depolarizing(0.05, 2), aer_ptm(depolarizing_error(0.05, 2)), atol=1e-12
    )


@pytest.mark.parametrize("gamma", [0.0, 0.1, 0.9])
def test_amplitude_damping_reference_and_aer(gamma):
    ptm = channels.amplitude_damping(gamma)
    root = np.sqrt(1 - gamma)
    expected = [[1, 0, 0, 0], [0, root, 0, 0], [0, 0, root, 0], [gamma, 0, 0, 1 - gamma]]
    np.testing.assert_allclose(ptm, expected)
    np.testing.assert_allclose(ptm, aer_ptm(amplitude_damping_error(gamma)), atol=1e-12)


def test_phase_damping_matches_aer():
    np.testing.assert_allclose(
        channels.phase_damping(0.2), aer_ptm(phase_damping_error(0.2)), atol=1e-12
    )
    np.testing.assert_allclose(np.diag(channels.phase_damping(0.2)), [1, 0.8**0.5, 0.8**0.5, 1])


@pytest.mark.parametrize(
    "t1,t2,time", [(50e-6, 70e-6, 300e-9), (50e-6, 100e-6, 1e-6), (80e-6, 20e-6, 50e-9)]
)
def test_thermal_relaxation_reference_and_aer(t1, t2, time):
    ptm = channels.thermal_relaxation(t1, t2, time)
    assert ptm[1, 1] == pytest.approx(np.exp(-time / t2))
    assert ptm[2, 2] == pytest.approx(np.exp(-time / t2))
    assert ptm[3, 3] == pytest.approx(np.exp(-time / t1))
    assert ptm[3, 0] == pytest.approx(1 - np.exp(-time / t1))
    np.testing.assert_allclose(ptm, aer_ptm(thermal_relaxation_error(t1, t2, time)), atol=1e-12)


def test_pauli_channel_matches_aer():
    probs = {"X": 0.1, "Y": 0.05, "Z": 0.2}
    expected = pauli_error([("X", 0.1), ("Y", 0.05), ("Z", 0.2), ("I", 0.65)])
    np.testing.assert_allclose(channels.pauli_channel(probs), aer_ptm(expected), atol=1e-12)
    two = {"XZ": 0.1, "II": 0.9}
    np.testing.assert_allclose(
        channels.pauli_channel(two), aer_ptm(pauli_error(list(two.items()))), atol=1e-12
    )


def test_kraus_and_qiskit_channels():
    channel = random_quantum_channel(4, seed=3)  # two qubits
    expected = PTM(channel).data.real
    np.testing.assert_allclose(channels.from_qiskit(channel), expected, atol=1e-12)
    np.testing.assert_allclose(channels.kraus(Kraus(channel).data), expected, atol=1e-12)
    np.testing.assert_allclose(
        channels.from_qiskit(amplitude_damping_error(0.3)),
        channels.amplitude_damping(0.3),
        atol=1e-12,
    )


@pytest.mark.parametrize(
    "ptm",
    [
        channels.depolarizing(0.2, 2),
        channels.amplitude_damping(0.3),
        channels.thermal_relaxation(1.0, 1.5, 0.2),
        channels.pauli_channel({"Y": 0.3}),
    ],
)
def test_trace_preservation_and_complete_positivity(ptm):
    assert ptm[0, 0] == 1 and np.all(ptm[0, 1:] == 0)
    channels.check_cptp(ptm)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: channels.depolarizing(1.5), "1.5"),
        (lambda: channels.depolarizing(-0.1), "-0.1"),
        (lambda: channels.amplitude_damping(1.2), "1.2"),
        (lambda: channels.phase_damping(-0.5), "-0.5"),
        (lambda: channels.thermal_relaxation(10.0, 25.0, 1.0), "T2 = 25.0 exceeds"),
        (lambda: channels.thermal_relaxation(-1.0, 1.0, 1.0), "T1 = -1.0"),
        (lambda: channels.pauli_channel({"X": 0.7, "Z": 0.6}), "sum"),
        (lambda: channels.pauli_channel({"X": -0.1}), "-0.1"),
        (lambda: channels.kraus([np.eye(2), np.eye(2)]), "not trace preserving"),
        (lambda: channels.check_cptp(np.diag([1.0, 1.0, 1.0, -1.0])), "not completely positive"),
    ],
)
def test_invalid_parameters_raise_with_the_value(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_compose_and_tensor_order():
    a, d = channels.amplitude_damping(0.2), channels.depolarizing(0.1)
    np.testing.assert_allclose(channels.compose(a, d), d @ a)
    expected = PTM(amplitude_damping_error(0.2).to_quantumchannel()).expand(
        PTM(depolarizing_error(0.1, 1).to_quantumchannel())
    )  # depolarizing on qubit 1
    np.testing.assert_allclose(channels.tensor(a, d), expected.data.real, atol=1e-12)
