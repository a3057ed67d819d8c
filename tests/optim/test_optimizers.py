import numpy as np
import pytest

from qneuro.optim import OPTIMIZERS, SPSA, AdamSPSA, ScipyOptimizer, get_optimizer, minimize


class Counted:
    """sum(sin(x)) + 0.1 |x - 1|^2 ... a smooth objective with a known minimum, counted."""

    def __init__(self, batched=False):
        self.batched = batched
        self.calls = []

    def __call__(self, x, **kwargs):
        x = np.asarray(x, dtype=float)
        self.calls.append((x.shape, kwargs))
        return np.sum((x - 0.3) ** 2, axis=-1) + 1.0


@pytest.mark.parametrize("method", OPTIMIZERS)
@pytest.mark.parametrize("batched", [False, True])
def test_every_method_finds_the_minimum_within_budget(method, batched):
    fun = Counted(batched)
    result = minimize(fun, np.zeros(3), budget=400, seed=3, method=method, batched=batched)
    evaluated = sum(shape[0] if len(shape) == 2 else 1 for shape, _ in fun.calls)
    assert result.nfev == evaluated <= 400
    assert result.fun == pytest.approx(1.0, abs=2e-3)
    assert np.allclose(result.x, 0.3, atol=0.05)
    assert result.history.shape == result.history_nfev.shape == (len(result.history_x),)
    assert np.allclose([fun.__call__(x) for x in result.history_x], result.history)
    assert result.history.min() == result.fun
    assert np.all(np.diff(result.history_nfev) >= 0)
    assert result.method == method


def test_spsa_points_go_out_as_one_batch():
    fun = Counted(batched=True)
    minimize(fun, np.zeros(4), budget=31, seed=0, method="adam-spsa")
    shapes = [shape for shape, _ in fun.calls]
    assert shapes[:10] == [(3, 4)] * 10
    assert shapes[10] == (1, 4)  # the last iterate, with the one evaluation left


def test_budget_is_never_exceeded_even_when_it_is_not_a_multiple():
    for budget in (1, 2, 5, 17):
        for method in OPTIMIZERS:
            fun = Counted()
            result = minimize(fun, np.ones(2), budget=budget, seed=0, method=method)
            assert result.nfev <= budget
            assert len(fun.calls) == result.nfev


def test_same_seed_same_result_and_other_seed_differs():
    def noisy_free(x):
        return float(np.sum(np.cos(x) + 0.1 * x**2))

    a = minimize(noisy_free, [0.1, 0.2], budget=60, seed=7)
    b = minimize(noisy_free, [0.1, 0.2], budget=60, seed=7)
    c = minimize(noisy_free, [0.1, 0.2], budget=60, seed=8)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.history, b.history)
    assert not np.array_equal(a.history, c.history)


def test_adam_spsa_follows_the_crlqas_update():
    """Two iterations against the formulas of the design note, written out by hand."""
    config = AdamSPSA()
    f = lambda x: float(np.sum(np.sin(x)) + x[0] * x[1])  # noqa: E731
    x0 = np.array([0.3, -0.2, 0.5])
    result = config.minimize(f, x0, budget=7, seed=11)

    rng = np.random.default_rng(11)
    x, m, v = x0.copy(), np.zeros(3), np.zeros(3)
    expected_history = []
    for k in range(2):
        ak, ck = config.a / (k + 1) ** config.alpha, config.c / (k + 1) ** config.gamma
        delta = rng.choice([-1.0, 1.0], size=3)
        g = (f(x + ck * delta) - f(x - ck * delta)) / (2 * ck) * delta
        expected_history.append(f(x))
        b1 = config.beta1 / (k + 1) ** config.lam
        m = b1 * m + (1 - b1) * g
        v = config.beta2 * v + (1 - config.beta2) * g**2
        m_hat, v_hat = m / (1 - config.beta1 ** (k + 1)), v / (1 - config.beta2 ** (k + 1))
        x = x - ak * m_hat / (np.sqrt(v_hat) + config.eps)
    expected_history.append(f(x))
    assert np.allclose(result.history, expected_history, atol=1e-12)
    assert result.fun == pytest.approx(min(expected_history))


def test_adam_spsa_first_step_can_be_plain_spsa():
    f = lambda x: float(np.sum((x - 1) ** 2))  # noqa: E731
    config = AdamSPSA(spsa_first_step=True)
    result = config.minimize(f, np.zeros(2), budget=4, seed=2)
    rng = np.random.default_rng(2)
    delta = rng.choice([-1.0, 1.0], size=2)
    g = (f(config.c * delta) - f(-config.c * delta)) / (2 * config.c) * delta
    assert result.history[-1] == pytest.approx(f(-config.a * g))


