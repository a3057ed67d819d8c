"""Circuit-level netlists (qneuro.sfq.circuit): DC point, inductance matrix, noise, pulses."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from qneuro.sfq.circuit import Circuit, simulate_circuit
from qneuro.sfq.circuit_cells import CellParameters, jtl, load
from qneuro.sfq.constants import K_B, PHI0
from qneuro.sfq.junction import Junction
from qneuro.sfq.units import ffarad, kelvin, ohm, phenry, psecond, uamp

COLD = CellParameters(temperature=0 * kelvin)
FLUX = float(PHI0) / (2 * np.pi)  # Phi0 / 2pi, weber


def test_operating_point_matches_the_scalar_balance():
    # one junction, biased, with an inductor to ground: Ib = Ic sin(phi) + (Phi0/2pi) phi / L
    ic, ib, ind = 100e-6, 60e-6, 8e-12
    c = Circuit().junction("n", Junction(), bias=ib * 1e6 * uamp).inductor("n", "gnd", 8 * phenry)
    expected = brentq(lambda p: ic * np.sin(p) + FLUX * p / ind - ib, 0, np.pi / 2)
    assert c.operating_point()[0] == pytest.approx(expected, abs=1e-9)


def test_inverse_inductance_with_a_mutual_is_the_inverse_branch_matrix():
    c = Circuit().junction("a", Junction()).junction("b", Junction())
    c.inductor("a", "gnd", 10 * phenry, name="La").inductor("b", "gnd", 6 * phenry, name="Lb")
    c.mutual("La", "Lb", -4 * phenry)
    expected = np.linalg.inv(np.array([[10.0, -4.0], [-4.0, 6.0]]) * 1e-12)
    np.testing.assert_allclose(c.inverse_inductance(), expected, rtol=1e-12)
    # an inductor between two nodes adds the Laplacian 1/L [[1, -1], [-1, 1]]
    c.inductor("a", "b", 5 * phenry)
    expected = expected + np.array([[1, -1], [-1, 1]]) / 5e-12
    np.testing.assert_allclose(c.inverse_inductance(), expected, rtol=1e-12)


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda c: c.inductor("a", "a", 1 * phenry), "two different nodes"),
        (lambda c: c.inductor("a", "b", 0 * phenry), "inductance"),
        (lambda c: c.junction("gnd", Junction()), "other than 'gnd'"),
        (lambda c: c.junction("x", Junction()).junction("x", Junction()), "already has"),
        (lambda c: c.mutual("nope", "also", 1 * phenry), "no inductor named"),
        (lambda c: c.series_junction("a", "gnd", Junction()), "two circuit nodes"),
        (lambda c: c.input("in").input("in"), "is taken"),
        (lambda c: c.bias("a", 5 * ohm), "bias"),
        (
            lambda c: c.inductor("a", "gnd", 2 * phenry, name="L").mutual("L", "L", 1 * phenry),
            "two different",
        ),
    ],
)
def test_bad_netlists_are_refused_by_name(build, message):
    with pytest.raises(ValueError, match=message):
        build(Circuit())


def test_a_node_without_capacitance_or_a_loose_input_is_refused():
    c = Circuit().junction("a", Junction()).inductor("a", "b", 4 * phenry)
    with pytest.raises(ValueError, match=r"\['b'\] have no capacitance"):
        c.operating_point()
    c = Circuit().junction("a", Junction()).input("in")
    with pytest.raises(ValueError, match="not connected"):
        c.check()


def test_a_mutual_pair_is_set_once():
    c = Circuit().junction("a", Junction()).junction("b", Junction())
    c.inductor("a", "gnd", 4 * phenry, name="La").inductor("b", "gnd", 4 * phenry, name="Lb")
    c.mutual("La", "Lb", 1 * phenry)
    with pytest.raises(ValueError, match="already have a mutual"):
        c.mutual("Lb", "La", 1 * phenry)


def test_an_island_without_a_dc_path_is_named():
    c = Circuit().capacitor("a", 20 * ffarad).capacitor("b", 20 * ffarad)
    c.series_junction("a", "b", Junction())
    with pytest.raises(ValueError, match="without a DC path to ground"):
        c.operating_point()


def test_automatic_inductor_names_skip_the_given_ones():
    c = Circuit().junction("a", Junction()).junction("b", Junction())
    c.inductor("a", "gnd", 4 * phenry, name="L1").inductor("a", "b", 4 * phenry)
    c.inductor("b", "gnd", 4 * phenry)
    assert [branch.name for branch in c.inductors] == ["L1", "L0", "L2"]


def test_simulate_refuses_unknown_inputs_and_nodes():
    c = Circuit().input("in").inductor("in", "a", 4 * phenry).junction("a", Junction())
    with pytest.raises(ValueError, match="unknown inputs"):
        simulate_circuit(c, {"other": 10 * psecond}, duration=20 * psecond)
    with pytest.raises(ValueError, match="record: no nodes"):
        simulate_circuit(c, duration=20 * psecond, record=("zz",))
    with pytest.raises(ValueError, match="2 time lists for 3 copies"):
        simulate_circuit(c, {"in": [[5] * psecond, [6] * psecond]}, duration=20 * psecond, copies=3)
    with pytest.raises(ValueError, match="one array of times per copy"):
        simulate_circuit(c, {"in": [5 * psecond, 9 * psecond]}, duration=20 * psecond, copies=2)
    with pytest.raises(ValueError, match="too coarse"):
        simulate_circuit(c, duration=20 * psecond, dt=2.5 * psecond)


def test_thermal_phase_variance_follows_equipartition_with_an_inductor():
    """<U''> phi^2 = kT with U'' = E_J + (Phi0/2pi)^2 / L: the noise and Gamma paths together."""
    temperature, ind = 4.2, 10e-12
    j = Junction(temperature=temperature * kelvin)
    c = Circuit().junction("n", j).inductor("n", "gnd", 10 * phenry)
    run = simulate_circuit(c, duration=60 * psecond, copies=400, seed=3, record=("n",))
    phases = run.traces["n"][:, len(run.trace_times) // 3 :]  # after the first 20 ps
    stiffness = float(j.josephson_energy) + FLUX**2 / ind
    ratio = stiffness * np.mean(phases**2) / (float(K_B) * temperature)
    # Euler-Maruyama at dt = 0.01 ps heats the junction by ~2-3% (qneuro.sfq.junction);
    # 400 copies x ~40 ps of correlated samples: a few % statistical error
    assert ratio == pytest.approx(1.0, abs=0.08)


def test_a_jtl_passes_one_pulse_per_input_in_stage_order():
    c = Circuit().input("in")
    last = jtl(c, "j", "in", stages=5, cells=COLD)
    load(c, last, COLD)
    run = simulate_circuit(c, {"in": [20, 70] * psecond}, duration=120 * psecond, dt=0.02 * psecond)
    assert all(run.counts(f"j.{k}")[0] == 2 for k in range(5))
    first = [run.pulse_times(f"j.{k}")[0] for k in range(5)]
    assert np.all(np.diff(first) > 0)  # the pulse travels down the line
    # a steady pulse: equal delay per stage away from the ends (within 5%)
    inner = np.diff(first)[1:-1]
    assert np.ptp(inner) < 0.05 * np.mean(inner)


def test_energy_per_jtl_stage_is_the_bias_times_phi0():
    """Energy balance: a slip moves the bias source's Ib through Phi0, dissipated in shunts."""
    c = Circuit().input("in")
    load(c, jtl(c, "j", "in", stages=6, cells=COLD), COLD)
    run = simulate_circuit(c, {"in": 20 * psecond}, duration=100 * psecond, dt=0.02 * psecond)
    per_stage = run.energy_of([f"j.{k}" for k in (2, 3)])[0] / 2
    assert per_stage == pytest.approx(float(COLD.bias() * PHI0), rel=0.10)


