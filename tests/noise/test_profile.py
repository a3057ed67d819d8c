import json

import numpy as np
import pytest
from qiskit_aer.noise import NoiseModel, ReadoutError, amplitude_damping_error, depolarizing_error

from qneuro.noise import Calibration, NoiseProfile, preset_names
from qneuro.noise.device import device_gate_channel
from qneuro.noise.presets import device_calibration
from qneuro.ptm import channels

preset = NoiseProfile.preset


def test_depolarizing_profile_covers_one_and_two_qubit_gates():
    profile = NoiseProfile.depolarizing(0.001, 0.005)
    np.testing.assert_allclose(profile.gate_channel("rx", (3,)), channels.depolarizing(0.001))
    np.testing.assert_allclose(profile.gate_channel("cx", (0, 2)), channels.depolarizing(0.005, 2))
    assert profile.readout(0) is None


def test_local_channels_override_defaults_and_repeats_compose():
    damping, depol = channels.amplitude_damping(0.1), channels.depolarizing(0.2)
    profile = NoiseProfile().add_channel(depol, "x").add_channel(damping, "x", [1])
    np.testing.assert_allclose(profile.gate_channel("x", (0,)), depol)
    np.testing.assert_allclose(profile.gate_channel("x", (1,)), damping)
    profile.add_channel(damping, "x")
    np.testing.assert_allclose(profile.gate_channel("x", (0,)), damping @ depol)
    assert profile.gate_channel("h", (0,)) is None


def test_from_noise_model_keeps_every_error_exactly():
    model = NoiseModel()
    model.add_all_qubit_quantum_error(depolarizing_error(0.01, 1), ["rx", "h"])
    model.add_quantum_error(amplitude_damping_error(0.2), ["rx"], [2])
    model.add_all_qubit_quantum_error(depolarizing_error(0.03, 2), ["cx"])
    model.add_readout_error(ReadoutError([[0.9, 0.1], [0.25, 0.75]]), [1])
    profile = NoiseProfile.from_noise_model(model)
    np.testing.assert_allclose(
        profile.gate_channel("h", (5,)), channels.depolarizing(0.01), atol=1e-12
    )
    np.testing.assert_allclose(
        profile.gate_channel("rx", (2,)), channels.amplitude_damping(0.2), atol=1e-12
    )
    np.testing.assert_allclose(
        profile.gate_channel("cx", (1, 0)), channels.depolarizing(0.03, 2), atol=1e-12
    )
    assert profile.readout(1) == (0.1, 0.25)
    assert profile.readout(0) is None


def test_from_noise_model_rejects_what_it_cannot_represent():
    model = NoiseModel()
    model.add_all_qubit_quantum_error(depolarizing_error(0.1, 1), ["measure"])
    with pytest.raises(ValueError, match="measure"):
        NoiseProfile.from_noise_model(model)
    correlated = NoiseModel()
    probabilities = np.full((4, 4), 0.01) + np.eye(4) * 0.96
    correlated.add_readout_error(ReadoutError(probabilities), [0, 1])
    with pytest.raises(ValueError, match="correlated"):
        NoiseProfile.from_noise_model(correlated)
    with pytest.raises(TypeError, match="NoiseModel"):
        NoiseProfile.from_noise_model({"not": "a model"})


def test_bad_channels_and_readout_are_rejected():
    with pytest.raises(ValueError, match="2-qubit channel cannot follow 'rx'"):
        NoiseProfile().add_channel(channels.depolarizing(0.1, 2), "rx")
    with pytest.raises(ValueError, match="1.5"):
        NoiseProfile().add_readout(1.5, 0.0)
    with pytest.raises(ValueError, match="not trace preserving"):
        NoiseProfile().add_channel(np.diag([0.5, 1, 1, 1]), "x")


def test_device_channel_matches_aer_formula():
    """Depolarizing then relaxation, with the depolarizing strength fitted to the error."""
    from qiskit_aer.noise import thermal_relaxation_error
    from qiskit_aer.noise.device.models import _device_depolarizing_error

    relax = thermal_relaxation_error(80e-6, 60e-6, 400e-9).expand(
        thermal_relaxation_error(100e-6, 150e-6, 400e-9)
    )
    expected = _device_depolarizing_error((0, 1), 0.01, relax).compose(relax)
    ours = device_gate_channel(0.01, 400e-9, (80e-6, 100e-6), (60e-6, 150e-6))
    np.testing.assert_allclose(ours, channels.from_qiskit(expected), atol=1e-12)
    # The fitted channel reproduces the reported error.
    assert 1 - channels.average_gate_fidelity(ours) == pytest.approx(0.01)