def test_shot_stages_raise_the_shots_in_equal_parts_of_the_budget():
    fun = Counted(batched=True)
    minimize(fun, np.zeros(2), budget=90, seed=0, shots=1000, shot_stages=(0.01, 0.1, 1.0))
    shots = [kwargs["shots"] for _, kwargs in fun.calls]
    assert shots[:10] == [10] * 10 and shots[10:20] == [100] * 10 and shots[20:] == [1000] * 10


def test_scipy_lbfgsb_gradient_is_one_batch():
    fun = Counted(batched=True)
    minimize(fun, np.zeros(3), budget=100, method="l-bfgs-b")
    assert all(shape == (7, 3) for shape, _ in fun.calls)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: minimize(np.sum, [0.0], budget=0), "budget=0"),
        (lambda: minimize(np.sum, [[0.0]], budget=5), "1-D"),
        (lambda: minimize(np.sum, [np.nan], budget=5), "finite"),
        (lambda: minimize(np.sum, [0.0], budget=5, method="adam"), "allowed: adam-spsa"),
        (lambda: minimize(np.sum, [0.0], budget=5, method="spsa", shots=10), "needs adam-spsa"),
        (lambda: minimize(lambda x: np.nan, [0.0], budget=5), "finite values"),
        (lambda: get_optimizer("spsa", learning_rate=1), "bad option for spsa"),
        (lambda: AdamSPSA(beta1=1.0), "beta1=1.0"),
        (lambda: AdamSPSA(shot_stages=(0.0,)), "shot_stages"),
        (lambda: SPSA(c=-1), "c=-1"),
        (lambda: ScipyOptimizer("BFGS"), "allowed: COBYLA"),
    ],
)
def test_bad_input_is_a_clear_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_rotosolve_lands_on_a_separable_sinusoid_minimum_in_one_sweep():
    amplitude = np.array([2.0, -0.5, 1.3])
    phase = np.array([1.0, -2.0, 0.4])

    def fun(x):
        return 3.0 + np.sum(amplitude * np.cos(np.asarray(x) - phase), axis=-1)

    fun.batched = True
    result = minimize(fun, np.zeros(3), budget=3 * 3 + 1, method="rotosolve")
    assert result.fun == pytest.approx(3.0 - np.abs(amplitude).sum(), abs=1e-12)
    assert result.nit == 1


def test_rotosolve_reaches_an_exact_vqe_minimum_where_adam_spsa_stalls():
    from qneuro import vqe

    ansatz = vqe.hardware_efficient_ansatz(2, 1)
    roto = vqe.run(_h2(), ansatz, optimizer="rotosolve", budget=600, seed=0)
    adam = vqe.run(_h2(), ansatz, optimizer="adam-spsa", budget=600, seed=0)
    assert abs(roto.error) < 1e-6
    assert abs(adam.error) > 100 * abs(roto.error)


def test_rotosolve_tol_stops_after_a_sweep_without_progress():
    def fun(x):  # coupled: coordinate steps converge geometrically, never exactly
        return float(np.cos(x[0]) + np.cos(x[1]) + 0.3 * np.cos(x[0] - x[1]))

    result = minimize(fun, [0.3, 0.2], budget=10_000, method="rotosolve", tol=1e-12)
    assert result.nfev < 100
    assert result.fun == pytest.approx(-1.7, abs=1e-9)
    assert "tol" in result.message
    with pytest.raises(ValueError, match="tol=-1"):
        get_optimizer("rotosolve", tol=-1)


def _h2():
    from qneuro.chem import load

    return load("H2-2q")


def test_rotosolve_evaluates_its_last_move_whatever_the_budget():
    def fun(x):
        return float(np.cos(x[0]) + 0.5 * np.cos(x[1] - 1.0))

    for budget in (7, 8, 9):  # two steps fit; the final move is always evaluated
        result = minimize(fun, [0.3, 0.7], budget=budget, method="rotosolve")
        assert result.fun == pytest.approx(-1.5, abs=1e-12) and result.nfev <= budget


def test_rotosolve_stops_at_a_fixed_point_and_leaves_flat_angles_alone():
    def fun(x):  # separable: one sweep lands on the minimum; x[2] does not matter
        return float(np.cos(x[0] - 1.0) + 2.0 * np.cos(x[1]))

    result = minimize(fun, [0.3, 0.2, 0.7], budget=1000, method="rotosolve")
    assert result.fun == pytest.approx(-3.0, abs=1e-12)
    assert "moved no angle" in result.message and result.nfev < 30
    assert result.x[2] == 0.7