def test_copies_with_their_own_input_times_are_independent():
    c = Circuit().input("in")
    load(c, jtl(c, "j", "in", stages=2, cells=COLD), COLD)
    times = [[20] * psecond, [20, 60] * psecond, [] * psecond]
    run = simulate_circuit(c, {"in": times}, duration=100 * psecond, copies=3, dt=0.02 * psecond)
    np.testing.assert_array_equal(run.counts("j.1"), [1, 2, 0])
    assert run.pulse_times("j.1", copy=1)[1] == pytest.approx(
        run.pulse_times("j.1", copy=1)[0] + 40e-12, abs=0.05e-12
    )


def test_a_small_netlist_follows_an_independent_ode_integration():
    """Noise off: series junction, load, capacitor, mutuals of both signs and a source,
    against scipy's solve_ivp of the same equations written out by hand."""
    from scipy.integrate import solve_ivp

    from qneuro.sfq.circuit import SOURCE_TAU

    cold = 0 * kelvin
    ja, jb, js = (Junction(ic=i * uamp, temperature=cold) for i in (100, 120, 80))
    c = Circuit().input("in")
    c.inductor("in", "a", 3 * phenry, name="L1").junction("a", ja, bias=70 * uamp)
    c.series_junction("a", "b", js).junction("b", jb, bias=60 * uamp)
    c.resistor("b", 7 * ohm, temperature=cold).capacitor("b", 50 * ffarad)
    c.inductor("b", "gnd", 6 * phenry, name="L2").inductor("a", "b", 5 * phenry, name="L3")
    c.mutual("L1", "L2", 1.5 * phenry).mutual("L2", "L3", -1.0 * phenry)
    inverse = np.linalg.inv(np.array([[3, 1.5, 0], [1.5, 6, -1.0], [0, -1.0, 5]]) * 1e-12)
    ca, cb = float(ja.capacitance), float(jb.capacitance) + 50e-15
    ga, gb, rs = 1 / float(ja.resistance), 1 / float(jb.resistance) + 1 / 7, float(js.resistance)
    tau = float(SOURCE_TAU) * 1e12  # ps

    def rhs(t, y, step):  # time in ps, velocities in rad/ps
        pa, pb, va, vb, ps = y
        i1, i2, i3 = inverse @ (FLUX * np.array([ps - pa, pb, pa - pb]))
        i_s = 80e-6 * np.sin(pa - pb) + FLUX * (va - vb) * 1e12 / rs
        ia = 70e-6 - 100e-6 * np.sin(pa) - FLUX * va * 1e12 * ga + i1 - i3 - i_s
        ib = 60e-6 - 120e-6 * np.sin(pb) - FLUX * vb * 1e12 * gb - i2 + i3 + i_s
        return [va, vb, ia / (FLUX * ca) * 1e-24, ib / (FLUX * cb) * 1e-24, (step - ps) / tau]

    before = solve_ivp(
        rhs,
        (0, 10),
        [*c.operating_point(), 0, 0, 0],
        args=(0.0,),
        rtol=1e-9,
        atol=1e-11,
        dense_output=True,
    )
    after = solve_ivp(
        rhs, (10, 60), before.y[:, -1], args=(2 * np.pi,), rtol=1e-9, atol=1e-11, dense_output=True
    )
    run = simulate_circuit(c, {"in": 10 * psecond}, duration=60 * psecond, record=("a", "b"))
    t = run.trace_times * 1e12
    for k, node in enumerate("ab"):
        expected = np.where(
            t < 10, before.sol(np.minimum(t, 10))[k], after.sol(np.maximum(t, 10))[k]
        )
        assert np.max(np.abs(run.traces[node][0] - expected)) < 0.05  # Euler, dt = 0.01 ps
    np.testing.assert_array_equal(run.counts("a"), [1])


def test_copies_draw_independent_noise():
    j = Junction(temperature=4.2 * kelvin)
    c = Circuit().junction("n", j).inductor("n", "gnd", 10 * phenry)
    run = simulate_circuit(c, duration=40 * psecond, copies=2, seed=5, record=("n",))
    first, second_copy = run.traces["n"][:, 400:]
    assert abs(np.corrcoef(first, second_copy)[0, 1]) < 0.5
    assert np.std(first) > 0 and np.std(second_copy) > 0