def test_bundled_mumbai_snapshot_equals_fake_backend():
    presets = pytest.importorskip("qneuro.noise.presets")
    pytest.importorskip("qiskit_ibm_runtime")
    fresh = presets.snapshot("mumbai")
    assert json.dumps(fresh.to_json(), sort_keys=True) == json.dumps(
        device_calibration("mumbai").to_json(), sort_keys=True
    )


def test_calibration_json_roundtrip(tmp_path):
    calibration = device_calibration("mumbai")
    calibration.save(tmp_path / "cal.json")
    assert Calibration.load(tmp_path / "cal.json") == calibration
    assert calibration.num_qubits == 27


def test_presets_by_name():
    for name in preset_names():
        assert isinstance(preset(name), NoiseProfile)
        assert NoiseProfile.preset(name).name == name
    median, worst, ten = (preset(f"mumbai-{s}") for s in ("median", "max", "10x-max"))
    # Worse calibrations give lower fidelity on every gate kind.
    for gate, qubits in [("rx", (0,)), ("cx", (0, 1))]:
        fidelities = [
            channels.average_gate_fidelity(p.gate_channel(gate, qubits))
            for p in (median, worst, ten)
        ]
        assert fidelities[0] > fidelities[1] > fidelities[2]
    assert median.readout(5) == median.readout(0)
    with pytest.raises(ValueError, match="unknown noise preset 'nope'.*mumbai-median"):
        preset("nope")
    with pytest.raises(ValueError, match="1.5"):
        preset("depolarizing-1.5-0.1")


def test_summary_statistics_of_a_calibration():
    calibration = device_calibration("mumbai")
    median = calibration.summary("median")
    worst = calibration.summary("max")
    cx_errors = [p.error for (g, _), p in calibration.gates.items() if g == "cx"]
    assert median.gates["cx"].error == pytest.approx(np.median(cx_errors))
    assert worst.gates["cx"].error == pytest.approx(max(cx_errors))
    assert worst.t1 == pytest.approx(min(calibration.t1))
    assert calibration.summary("max", 10).gates["cx"].error == pytest.approx(10 * max(cx_errors))
    with pytest.raises(ValueError, match="'mean'"):
        calibration.summary("mean")


def test_subset_renumbers_qubits():
    profile = preset("mumbai")
    sub = profile.subset([12, 13])
    np.testing.assert_allclose(sub.gate_channel("cx", (0, 1)), profile.gate_channel("cx", (12, 13)))
    assert sub.readout(1) == profile.readout(13)
    assert sub.gate_channel("cx", (0, 2)) is None


def test_preset_probabilities_in_exponent_notation():
    profile = preset("depolarizing-1e-3-5e-3")
    np.testing.assert_allclose(profile.gate_channel("h", (0,)), channels.depolarizing(1e-3))
    np.testing.assert_allclose(profile.gate_channel("cz", (0, 1)), channels.depolarizing(5e-3, 2))


def test_unknown_gate_names_are_rejected():
    with pytest.raises(ValueError, match="'cnot' is not one the simulator runs"):
        NoiseProfile().add_channel(channels.depolarizing(0.1, 2), "cnot")


def test_lowercase_pauli_labels():
    np.testing.assert_allclose(
        channels.pauli_channel({"i": 0.9, "x": 0.1}), channels.pauli_channel({"X": 0.1})
    )


def test_folded_profile_applies_each_channel_scale_times_and_keeps_readout():
    noise = NoiseProfile.preset("mumbai-median")
    tripled = noise.folded(3)
    for gate, qubits in (("rx", (0,)), ("cx", (0, 1))):
        once = noise.gate_channel(gate, qubits)
        assert np.allclose(tripled.gate_channel(gate, qubits), once @ once @ once)
    assert tripled.readout(0) == noise.readout(0) is not None
    assert noise.without_readout().readout(0) is None
    rx = noise.gate_channel("rx", (0,))
    assert np.array_equal(noise.without_readout().gate_channel("rx", (0,)), rx)
    local = NoiseProfile().add_channel(channels.amplitude_damping(0.1), "rx", [1])
    assert np.allclose(
        local.folded(3).gate_channel("rx", (1,)),
        np.linalg.matrix_power(local.gate_channel("rx", (1,)), 3),
    )
    assert local.folded(3).gate_channel("rx", (0,)) is None
    for bad in (2, 0, -1, 1.0, True):
        with pytest.raises(ValueError, match="positive odd integer"):
            noise.folded(bad)
