"""Which single-qubit gates follow each other on one qubit in a corpus's normal form.

The corpus normaliser (qiskit's transpiler at optimisation level 2) merges runs of
single-qubit gates: a normalised program never holds ``rz`` right after ``rz`` on the same
qubit, nor ``h`` after ``h``; in the default corpus's training split 105 of the 121
ordered pairs of the 11 single-qubit gates never occur. A language model samples such
pairs anyway (in 80% of 1000 circuits from the bundled model before this rule), and they
are what most distinguishes its circuits from real ones. :class:`NormalForm` records the
pairs that occur in the training split; the sampler masks every other pair, so
generated programs are in the same normal form as the corpus.

"Follows" is per qubit: gate ``b`` follows ``a`` on qubit ``q`` when ``a`` was the last
gate on ``q`` and both act on one qubit. After a multi-qubit gate (or at the start) any
single-qubit gate may follow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from qneuro import checks
from qneuro.files import atomic_write_json, inside
from qneuro.generators.tokenizer import GATES, Program

#: The single-qubit gates of :data:`~qneuro.generators.tokenizer.GATES`, in order.
SINGLE_QUBIT_GATES: tuple[str, ...] = tuple(g for g, (_, q) in GATES.items() if q == 1)

FILE_NAME = "normal_form.json"


@dataclass(frozen=True)
class NormalForm:
    """Ordered pairs ``(previous, next)`` of single-qubit gates allowed on one qubit."""

    allowed: frozenset[tuple[str, str]]

    def __post_init__(self):
        bad = [p for p in self.allowed if not set(p) <= set(SINGLE_QUBIT_GATES)]
        if bad:
            raise ValueError(
                f"pairs {sorted(bad)} name gates outside the single-qubit gates "
                f"{list(SINGLE_QUBIT_GATES)}"
            )

    @classmethod
    def from_programs(cls, programs: Iterable[Program]) -> NormalForm:
        """The pairs that occur in ``programs``."""
        return cls(frozenset(pair for p in programs for pair in single_qubit_pairs(p)))

    def forbidden_in(self, program: Program) -> list[tuple[str, str]]:
        """The pairs of ``program`` that this normal form does not allow, in order."""
        return [p for p in single_qubit_pairs(program) if p not in self.allowed]

    def save(self, path: str | Path) -> None:
        """Write the pairs as JSON (atomically)."""
        atomic_write_json(Path(path), {"allowed": sorted(list(p) for p in self.allowed)})

    @classmethod
    def load(cls, path: str | Path) -> NormalForm:
        """Read a file written by :meth:`save` (a ``ValueError`` names a bad file)."""
        data = checks.read_json_object(path, what="normal form")
        try:
            return cls(frozenset((str(a), str(b)) for a, b in data["allowed"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"{path} is not a normal-form file: 'allowed' must be a list of "
                f"[previous, next] single-qubit gate pairs ({type(exc).__name__}: {exc})"
            ) from None


def single_qubit_pairs(program: Program) -> list[tuple[str, str]]:
    """Every ``(previous, next)`` pair of single-qubit gates in a row on one qubit."""
    last: dict[int, str | None] = {}
    pairs = []
    for st in program.statements:
        single = len(st.qubits) == 1
        for q in st.qubits:
            if single and last.get(q) is not None:
                pairs.append((last[q], st.gate))
            last[q] = st.gate if single else None
    return pairs


def load_normal_form(model_dir: str | Path) -> NormalForm | None:
    """The model folder's normal form, or None when it has no ``normal_form.json``."""
    path = inside(model_dir, FILE_NAME)
    return NormalForm.load(path) if path.exists() else None