@pytest.mark.parametrize(
    "problem, noise, layers",
    [("LiH-4q", None, 2), ("LiH-4q", "mumbai-median", 1), ("H2O-8q", None, 1)],
)
def test_incremental_rotosolve_equals_the_evaluated_one(problem, noise, layers):
    """Exact sinusoids (Pauli-vector sweeps below 7 qubits, statevector sweeps above) give
    the iterates and values of three evaluations per angle."""
    from qneuro import chem, vqe
    from qneuro.optim import Rotosolve

    loaded = chem.load(problem)
    ansatz = vqe.hardware_efficient_ansatz(loaded.num_qubits, layers)
    energy = vqe.Energy(loaded, ansatz, noise)
    x0 = np.random.default_rng(0).uniform(0.0, 0.1, ansatz.num_parameters)
    for budget in (40, 3 * ansatz.num_parameters + 30):  # part of a sweep; more than one
        evaluated = Rotosolve(incremental=False).minimize(energy, x0, budget=budget)
        calls = energy.nfev
        incremental = Rotosolve(incremental=True).minimize(energy, x0, budget=budget)
        assert energy.nfev == calls  # no circuit evaluation at all
        assert incremental.fun == pytest.approx(evaluated.fun, abs=1e-10)
        np.testing.assert_allclose(incremental.history, evaluated.history, atol=1e-10)
        # Nearly flat directions turn rounding differences into small angle differences.
        np.testing.assert_allclose(incremental.x, evaluated.x, atol=1e-6)
        assert incremental.nfev == evaluated.nfev and incremental.nit == evaluated.nit


def test_rotosolve_evaluates_when_no_exact_sinusoids_are_offered():
    from qneuro import chem, vqe
    from qneuro.optim import Rotosolve

    loaded = chem.load("H2-2q")
    ansatz = vqe.hardware_efficient_ansatz(2, 1)
    x0 = np.full(ansatz.num_parameters, 0.05)
    with_shots = [vqe.Energy(loaded, ansatz, shots=1000, seed=3) for _ in range(2)]
    auto = Rotosolve().minimize(with_shots[0], x0, budget=60)
    evaluated = Rotosolve(incremental=False).minimize(with_shots[1], x0, budget=60)
    np.testing.assert_array_equal(auto.history, evaluated.history)  # same noisy samples
    with pytest.raises(ValueError, match="exact coordinate sinusoids"):
        Rotosolve(incremental=True).minimize(with_shots[0], x0, budget=60)
    with pytest.raises(ValueError, match="exact coordinate sinusoids"):
        Rotosolve(incremental=True).minimize(lambda x: float(np.sum(np.cos(x))), x0, budget=60)
    with pytest.raises(ValueError, match="incremental='yes'"):
        Rotosolve(incremental="yes")


def _offset_circuit():
    """Rotations with offsets, negative coefficients and two-qubit generators (H2-4q)."""
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector

    theta = ParameterVector("t", 6)
    circuit = QuantumCircuit(4)
    circuit.x(0)
    circuit.x(2)
    circuit.ry(0.3 - theta[0], 1)
    circuit.cx(1, 3)
    circuit.rzx(theta[1] + 1.1, 2, 0)
    circuit.ryy(-theta[2], 3, 1)
    circuit.cx(3, 0)
    circuit.rx(theta[3] - 0.4, 2)
    circuit.rz(-theta[4] + 2.0, 3)
    circuit.ry(theta[5], 0)
    return circuit


def test_incremental_rotosolve_with_offsets_and_negative_coefficients():
    """Angles ``offset - x_i`` and two-qubit rotations: the slot-to-parameter mapping."""
    from qneuro import chem, vqe
    from qneuro.optim import Rotosolve

    problem = chem.load("H2-4q")
    circuit = _offset_circuit()
    x0 = np.random.default_rng(2).uniform(-1.0, 1.0, 6)
    for noise in (None, "mumbai-median"):
        energy = vqe.Energy(problem, circuit, noise)
        assert energy.coordinate_sweep(x0, 6) is not None
        evaluated = Rotosolve(incremental=False).minimize(energy, x0, budget=61)
        incremental = Rotosolve(incremental=True).minimize(energy, x0, budget=61)
        np.testing.assert_allclose(incremental.history, evaluated.history, atol=1e-10)
        np.testing.assert_allclose(incremental.x, evaluated.x, atol=1e-8)


