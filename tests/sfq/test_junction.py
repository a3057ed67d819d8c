"""RCSJ junction: derived quantities by hand, and the brian2 model against exact results."""

from __future__ import annotations

import numpy as np
import pytest

from qneuro.sfq.characterize import InputPulse, pulse_trials, ramp_switching_currents
from qneuro.sfq.constants import PHI0
from qneuro.sfq.junction import (
    Junction,
    josephson_energy,
    junction_group,
    plasma_frequency,
    shunt_resistance,
    stewart_mccumber,
)
from qneuro.sfq.units import farad, hertz, joule, kelvin, ohm, psecond, uamp

# Hand arithmetic (Phi0 = 2.067833848e-15 Wb):
# E_J(100 uA) = 2.067833848e-15 * 1e-4 / 6.283185307 = 3.291060e-20 J
# omega_p(100 uA, 60 fF) = sqrt(6.283185307e-4 / (2.067833848e-15 * 6e-14))
#                        = sqrt(5.064221e24) = 2.250383e12 rad/s
# beta_c(250 uA, 2 Ohm, 0.3 pF) = 6.283185307 * 2.5e-4 * 4 * 3e-13 / 2.067833848e-15
#                               = 1.884956e-15 / 2.067833848e-15 = 0.911561
# R(beta_c = 1; 100 uA, 60 fF) = sqrt(2.067833848e-15 / (6.283185307e-4 * 6e-14))
#                              = sqrt(54.8507) = 7.40613 Ohm


def test_helpers_against_hand_computed_numbers():
    assert float(josephson_energy(100 * uamp) / joule) == pytest.approx(3.291060e-20, rel=1e-6)
    assert float(plasma_frequency(100 * uamp, 60e-15 * farad) / hertz) == pytest.approx(
        2.250383e12, rel=1e-6
    )
    assert stewart_mccumber(250 * uamp, 2 * ohm, 0.3e-12 * farad) == pytest.approx(
        0.911561, rel=1e-6
    )
    assert float(shunt_resistance(100 * uamp, 60e-15 * farad, 1.0) / ohm) == pytest.approx(
        7.40613, rel=1e-5
    )


def test_default_junction_is_the_documented_process():
    j = Junction()
    assert float(j.area) == pytest.approx(1e-12)  # 100 uA / (100 uA/um^2) = 1 um^2
    assert float(j.capacitance) == pytest.approx(60e-15)
    assert stewart_mccumber(j.ic, j.resistance, j.capacitance) == pytest.approx(1.0)
    assert float(j.plasma_frequency / hertz) == pytest.approx(2.250383e12, rel=1e-6)
    # omega_p R C = sqrt(beta_c); omega_c = beta_c omega_p... for beta_c = 1 they coincide
    assert float(j.characteristic_frequency / j.plasma_frequency) == pytest.approx(1.0)
    # k_B * 4.2 K = 5.798726e-23 J; / E_J = 1.761963e-3
    assert j.noise_ratio == pytest.approx(5.798726e-23 / 3.291060e-20, rel=1e-6)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"ic": 100}, "no unit"),
        ({"ic": -1 * uamp}, "ic"),
        ({"temperature": -1 * kelvin}, "temperature"),
        ({"beta_c": 0.0}, "beta_c"),
        ({"specific_capacitance": 1 * uamp}, "dimensions"),
    ],
)
def test_bad_junction_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Junction(**kwargs)


def test_group_refuses_bias_at_or_above_ic():
    with pytest.raises(ValueError, match="inside"):
        junction_group(Junction(), i_bias=np.array([100.0]) * uamp)


