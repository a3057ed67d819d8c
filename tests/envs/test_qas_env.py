import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from qiskit.quantum_info import SparsePauliOp, Statevector
from stable_baselines3.common.env_checker import check_env as sb3_check_env
from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

import qneuro.envs
from qneuro.chem import CHEMICAL_ACCURACY
from qneuro.envs import ActionSet, CircuitState, Gate, QuantumArchitectureSearchEnv
from qneuro.envs.rewards import RewardInput, incremental, log_error, sparse

# H2-2q actions: 0 = cx(0,1), 1 = cx(1,0), 2..4 = rx/ry/rz q0, 5..7 = rx/ry/rz q1.
H2_SOLUTION = [6, 0, 4, 1]


@pytest.mark.slow
@pytest.mark.parametrize("env_id", qneuro.envs.env_ids())
def test_every_registered_id_passes_gymnasium_and_sb3_checks(env_id):
    env = gym.make(env_id, optimizer_budget=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped, skip_render_check=True)
        sb3_check_env(env.unwrapped)
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert info["action_mask"].shape == (env.action_space.n,)


def test_reset_and_step_are_seeded():
    def rollout(seed):
        env = gym.make("qneuro/QAS-H2-3q-depolarizing-0.001-0.005-v0", shots=1000)
        obs, _ = env.reset(seed=seed)
        out = [obs]
        for action in (3, 0, 9, 4):
            out.append(env.step(action)[0])
        return np.array(out)

    assert np.array_equal(rollout(3), rollout(3))
    assert not np.array_equal(rollout(3), rollout(4))


def test_encoding_of_a_known_sequence_equals_the_hand_written_tensor():
    state = CircuitState(3, 5)
    for gate in (
        Gate("rx", (0,)),
        Gate("cx", (0, 2)),
        Gate("rz", (1,)),
        Gate("ry", (2,)),
        Gate("cx", (1, 0)),
    ):
        state.add(gate)
    expected = np.zeros((5, 6, 3), dtype=np.float32)
    expected[0, 3 + 0, 0] = 1  # rx q0 in moment 0
    expected[1, 2, 0] = 1  # cx control 0 target 2 in moment max(1, 0) = 1
    expected[0, 3 + 2, 1] = 1  # rz q1 in moment 0
    expected[2, 3 + 1, 2] = 1  # ry q2 after the cx: moment 2
    expected[2, 0, 1] = 1  # cx control 1 target 0: max(next q1 = 1, next q0 = 2) = 2
    assert np.array_equal(state.tensor, expected)
    assert state.depth == 3 and state.num_cnots == 2 and state.num_parameters == 3


def test_actions_and_the_repeat_rule():
    actions = ActionSet(3)
    assert len(actions) == 3 * 5
    assert actions.gates[:6] == tuple(
        Gate("cx", p) for p in [(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)]
    )
    assert actions.gates[6 + 3 * 1 + 2] == Gate("rz", (1,))
    state = CircuitState(3, 4)
    state.add(Gate("cx", (0, 1)))
    mask = actions.legal_mask(state.last_gate_on)
    assert not mask[actions.index(Gate("cx", (0, 1)))]
    assert mask[actions.index(Gate("cx", (1, 0)))] and mask.sum() == len(actions) - 1
    state.add(Gate("rz", (1,)))  # touches qubit 1: the CNOT becomes legal again
    mask = actions.legal_mask(state.last_gate_on)
    assert mask[actions.index(Gate("cx", (0, 1)))]
    assert not mask[actions.index(Gate("rz", (1,)))] and mask[actions.index(Gate("rz", (0,)))]
    restricted = ActionSet(3, coupling_map=[(0, 1), (1, 2)])
    assert len(restricted) == 2 + 9
    with pytest.raises(ValueError, match="coupling-map edge"):
        ActionSet(3, coupling_map=[(0, 3)])


def test_illegal_action_is_ignored_with_a_penalty():
    env = QuantumArchitectureSearchEnv("H2-2q", optimizer_budget=20, illegal_action_reward=-0.7)
    env.reset(seed=0)
    env.step(6)
    before = env._state.tensor.copy()
    _, reward, terminated, truncated, info = env.step(6)
    assert info["illegal"] and reward == -0.7 and not terminated and not truncated
    assert np.array_equal(env._state.tensor, before) and info["gates"] == 1
    with pytest.raises(ValueError, match="allowed: integers 0..7"):
        env.step(8)