@pytest.mark.parametrize(
    "problem, noise",
    [("H2-4q", None), ("H2-4q", "mumbai-median"), ("LiH-6q", None), ("H2O-8q", None)],
)
def test_exact_gradient_is_the_parameter_shift_gradient(problem, noise):
    """One sweep (Pauli vectors below 7 qubits, statevectors above) gives the gradient
    that ``2k`` shifted evaluations give, and the value at ``x``."""
    from qneuro import chem, vqe

    loaded = chem.load(problem)
    n = loaded.num_qubits
    ansatz = _offset_circuit() if n == 4 else vqe.hardware_efficient_ansatz(n, 1)
    energy = vqe.Energy(loaded, ansatz, noise)
    x = np.random.default_rng(4).uniform(-np.pi, np.pi, energy.num_parameters)
    calls = energy.nfev
    value, gradient = energy.value_and_gradient(x)
    assert energy.nfev == calls
    shifts = np.pi / 2 * np.eye(x.size)
    expected = (energy(x + shifts) - energy(x - shifts)) / 2
    np.testing.assert_allclose(gradient, expected, atol=1e-10)
    assert value == pytest.approx(float(energy(x)), abs=1e-10)
    # and it is the derivative: a central difference agrees to its truncation error
    step = 1e-5 * np.eye(x.size)
    central = (energy(x + step) - energy(x - step)) / 2e-5
    np.testing.assert_allclose(gradient, central, atol=1e-6)


def test_no_exact_gradient_with_shots():
    from qneuro import chem, vqe

    energy = vqe.Energy(chem.load("H2-2q"), vqe.hardware_efficient_ansatz(2, 1), shots=100)
    assert energy.value_and_gradient(np.zeros(energy.num_parameters)) is None


def test_lbfgsb_parameter_shift_closed_form_equals_evaluated():
    """The closed-form gradient gives L-BFGS-B the iterates, values and budget of 2k + 1
    evaluations per gradient."""
    from qneuro import chem, vqe

    energy = vqe.Energy(chem.load("H2-4q"), _offset_circuit(), "mumbai-median")

    def evaluated(x):  # the same energy without its closed form
        return energy(x)

    evaluated.batched = True
    x0 = np.random.default_rng(1).uniform(-1.0, 1.0, energy.num_parameters)
    method = ScipyOptimizer("L-BFGS-B", gradient="parameter-shift")
    closed = method.minimize(energy, x0, budget=200)
    calls = energy.nfev
    shifted = method.minimize(evaluated, x0, budget=200)
    assert energy.nfev - calls == shifted.nfev  # the closed form evaluated nothing
    assert closed.nfev == shifted.nfev <= 200
    np.testing.assert_allclose(closed.history, shifted.history, atol=1e-9)
    assert closed.fun == pytest.approx(shifted.fun, abs=1e-10)


def test_rotosolve_polish_follows_the_valley_that_sweeps_crawl_along():
    """Coordinate steps shrink geometrically in a curved valley; at the same budget the
    polish goes further than sweeps alone and stops where the gradient vanishes."""
    from qneuro import chem, vqe
    from qneuro.optim import Rotosolve

    energy = vqe.Energy(chem.load("LiH-4q"), vqe.hardware_efficient_ansatz(4, 2))
    x0 = np.random.default_rng(0).uniform(-np.pi, np.pi, energy.num_parameters)
    budget = 20_000
    swept = Rotosolve(max_sweeps=3).minimize(energy, x0, budget=budget)
    assert swept.nit == 3 and "max_sweeps=3" in swept.message
    sweeps_only = Rotosolve().minimize(energy, x0, budget=budget)
    polished = Rotosolve(max_sweeps=3, polish=200).minimize(energy, x0, budget=budget)
    assert polished.nfev <= budget and "polish: CONVERGENCE" in polished.message
    np.testing.assert_array_equal(polished.history[: swept.history.size], swept.history)
    assert polished.fun < sweeps_only.fun - 1e-3 and sweeps_only.nit > 100
    _, gradient = energy.value_and_gradient(polished.x)
    assert np.abs(gradient).max() < 1e-4
    assert polished.fun == pytest.approx(float(energy(polished.x)), abs=1e-12)
    # a polish needs a gradient's worth of budget; without it the sweeps' result stands
    tight = Rotosolve(max_sweeps=1, polish=5).minimize(energy, x0, budget=3 * x0.size + 1)
    assert tight.nfev <= 3 * x0.size + 1 and "polish" not in tight.message


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: get_optimizer("rotosolve", max_sweeps=0), "max_sweeps=0"),
        (lambda: get_optimizer("rotosolve", polish=True), "polish=True"),
        (lambda: get_optimizer("rotosolve", polish=-1), "polish=-1"),
        (lambda: get_optimizer("l-bfgs-b", gradient="adjoint"), "gradient='adjoint'"),
        (lambda: get_optimizer("l-bfgs-b", maxiter=0), "maxiter=0"),
    ],
)
def test_bad_polish_settings_are_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