def test_equipartition_fixes_the_noise_convention():
    """Noise sqrt(2kT/R) xi gives <C V^2> = kT and <E_J phi^2> = kT (harmonic well, i = 0).

    2000 rows x 10 snapshots 2 ps apart (correlation time ~1/omega_p = 0.44 ps): the
    variance's standard error is sqrt(2 / 20000) = 1%. Euler-Maruyama heats by O(dt / RC):
    measured +3.4% (voltage) and +2% (phase) at dt = 0.01 ps, so the bound is 4 standard
    errors plus 5%. A noise amplitude off by sqrt(2) would be off by 100% or 50%.
    """
    import brian2 as b2
    from brian2.codegen.runtime.numpy_rt import NumpyCodeObject

    j = Junction(temperature=4.2 * kelvin)
    n = 2000
    group = junction_group(j, i_bias=np.zeros(n) * uamp, codeobj_class=NumpyCodeObject)
    net = b2.Network(group)
    b2.seed(7)
    net.run(10 * psecond, namespace={})
    v, phi = [], []
    for _ in range(10):
        net.run(2 * psecond, namespace={})
        v.append(np.array(group.v[:], copy=True))
        phi.append(np.array(group.phi[:], copy=True))
    kt = float(j.thermal_energy)
    var_v = np.var(v) * (float(PHI0) / (2 * np.pi)) ** 2 * float(j.capacitance) / kt
    var_phi = np.var(phi) * float(j.josephson_energy) / kt
    bound = 4 * np.sqrt(2 / (10 * n)) + 0.05
    assert abs(var_v - 1) < bound, var_v
    assert abs(var_phi - 1) < bound, var_phi


def test_noise_free_ramp_switches_at_ic_and_not_below():
    """Deterministic ramp: no switch before Ic; after it, the slow-passage delay.

    Near i = 1 (phi = pi/2 + y, overdamped since the passage is slow) the phase obeys
    ``y' = omega_c (r t + y^2 / 2)`` with ``r = Idot / Ic``: a Riccati equation whose
    solution (an Airy function) blows up at ``t* = 2.338 (omega_c^2 r / 2)^(-1/3)`` after
    the drive crossed Ic. The phase then runs on to 2pi within ``4pi / omega_c``. So
    ``Ic <= I_sw <= Ic + Idot (t* + 4pi/omega_c + 2 dt)``; the drive 0.95 Ic never switches.
    """
    j = Junction(temperature=0 * kelvin)
    rate = 0.02 * uamp / psecond
    current = ramp_switching_currents(j, 97 * uamp, rate, 1, stop=103 * uamp)
    r, wc = float(rate / j.ic), float(j.characteristic_frequency / hertz)
    t_star = 2.338 * (wc**2 * r / 2) ** (-1 / 3)
    dt = 0.01e-12
    upper = float(rate) * (t_star + 4 * np.pi / wc + 2 * dt)
    excess = float(current[0] - j.ic)
    assert 0.8 * float(rate) * t_star <= excess <= upper, (excess, float(rate) * t_star, upper)
    quiet = InputPulse(amplitude=0 * uamp, window=300 * psecond)
    held = pulse_trials(j, np.array([95.0]) * uamp, 1, pulse=quiet)
    assert held.slips[0] == 0 and float(held.bias_energy[0]) == pytest.approx(0, abs=1e-30)


def test_one_slip_is_a_voltage_pulse_of_area_phi0():
    """A pulse through a junction biased at 0.7 Ic: one 2pi slip, then it retraps.

    The recorded voltage trace, integrated by the trapezoid rule, is Phi0 (1%); the bias
    source delivers Ib * Phi0 (1%).
    """
    import brian2 as b2
    from brian2.codegen.runtime.numpy_rt import NumpyCodeObject

    j = Junction(temperature=0 * kelvin)
    group = junction_group(
        j,
        i_bias=np.array([70.0]) * uamp,
        i_pulse=60 * uamp,
        t_pulse=10 * psecond,
        w_pulse=1 * psecond,
        codeobj_class=NumpyCodeObject,
    )
    monitor = b2.StateMonitor(group, "v", record=0, codeobj_class=NumpyCodeObject)
    b2.Network(group, monitor).run(60 * psecond, namespace={})
    voltage = np.asarray(monitor.v[0]) * float(PHI0) / (2 * np.pi)
    area = np.trapezoid(voltage, np.asarray(monitor.t[:]))
    assert area == pytest.approx(float(PHI0), rel=0.01)
    assert float(group.phi[0] - group.phi_start[0]) == pytest.approx(2 * np.pi, rel=1e-3)
    assert abs(voltage[-1]) < 1e-3 * voltage.max()  # retrapped: no voltage at the end
    assert float(group.bias_energy[0]) == pytest.approx(70e-6 * float(PHI0), rel=0.01)
    assert float(group.energy[0]) > float(group.bias_energy[0])  # plus the input pulse's part
