"""The quantum-architecture-search environment (CRLQAS) on the PTM simulator."""

from __future__ import annotations

from typing import Any, NamedTuple

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from qiskit import qasm2
from qiskit.quantum_info import SparsePauliOp

from qneuro import checks
from qneuro.chem import Problem, load
from qneuro.noise import NoiseProfile
from qneuro.optim import get_optimizer
from qneuro.ptm import ENGINES
from qneuro.vqe import Energy, check_mitigation

from .actions import ActionSet, CircuitState
from .curriculum import make_curriculum
from .episode import EpisodeSummary
from .rewards import RewardInput, get_reward

#: Action budget L by qubit count when ``max_gates`` is not given.
DEFAULT_MAX_GATES = {1: 6, 2: 12, 3: 20, 4: 40, 5: 50, 6: 70, 7: 85, 8: 100}

#: CRLQAS random halting (noiseless code): ``clip(NegativeBinomial(n=70, p=0.573), 25, 70)``.
DEFAULT_HALTING = {"n": 70, "p": 0.573, "low": 25, "high": 70}

#: Largest flat observation (entries, 512 KiB as float32): bounds ``max_gates``, since the
#: observation holds ``max_gates * (N+3) * N`` circuit entries (and a replay buffer holds
#: thousands of observations).
MAX_OBSERVATION_SIZE = 2**17

#: Shot-noise models of :class:`qneuro.vqe.Energy`.
SHOT_MODELS = ("gaussian", "sampled")


