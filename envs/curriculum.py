"""Success thresholds of architecture search: the CRLQAS moving threshold and a fixed one.

A curriculum holds the threshold ``xi`` on the energy error ``e = |E - mu|``; the
environment ends an episode as a success when ``e < xi`` and reports each finished
episode with :meth:`update`.

Moving threshold (CRLQAS): start at ``xi = initial``; ``lowest_energy`` tracks the
lowest energy seen in finished episodes.

* Greedy shift: every ``shift_every`` episodes, ``xi = |mu - lowest_energy| + ball``.
* Tightening: after every ``tighten_every`` successes, ``xi -= ball / 10``, at most
  ``max_tightenings`` times between shifts, and only while ``xi - ball/10`` stays above
  ``|mu - lowest_energy|``.
* ``xi`` never goes below ``floor`` (default 0: the search may go past chemical accuracy).

One deviation from the reference: CRLQAS starts ``lowest_energy`` at ``mu + initial``, so
while no episode gets within ``initial`` of ``mu`` every shift resets ``xi`` to
``initial + ball`` and no episode can ever succeed. That is the normal case under
hardware noise, whose floor (18 mHa for H2-2q under depolarizing 0.001 / 0.005, 44 mHa
under Mumbai-median noise) lies far above 5 mHa. Here ``lowest_energy`` starts at the
first finished episode's lowest energy, so the first shift moves ``xi`` to the best
error actually reached plus ``ball``, as "greedy shift to the best energy found" says.

Sharing across vector-env workers: the trainer (:mod:`qneuro.rl`) owns the curriculum;
it feeds it every worker's finished episodes (``info["episode_summary"]``) and pushes
its :meth:`state_dict` to all workers with ``env_method("follow_curriculum", state)``,
after which a worker's environment reads the threshold but no longer updates it.
Checkpoints store the same dict. A lone environment owns its curriculum.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from qneuro import checks

#: Largest threshold, ball, floor or energy magnitude a curriculum holds (Ha): far above
#: any molecular energy error, and finite as the float32 an observation carries.
MAX_ENERGY = 1e6

#: Largest episode or success count and period (integers stay exact as JSON numbers).
MAX_COUNT = 2**53


@dataclass
class FixedThreshold:
    """A constant threshold ``xi`` (Ha), e.g. chemical accuracy 1.6e-3."""

    threshold: float = 1.6e-3
    episodes: int = 0
    successes: int = 0

    def __post_init__(self):
        self.threshold = checks.real("threshold", self.threshold, 0.0, MAX_ENERGY, above=True)
        _check_counters(self, ("episodes", "successes"))

    def update(self, lowest_energy: float, reference: float, success: bool) -> None:
        """Record a finished episode (the threshold does not move)."""
        self.episodes += 1
        self.successes += int(success)

    def state_dict(self) -> dict:
        """JSON-ready state."""
        return {"kind": "fixed", **asdict(self)}

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict` output."""
        _load(self, state, "fixed")