def test_scripted_h2_episode_succeeds_and_reports_the_circuit():
    env = gym.make("qneuro/QAS-H2-2q-v0")
    env.reset(seed=1)
    for action in H2_SOLUTION:
        _, reward, terminated, truncated, info = env.step(action)
    assert terminated and not truncated and reward == 5.0
    summary = info["episode_summary"]
    assert summary.success and summary.solved
    assert abs(info["noiseless_error"]) < 1.6e-3
    problem = env.unwrapped.problem
    energy = Statevector(info["circuit"]).expectation_value(problem.hamiltonian).real
    assert energy == pytest.approx(info["noiseless_energy"], abs=1e-10)
    assert info["qasm"].startswith("OPENQASM 2.0;") and "cx q[1],q[0];" in info["qasm"]
    assert (info["gates"], info["cnots"], info["parameters"]) == (4, 2, 2)
    assert summary.best_gates == 4 and summary.best_qasm == info["qasm"]
    assert summary.to_dict()["noiseless_error"] == info["noiseless_error"]


def test_episode_summary_keeps_the_best_intermediate_circuit():
    env = QuantumArchitectureSearchEnv("H2-2q", max_gates=6, curriculum=1e-12)
    assert env.threshold == 1e-12  # readable before reset
    env.reset(seed=1)
    for action in [*H2_SOLUTION, 2, 5]:  # solve, then two more rotations
        _, _, _, truncated, info = env.step(action)
    assert truncated
    summary = info["episode_summary"]
    assert summary.best_noiseless_error <= summary.noiseless_error + 1e-12
    assert summary.best_gates <= 6
    assert summary.best_qasm.count(";") == 3 + 1 + summary.best_gates  # header, x, gates


def test_noisy_energy_is_above_noiseless_and_truncation_gives_minus_five():
    env = gym.make("qneuro/QAS-H2-2q-mumbai-10x-max-v0", max_gates=3, curriculum=1e-6)
    env.reset(seed=0)
    rewards = [env.step(a)[1] for a in (6, 0)]
    _, reward, terminated, truncated, info = env.step(4)
    assert truncated and not terminated and reward == -5.0
    assert all(-1 <= r <= 1 for r in rewards)
    assert info["energy"] > info["noiseless_energy"]
    assert info["episode_summary"].threshold == 1e-6


def test_rewards_at_their_branches():
    base = dict(previous_energy=-1.0, energy=-1.05, reference=-1.1, threshold=0.01)
    middle = RewardInput(**base, success=False, cut_off=False)
    assert incremental(middle) == pytest.approx(0.5)
    assert incremental(RewardInput(**base, success=True, cut_off=False)) == 5.0
    assert incremental(RewardInput(**base, success=False, cut_off=True)) == -5.0
    worse = RewardInput(-1.0, 0.5, -1.1, 0.01, False, False)
    assert incremental(worse) == -1.0  # clipped
    assert sparse(middle) == 0.0
    assert log_error(middle) == pytest.approx(np.log10(0.1) - np.log10(0.05))


def test_random_halting_truncates_within_its_bounds():
    halting = {"n": 5, "p": 0.5, "low": 2, "high": 4}
    env = QuantumArchitectureSearchEnv(
        "H2-3q", random_halting=True, halting=halting, optimizer_budget=3, curriculum=1e-9
    )
    lengths = []
    for seed in range(12):
        env.reset(seed=seed)
        actions = [0, 9, 1, 10, 2, 11]
        for t, action in enumerate(actions, start=1):
            truncated = env.step(action)[3]
            if truncated:
                lengths.append(t)
                break
    assert len(lengths) == 12 and min(lengths) >= 2 and max(lengths) <= 4
    assert len(set(lengths)) > 1


def test_render_modes():
    env = gym.make("qneuro/QAS-H2-2q-v0", render_mode="ansi")
    env.reset(seed=0)
    env.step(0)
    assert "■" in env.render() or "X" in env.render()
    env = gym.make("qneuro/QAS-H2-2q-v0", render_mode="rgb_array")
    env.reset(seed=0)
    env.step(6)
    image = env.render()
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3