class QuantumArchitectureSearchEnv(gym.Env):
    """Build a circuit gate by gate until its energy is within a threshold of the ground state.

    ## Description
    The CRLQAS task (Patel et al., ICLR 2024). Each action appends a CNOT or a rotation to
    the circuit (after an optional Hartree-Fock preparation), then every angle is
    re-optimised (Adam-SPSA by default, warm-started from the previous angles, the new
    angle uniform in ``[0, 0.1)``) on the exact PTM simulator under the noise profile,
    with optional shot noise. The episode succeeds when the energy error
    ``|E - E_exact|`` falls below the curriculum's threshold.

    ## Action Space
    ``Discrete(A)``: the CNOT pairs, then RX, RY, RZ per qubit (:mod:`qneuro.envs.actions`);
    ``A = N(N+2)`` without a coupling map. Repeating the previous gate on the same qubits
    is illegal: :meth:`action_masks` (and ``info["action_mask"]``) marks it, and taking it
    adds no gate, costs one step of the budget and gives ``illegal_action_reward``.

    ## Observation Space
    ``Box(float32)``. With ``flatten=True`` (default) a vector of
    ``L * (N+3) * N + 1 (+1)`` entries: the state tensor (values 0 or 1), the current
    energy, and the current threshold when ``observe_threshold``. Energies are bounded by
    the operator's spectrum bounds ``shift -+ sum_P |h_P|`` (noisy estimates are clipped
    to them); the threshold lies in ``[0, 2 sum_P |h_P|]``. With ``flatten=False`` a
    ``Dict`` with ``"circuit"`` ``(L, N+3, N)``, ``"energy"`` ``(1,)`` and optionally
    ``"threshold"`` ``(1,)``.

    | part | shape | bounds |
    |---|---|---|
    | circuit | ``(L, N+3, N)`` | 0, 1 |
    | energy | ``(1,)`` | ``shift - sum|h|``, ``shift + sum|h|`` |
    | threshold | ``(1,)`` | 0, ``2 sum|h|`` |

    ## Rewards
    ``"incremental"`` (default; CRLQAS): +5 on success, -5 when cut off without success,
    else ``clip((E_{t-1} - E_t) / |E_{t-1} - E_exact|, -1, 1)``. Also ``"sparse"``,
    ``"log-error"`` or a callable (:mod:`qneuro.envs.rewards`).

    ## Starting State
    The Hartree-Fock basis state (``initial_state="hf"``, when the problem knows it) or
    ``|0...0>``; no searched gate; the energy of that state.

    ## Episode End
    Termination: the error is below the threshold (success). Truncation: ``L`` actions
    taken, or the random-halting length drawn at reset (``random_halting=True``:
    ``clip(NegativeBinomial(n, p), low, high)``). At the end ``info`` carries
    ``"circuit"`` (bound ``QuantumCircuit``), ``"qasm"`` (OpenQASM 2) and ``"episode_summary"``
    (an :class:`~qneuro.envs.episode.EpisodeSummary`); the environment's curriculum is
    updated, unless it follows one owned elsewhere (:meth:`follow_curriculum`).

    ## Arguments
    ```python
    >>> import gymnasium as gym
    >>> import qneuro.envs
    >>> env = gym.make("qneuro/QAS-H2-2q-v0", optimizer_budget=60)
    >>> obs, info = env.reset(seed=0)
    >>> obs.shape, env.action_space
    ((121,), Discrete(8))
    ```
    * ``problem``: a bundled name (``"LiH-4q"``), a :class:`qneuro.chem.Problem`, or a
      ``SparsePauliOp`` (exact energy by diagonalisation).
    * ``noise``: a preset name, a :class:`~qneuro.noise.NoiseProfile`, or None (ideal).
    * ``shots``, ``shot_model``: shot noise (None: exact expectation values).
    * ``mitigation``: the measured energy as error-mitigated hardware reports it: None
      (raw), ``"readout"`` (readout correction) or ``"zne"`` (that plus zero-noise
      extrapolation from noise x1 and x3; twice the simulation), see
      :class:`qneuro.vqe.Energy`; needs ``shots=None``.
    * ``max_gates``: the action budget ``L`` (default by qubit count, :data:`DEFAULT_MAX_GATES`;
      at most what keeps the observation within :data:`MAX_OBSERVATION_SIZE` entries).
    * ``rotations``: rotation axes offered (``"xyz"``); ``coupling_map``: allowed CNOT pairs.
    * ``optimizer``, ``optimizer_budget``, ``optimizer_options``: the inner optimiser
      (:mod:`qneuro.optim`), its evaluations per action and its configuration fields.
      Rotosolve takes each angle's exact sinusoid from the simulator (no evaluations;
      ``optimizer_options={"incremental": False}`` evaluates three points per angle);
      ``optimizer_budget=3000, optimizer_options={"max_sweeps": 1, "polish": 30}`` ends
      each step with L-BFGS-B on exact gradients (:class:`qneuro.optim.Rotosolve`).
    * ``engine``: the simulator engine, ``"auto"`` (statevectors for noiseless problems,
      Pauli vectors under gate noise) or ``"ptm"`` (Pauli vectors always); results agree
      to rounding.
    * ``reward``; ``illegal_action_reward`` (default -1).
    * ``random_halting`` and ``halting`` (dict ``n``, ``p``, ``low``, ``high``).
    * ``curriculum``: ``"moving"`` (default), ``"fixed"``, a threshold in Ha, a dict or an
      object (:mod:`qneuro.envs.curriculum`).
    * ``initial_state``: ``"hf"`` or ``"zero"``; ``observe_threshold``; ``flatten``;
      ``render_mode``: ``"ansi"`` or ``"rgb_array"``.

    Every argument is checked on construction: a ValueError names the argument, the value
    and what is allowed (counts are integers, not booleans; real numbers are finite).

    ## Version History
    * v0: initial version.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 2}

    def __init__(
        self,
        problem: str | Problem | SparsePauliOp = "H2-2q",
        noise: str | NoiseProfile | None = None,
        *,
        shots: int | None = None,
        shot_model: str = "gaussian",
        mitigation: str | None = None,
        max_gates: int | None = None,
        rotations: str = "xyz",
        coupling_map=None,
        optimizer="adam-spsa",
        optimizer_budget: int = 100,
        optimizer_options: dict | None = None,
        engine: str = "auto",
        reward="incremental",
        illegal_action_reward: float = -1.0,
        random_halting: bool = False,
        halting: dict | None = None,
        curriculum="moving",
        initial_state: str = "hf",
        observe_threshold: bool = False,
        flatten: bool = True,
        render_mode: str | None = None,
    ) -> None:
        self.problem = _problem(problem)
        self.noise = NoiseProfile.preset(noise) if isinstance(noise, str) else noise
        if self.noise is not None and not isinstance(self.noise, NoiseProfile):
            raise ValueError(f"noise={noise!r}; allowed: a preset name, a NoiseProfile or None")
        self.shots = None if shots is None else checks.integer("shots", shots, 1)
        self.shot_model = checks.one_of("shot_model", shot_model, SHOT_MODELS)
        self.mitigation = check_mitigation(mitigation, self.shots)
        n = self.problem.num_qubits
        self.max_gates = _max_gates(max_gates, n)
        self.actions = ActionSet(n, coupling_map, rotations)
        self.action_space = spaces.Discrete(len(self.actions))
        if optimizer_options is not None and not isinstance(optimizer_options, dict):
            raise ValueError(
                f"optimizer_options={optimizer_options!r}; allowed: None or a dict of the "
                "optimiser's fields"
            )
        self.optimizer = get_optimizer(optimizer, **(optimizer_options or {}))
        self.optimizer_budget = checks.integer("optimizer_budget", optimizer_budget, 1)
        self.engine = checks.one_of("engine", engine, ENGINES)
        self.reward_function = get_reward(reward)
        self.illegal_action_reward = checks.real("illegal_action_reward", illegal_action_reward)
        self.random_halting = checks.flag("random_halting", random_halting)
        self.halting = _halting(halting)
        self.curriculum = make_curriculum(curriculum)
        initial_state = checks.one_of("initial_state", initial_state, ("hf", "zero"))
        if initial_state == "hf" and self.problem.hf_bitstring is None:
            initial_state = "zero"
        self.initial_state = initial_state
        if render_mode is not None:
            checks.one_of("render_mode", render_mode, self.metadata["render_modes"])
        self.render_mode = render_mode
        self.observe_threshold = checks.flag("observe_threshold", observe_threshold)
        self.flatten = checks.flag("flatten", flatten)

        coeffs = self.problem.hamiltonian.coeffs.real
        identity = ~(self.problem.hamiltonian.paulis.x | self.problem.hamiltonian.paulis.z).any(
            axis=1
        )
        spread = float(np.abs(coeffs[~identity]).sum())
        constant = float(coeffs[identity].sum())
        self.energy_bounds = (constant - spread, constant + spread)
        self.reference = self.problem.exact_energy
        self.observation_space = self._observation_space(n, 2 * spread)
        self._state: CircuitState | None = None
        self._threshold_override: float | None = None
        self._following = False

    # -- Gymnasium API ------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Start from the initial state; ``options`` may set ``{"threshold": xi}`` for one run."""
        super().reset(seed=seed)
        bits = self.problem.hf_bitstring if self.initial_state == "hf" else None
        self._state = CircuitState(self.problem.num_qubits, self.max_gates, bits)
        self._mask = self.actions.legal_mask(self._state.last_gate_on)
        self._angles = np.zeros(0)
        self._steps = 0
        self._halt_at = self.max_gates
        if self.random_halting:
            h = self.halting
            drawn = self.np_random.negative_binomial(h["n"], h["p"])
            self._halt_at = int(min(self.max_gates, np.clip(drawn, h["low"], h["high"])))
        self._threshold_override = (options or {}).get("threshold")
        energy = self._energy_function()
        self._energy = self._observed(energy(self._angles))
        self._noiseless = float(energy.noiseless(self._angles))
        self._lowest = self._energy
        self._best = _Best(self._energy, self._noiseless, self._angles, 0)
        return self._observation(), self._info()

    def step(self, action):
        """Append the action's gate, re-optimise every angle, score the new energy."""
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        if not self.action_space.contains(action):
            raise ValueError(f"action={action!r}; allowed: integers 0..{self.action_space.n - 1}")
        action = int(action)
        self._steps += 1
        previous = self._energy
        illegal = not self._mask[action]
        if not illegal:
            gate = self.actions.gates[action]
            self._state.add(gate)
            self._mask = self.actions.legal_mask(self._state.last_gate_on)
            x0 = self._angles
            if gate.is_rotation:
                x0 = np.append(x0, self.np_random.uniform(0.0, 0.1))
            energy = self._energy_function()
            measured = None
            if x0.size:
                result = self.optimizer.minimize(
                    energy,
                    x0,
                    budget=self.optimizer_budget,
                    seed=int(self.np_random.integers(2**32)),
                )
                self._angles = result.x
                if self.shots is None:  # exact: the optimiser's value is the energy
                    measured = result.fun
            if measured is None:
                measured = energy(self._angles)
            self._energy = self._observed(measured)
            exact_and_ideal = self.shots is None and (self.noise is None or self.noise.is_ideal)
            self._noiseless = (
                float(measured) if exact_and_ideal else float(energy.noiseless(self._angles))
            )
            self._lowest = min(self._lowest, self._energy)
        error = abs(self._energy - self.reference)
        success = bool(not illegal and error < self.threshold)
        cut_off = not success and self._steps >= self._halt_at
        scored = RewardInput(
            previous, self._energy, self.reference, self.threshold, success, cut_off
        )
        if illegal:
            reward = self.illegal_action_reward
            reward += self.reward_function(scored) if cut_off else 0.0
        else:
            reward = self.reward_function(scored)
        if not illegal and error < abs(self._best.energy - self.reference):
            gates = len(self._state.gates)
            self._best = _Best(self._energy, self._noiseless, self._angles.copy(), gates)
        info = self._info()
        info["illegal"] = illegal
        if success or cut_off:
            info.update(self._episode_end(success))
        return self._observation(), float(reward), success, cut_off, info

    def action_masks(self) -> np.ndarray:
        """Legal actions, boolean ``(A,)`` (for sb3-contrib's MaskablePPO)."""
        return self._mask.copy()

    def render(self):
        """``"ansi"``: the circuit as text; ``"rgb_array"``: its drawing, ``(H, W, 3)`` uint8."""
        if self._state is None or self.render_mode is None:
            return None
        circuit = self._state.circuit(self._angles)
        if self.render_mode == "ansi":
            return str(circuit.draw("text", fold=-1))
        return _rgb_drawing(circuit)

    # -- curriculum sharing (vector envs) -------------------------------------------------

    @property
    def threshold(self) -> float:
        """The current success threshold on ``|E - E_exact|`` (Ha)."""
        if self._threshold_override is not None:
            return float(self._threshold_override)
        return float(self.curriculum.threshold)

    def set_curriculum_state(self, state: dict) -> None:
        """Adopt a curriculum state; this environment's episodes go on updating it."""
        self.curriculum.load_state_dict(state)
        self._following = False

    def follow_curriculum(self, state: dict) -> None:
        """Adopt the state of a curriculum owned elsewhere and stop updating it.

        The owner (the trainer, for its vector-env workers) replays this environment's
        finished episodes and sends its next state the same way. Until it does, the
        threshold stays: with ``observe_threshold=True`` the first observation of an
        episode that starts as another ends (vector envs reset at once) shows the
        threshold before the owner's update.
        """
        self.curriculum.load_state_dict(state)
        self._following = True

    def get_curriculum_state(self) -> dict:
        """This environment's curriculum state."""
        return self.curriculum.state_dict()

    # -- helpers ------------------------------------------------------------------------

    def _energy_function(self) -> Energy:
        return Energy(
            self.problem,
            self._state.program(),
            self.noise,
            shots=self.shots,
            shot_model=self.shot_model,
            seed=int(self.np_random.integers(2**32)),
            engine=self.engine,
            mitigation=self.mitigation,
        )

    def _observed(self, energy: float) -> float:
        return float(np.clip(energy, *self.energy_bounds))

    def _observation_space(self, n: int, threshold_high: float):
        shape = (self.max_gates, n + 3, n)
        low_e, high_e = self.energy_bounds
        if not self.flatten:
            parts = {
                "circuit": spaces.Box(0.0, 1.0, shape, np.float32),
                "energy": spaces.Box(np.float32(low_e), np.float32(high_e), (1,), np.float32),
            }
            if self.observe_threshold:
                parts["threshold"] = spaces.Box(0.0, np.float32(threshold_high), (1,), np.float32)
            return spaces.Dict(parts)
        size = int(np.prod(shape))
        low = np.concatenate([np.zeros(size), [low_e]])
        high = np.concatenate([np.ones(size), [high_e]])
        if self.observe_threshold:
            low, high = np.append(low, 0.0), np.append(high, threshold_high)
        return spaces.Box(low.astype(np.float32), high.astype(np.float32), dtype=np.float32)

    def _observation(self):
        energy = np.float32(self._energy)
        if not self.flatten:
            obs = {"circuit": self._state.tensor.copy(), "energy": np.array([energy])}
            if self.observe_threshold:
                obs["threshold"] = np.array([self.threshold], dtype=np.float32)
            return obs
        parts = [self._state.tensor.reshape(-1), [energy]]
        if self.observe_threshold:
            parts.append([self.threshold])
        return np.concatenate(parts).astype(np.float32)

    def _info(self) -> dict[str, Any]:
        state = self._state
        return {
            "energy": self._energy,
            "noiseless_energy": self._noiseless,
            "error": self._energy - self.reference,
            "noiseless_error": self._noiseless - self.reference,
            "threshold": self.threshold,
            "gates": len(state.gates),
            "cnots": state.num_cnots,
            "depth": state.depth,
            "parameters": state.num_parameters,
            "steps": self._steps,
            "action_mask": self.action_masks(),
        }

    def _episode_end(self, success: bool) -> dict[str, Any]:
        circuit = self._state.circuit(self._angles)
        best = CircuitState(self.problem.num_qubits, self.max_gates, self._state.initial_bits)
        for gate in self._state.gates[: self._best.gates]:
            best.add(gate)
        summary = EpisodeSummary(
            success=success,
            steps=self._steps,
            energy=self._energy,
            noiseless_energy=self._noiseless,
            reference=self.reference,
            lowest_energy=self._lowest,
            threshold=self.threshold,
            gates=len(self._state.gates),
            cnots=self._state.num_cnots,
            depth=self._state.depth,
            parameters=self._state.num_parameters,
            angles=tuple(self._angles.tolist()),
            actions=tuple(self.actions.index(g) for g in self._state.gates),
            best_energy=self._best.energy,
            best_noiseless_energy=self._best.noiseless_energy,
            best_gates=self._best.gates,
            best_qasm=qasm2.dumps(best.circuit(self._best.angles)),
        )
        if not self._following:
            self.curriculum.update(summary.lowest_energy, self.reference, success)
        return {"circuit": circuit, "qasm": qasm2.dumps(circuit), "episode_summary": summary}