@dataclass
class MovingThreshold:
    """The CRLQAS moving threshold (module docstring); energies in Ha.

    Attributes:
        initial: starting threshold ``xi_0``.
        ball: margin added at a greedy shift; tightening steps are ``ball / 10``.
        shift_every: episodes between greedy shifts (K; CRLQAS 500, 2000 for 6-8 qubits).
        tighten_every: successes between tightenings (S; CRLQAS 25, 50 for 6-8 qubits).
        max_tightenings: most tightenings between two shifts (CRLQAS 10).
        floor: lowest threshold allowed.
    """

    initial: float = 5e-3
    ball: float = 1e-3
    shift_every: int = 500
    tighten_every: int = 25
    max_tightenings: int = 10
    floor: float = 0.0
    threshold: float = field(default=-1.0)
    lowest_energy: float | None = None
    episodes: int = 0
    successes: int = 0
    successes_since_tightening: int = 0
    tightenings: int = 0

    def __post_init__(self):
        for name in ("initial", "ball"):
            setattr(self, name, checks.real(name, getattr(self, name), 0.0, MAX_ENERGY, above=True))
        for name in ("shift_every", "tighten_every"):
            setattr(self, name, checks.integer(name, getattr(self, name), 1, MAX_COUNT))
        self.floor = checks.real("floor", self.floor, 0.0, MAX_ENERGY)
        self.threshold = checks.real("threshold", self.threshold, high=MAX_ENERGY)
        if self.threshold < 0:
            self.threshold = self.initial
        if self.lowest_energy is not None:
            self.lowest_energy = checks.real(
                "lowest_energy", self.lowest_energy, -MAX_ENERGY, MAX_ENERGY
            )
        _check_counters(
            self,
            (
                "max_tightenings",
                "episodes",
                "successes",
                "successes_since_tightening",
                "tightenings",
            ),
        )

    def update(self, lowest_energy: float, reference: float, success: bool) -> None:
        """Record a finished episode whose lowest energy was ``lowest_energy``."""
        if self.lowest_energy is None:
            self.lowest_energy = lowest_energy
        self.lowest_energy = min(self.lowest_energy, lowest_energy)
        self.episodes += 1
        best_error = abs(reference - self.lowest_energy)
        if success:
            self.successes += 1
            self.successes_since_tightening += 1
            step = self.ball / 10
            if (
                self.successes_since_tightening >= self.tighten_every
                and self.tightenings < self.max_tightenings
                and self.threshold - step > best_error
            ):
                self.threshold = max(self.floor, self.threshold - step)
                self.tightenings += 1
                self.successes_since_tightening = 0
        if self.episodes % self.shift_every == 0:
            self.threshold = max(self.floor, best_error + self.ball)
            self.tightenings = 0
            self.successes_since_tightening = 0

    def state_dict(self) -> dict:
        """JSON-ready state."""
        return {"kind": "moving", **asdict(self)}

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict` output."""
        _load(self, state, "moving")


def _check_counters(curriculum, names) -> None:
    for name in names:
        setattr(curriculum, name, checks.integer(name, getattr(curriculum, name), 0, MAX_COUNT))


def _load(curriculum, state: dict, kind: str) -> None:
    """Update ``curriculum`` from a :meth:`state_dict` of the same kind, checked as a whole."""
    if not isinstance(state, dict) or state.get("kind") != kind:
        got = state.get("kind") if isinstance(state, dict) else state
        raise ValueError(f"state of a {got!r} curriculum given to a {kind!r} one")
    fields_given = {key: value for key, value in state.items() if key != "kind"}
    fields_given = checks.keywords("curriculum state", fields_given, _field_names(type(curriculum)))
    checked = type(curriculum)(**{**asdict(curriculum), **fields_given})
    for key, value in asdict(checked).items():
        setattr(curriculum, key, value)


def _field_names(cls) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def make_curriculum(curriculum) -> MovingThreshold | FixedThreshold:
    """A curriculum from an object, ``"moving"``, ``"fixed"``, a number (fixed) or a dict.

    A dict is a :meth:`state_dict` or keyword arguments plus ``"kind"``.
    """
    if isinstance(curriculum, MovingThreshold | FixedThreshold):
        return curriculum
    if curriculum == "moving":
        return MovingThreshold()
    if curriculum == "fixed":
        return FixedThreshold()
    if isinstance(curriculum, int | float) and not isinstance(curriculum, bool):
        return FixedThreshold(float(curriculum))
    if isinstance(curriculum, dict):
        options = dict(curriculum)
        kind = options.pop("kind", "moving")
        classes = {"moving": MovingThreshold, "fixed": FixedThreshold}
        if not isinstance(kind, str) or kind not in classes:
            raise ValueError(f"curriculum kind={kind!r}; allowed: moving, fixed")
        cls = classes[kind]
        return cls(**checks.keywords(f"curriculum ({kind})", options, _field_names(cls)))
    raise ValueError(
        f"curriculum={curriculum!r}; allowed: 'moving', 'fixed', a threshold in Ha, a dict, "
        "or a MovingThreshold / FixedThreshold"
    )
