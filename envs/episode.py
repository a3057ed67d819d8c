"""What an architecture-search episode leaves behind: :class:`EpisodeSummary`.

The environment puts one in ``info["episode_summary"]`` when an episode ends; the
curriculum, the trainer's logs and its best-circuit record all read it. Energies and
errors are in Ha; errors are signed (``E - E_exact``); "solved" is chemical accuracy by
noiseless error (:func:`qneuro.chem.within_chemical_accuracy`), judged here only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from qneuro.chem import within_chemical_accuracy


@dataclass(frozen=True)
class EpisodeSummary:
    """One finished episode.

    Attributes:
        success: the measured error fell below the threshold (the episode terminated).
        steps: actions taken, illegal ones included.
        energy, noiseless_energy: the final circuit's measured and noiseless energy.
        reference: the exact ground energy ``E_exact``.
        lowest_energy: the lowest measured energy along the episode (the curriculum's
            input).
        threshold: the success threshold in force when the episode ended (before the
            curriculum counts it).
        gates, cnots, depth, parameters: the final circuit's size.
        angles: its optimised angles, in gate order.
        actions: the action index of each of its gates.
        best_energy, best_noiseless_energy: the energies of the episode's intermediate
            circuit with the lowest measured error (the final one included).
        best_gates: that circuit's gate count (its gates are the first ``best_gates``).
        best_qasm: that circuit, OpenQASM 2 with its angles bound.
    """

    success: bool
    steps: int
    energy: float
    noiseless_energy: float
    reference: float
    lowest_energy: float
    threshold: float
    gates: int
    cnots: int
    depth: int
    parameters: int
    angles: tuple[float, ...]
    actions: tuple[int, ...]
    best_energy: float
    best_noiseless_energy: float
    best_gates: int
    best_qasm: str

    @property
    def error(self) -> float:
        """``energy - reference`` (Ha)."""
        return self.energy - self.reference

    @property
    def noiseless_error(self) -> float:
        """``noiseless_energy - reference`` (Ha)."""
        return self.noiseless_energy - self.reference

    @property
    def best_noiseless_error(self) -> float:
        """``best_noiseless_energy - reference`` (Ha)."""
        return self.best_noiseless_energy - self.reference

    @property
    def solved(self) -> bool:
        """The final circuit is within chemical accuracy by noiseless error."""
        return within_chemical_accuracy(self.noiseless_error)

    def to_dict(self) -> dict:
        """The fields as JSON-ready values, with the derived errors and ``solved``."""
        return {
            **asdict(self),
            "angles": list(self.angles),
            "actions": list(self.actions),
            "error": self.error,
            "noiseless_error": self.noiseless_error,
            "best_noiseless_error": self.best_noiseless_error,
            "solved": self.solved,
        }