class _Best(NamedTuple):
    """The episode's circuit with the lowest measured error so far (its first gates)."""

    energy: float
    noiseless_energy: float
    angles: np.ndarray
    gates: int


def _max_gates(max_gates, num_qubits: int) -> int:
    """The action budget ``L``: the default by qubit count, or ``max_gates`` within bounds."""
    if max_gates is None:
        return DEFAULT_MAX_GATES.get(num_qubits, 12 * num_qubits)
    per_gate = (num_qubits + 3) * num_qubits  # observation entries per moment
    largest = (MAX_OBSERVATION_SIZE - 2) // per_gate
    if (
        isinstance(max_gates, int | np.integer)
        and not isinstance(max_gates, bool)
        and (max_gates > largest)
    ):
        raise ValueError(
            f"max_gates={max_gates!r} needs observations of {max_gates * per_gate + 1:,} "
            f"entries on {num_qubits} qubits; allowed: at most {MAX_OBSERVATION_SIZE:,} entries, "
            f"max_gates <= {largest:,}"
        )
    return checks.integer("max_gates", max_gates, 1, largest)


def _halting(halting) -> dict:
    """:data:`DEFAULT_HALTING` updated by ``halting``, every entry checked."""
    merged = {**DEFAULT_HALTING, **checks.keywords("halting", halting, tuple(DEFAULT_HALTING))}
    merged["n"] = checks.real("halting n", merged["n"], 0.0, above=True)
    merged["p"] = checks.real("halting p", merged["p"], 0.0, 1.0, above=True)
    merged["low"] = checks.integer("halting low", merged["low"], 1)
    merged["high"] = checks.integer("halting high", merged["high"], merged["low"])
    return merged


def _problem(problem) -> Problem:
    if isinstance(problem, Problem):
        return problem
    if isinstance(problem, str):
        return load(problem)
    if isinstance(problem, SparsePauliOp):
        return Problem.from_operator(problem)
    raise ValueError(
        f"problem={problem!r}; allowed: a bundled name, a qneuro.chem.Problem or a SparsePauliOp"
    )


def _rgb_drawing(circuit) -> np.ndarray:
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = circuit.draw("mpl", fold=-1)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    image = np.asarray(canvas.buffer_rgba())[..., :3].copy()
    plt.close(figure)
    return image