def test_dict_observation_with_threshold():
    env = QuantumArchitectureSearchEnv("H2-2q", flatten=False, observe_threshold=True)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert obs["circuit"].shape == (12, 5, 2) and obs["threshold"][0] == pytest.approx(5e-3)


def test_user_operator_problem():
    op = SparsePauliOp.from_list([("ZZ", 1.0), ("XI", 0.5), ("IX", 0.5)])
    env = QuantumArchitectureSearchEnv(op, optimizer_budget=10)
    obs, info = env.reset(seed=0)
    assert env.reference == pytest.approx(np.linalg.eigvalsh(op.to_matrix()).min())
    assert info["energy"] == pytest.approx(1.0)  # |00>: <ZZ> = 1


def test_vector_envs_gymnasium_and_sb3():
    envs = gym.make_vec("qneuro/QAS-H2-2q-v0", num_envs=2, vectorization_mode="sync")
    obs, _ = envs.reset(seed=0)
    assert obs.shape == (2, 121)
    obs, rewards, *_ = envs.step(np.array([6, 5]))
    assert rewards.shape == (2,)
    for cls in (DummyVecEnv, SubprocVecEnv):
        # Workers may be fresh interpreters: the module prefix registers the IDs there.
        vec = cls([lambda: gym.make("qneuro.envs:qneuro/QAS-H2-2q-v0", optimizer_budget=10)] * 2)
        vec.seed(0)
        vec.reset()
        obs, rewards, dones, infos = vec.step(np.array([6, 3]))
        assert obs.shape == (2, 121) and len(infos) == 2
        state = vec.env_method("get_curriculum_state", indices=[0])[0]
        state["threshold"] = 0.123
        vec.env_method("set_curriculum_state", state)
        assert vec.get_attr("threshold") == [0.123, 0.123]
        vec.close()


def test_make_with_module_prefix_needs_no_import():
    code = "import gymnasium as gym; env = gym.make('qneuro.envs:QAS-H2-2q-v0'); print(env.spec.id)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "QAS-H2-2q-v0"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(problem="H3"), "H3"),
        (dict(max_gates=0), "max_gates=0"),
        (dict(optimizer="adam"), "optimizer='adam'"),
        (dict(optimizer_budget=0), "optimizer_budget=0"),
        (dict(reward="dense"), "reward='dense'"),
        (dict(curriculum="easy"), "curriculum='easy'"),
        (dict(initial_state="plus"), "initial_state='plus'"),
        (dict(render_mode="human"), "render_mode='human'"),
        (dict(random_halting=True, halting={"p": 0.0}), r"halting p=0.0; allowed: .* \(0, 1\]"),
        (dict(rotations="xw"), "rotations='xw'"),
        (dict(noise="mumbai-1000x"), "mumbai-1000x"),
        (dict(engine="gpu"), "engine='gpu'"),
    ],
)
def test_bad_arguments_are_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        QuantumArchitectureSearchEnv(**kwargs)


def test_rotosolve_inner_optimiser_reaches_the_exact_ground_energy():
    # the reference's H2 circuit class: RY on the HF state, then entangle; Rotosolve finds
    # its optimum angle exactly where 100 Adam-SPSA evaluations stop near 1e-4 Ha
    errors = {}
    for optimizer in ("rotosolve", "adam-spsa"):
        env = gym.make("qneuro/QAS-H2-2q-v0", optimizer=optimizer, curriculum=1e-12)
        env.reset(seed=0)
        for action in H2_SOLUTION:
            *_, info = env.step(action)
        errors[optimizer] = info["noiseless_error"]
    assert errors["rotosolve"] < 1e-9
    assert errors["adam-spsa"] > 1e3 * errors["rotosolve"]
    # under shot noise its sinusoid fits are noisy, so the angle error scales like
    # shots**-1/2 (the energy error like 1/shots): still within chemical accuracy
    noisy = []
    for shots in (1_000, 100_000):
        env = gym.make("qneuro/QAS-H2-2q-v0", optimizer="rotosolve", shots=shots, curriculum=1e-12)
        env.reset(seed=0)
        for action in H2_SOLUTION:
            *_, info = env.step(action)
        noisy.append(info["noiseless_error"])
    assert noisy[1] < noisy[0] < 1.6e-3


@pytest.mark.parametrize("env_id", ["qneuro/QAS-LiH-4q-v0", "qneuro/QAS-LiH-4q-mumbai-median-v0"])
def test_fast_path_gives_the_steps_of_the_evaluated_ptm_path(env_id):
    """Exact sinusoids (and statevectors when noiseless) against three PTM evaluations per
    angle: the same energies step by step, to rounding."""
    actions = [8, 17, 2, 14, 5, 20, 11, 9, 16, 23]
    runs = []
    for kwargs in ({}, {"engine": "ptm", "optimizer_options": {"incremental": False}}):
        env = gym.make(env_id, optimizer="rotosolve", **kwargs)
        env.reset(seed=3)
        runs.append([env.step(a)[4] for a in actions])
    for fast, evaluated in zip(*runs, strict=True):
        assert fast["energy"] == pytest.approx(evaluated["energy"], abs=1e-9)
        assert fast["noiseless_energy"] == pytest.approx(evaluated["noiseless_energy"], abs=1e-9)


def test_the_program_the_environment_builds_equals_its_circuit():
    from qneuro.chem import load
    from qneuro.vqe import Energy

    state = CircuitState(4, 10, "0101")
    for gate in (
        Gate("ry", (1,)),
        Gate("cx", (1, 3)),
        Gate("rz", (3,)),
        Gate("cx", (0, 2)),
        Gate("rx", (2,)),
    ):
        state.add(gate)
    problem = load("H2-4q")
    angles = np.array([[0.3, -1.1, 2.2], [0.0, 0.5, -0.7]])
    from_program = Energy(problem, state.program(), "mumbai-median")(angles)
    from_circuit = Energy(problem, state.circuit(), "mumbai-median")(angles)
    np.testing.assert_allclose(from_program, from_circuit, atol=1e-13)


@pytest.mark.parametrize("problem", ["LiH-4q", "LiH-6q", "H2O-8q"])
def test_no_single_gate_lowers_the_hartree_fock_energy(problem):
    """The Hartree-Fock state is a saddle for every first action: an improvement needs at
    least two gates (why the larger problems are hard for a one-step greedy search),
    while some first actions raise the energy."""
    env = gym.make(f"qneuro/QAS-{problem}-v0", optimizer="rotosolve").unwrapped
    _, info = env.reset(seed=0)
    changes = []
    for action in np.flatnonzero(env.action_masks()):
        env.reset(seed=0)
        changes.append(env.step(action)[4]["energy"] - info["energy"])
    assert min(changes) > -1e-12
    assert max(changes) > 0.1


def test_a_following_environment_leaves_its_curriculum_to_the_owner():
    env = QuantumArchitectureSearchEnv("H2-2q", max_gates=2, optimizer_budget=10)
    state = env.get_curriculum_state()
    for follow, episodes in ((False, 1), (True, 0)):
        (env.follow_curriculum if follow else env.set_curriculum_state)(dict(state))
        env.reset(seed=0)
        for action in (6, 0):
            _, _, _, truncated, info = env.step(action)
        assert truncated
        assert env.get_curriculum_state()["episodes"] == state["episodes"] + episodes
        summary = info["episode_summary"]
        assert summary.solved == (abs(summary.noiseless_error) < CHEMICAL_ACCURACY)


def test_the_summary_carries_the_threshold_the_episode_ran_under():
    curriculum = {"kind": "moving", "shift_every": 1}
    env = QuantumArchitectureSearchEnv(
        "H2-2q", max_gates=2, optimizer_budget=10, curriculum=curriculum
    )
    initial = env.threshold
    env.reset(seed=0)
    for action in (6, 0):
        *_, info = env.step(action)
    assert info["episode_summary"].threshold == initial
    assert env.threshold != initial  # the lone environment's own curriculum moved


def test_mitigated_environment_measures_near_the_noiseless_energy():
    raw = QuantumArchitectureSearchEnv("LiH-4q", "mumbai-median", optimizer="rotosolve")
    zne = QuantumArchitectureSearchEnv(
        "LiH-4q", "mumbai-median", optimizer="rotosolve", mitigation="zne"
    )
    for env in (raw, zne):
        env.reset(seed=0)
        for action in (0, 5, 9):
            *_, info = env.step(action)
        env.last = info
    bias = {id(env): abs(env.last["energy"] - env.last["noiseless_energy"]) for env in (raw, zne)}
    assert bias[id(zne)] < bias[id(raw)] / 5
