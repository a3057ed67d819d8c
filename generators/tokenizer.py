"""The normalised OpenQASM 2 format and a reversible tokenizer for it.

The normalised format (what :mod:`qneuro.generators.corpus` writes and the sampler emits)::

    OPENQASM 2.0;
    include "qelib1.inc";
    qreg q[N];
    <gate statements, one per line>
    creg c[N];            <- only with final measurements
    measure q -> c;       <- only with final measurements

Gate statements use a fixed gate set from the original ``qelib1.inc`` (:data:`GATES`), so
every program parses with ``qiskit.qasm2.loads`` without custom instructions. Angles are
quantised (:func:`quantise_angle`): wrapped into (-pi, pi] and snapped to the nearest of
the grid ``k*pi/128`` (k = -127..128) or the small dyadic angles ``+-pi/2**j``
(j = 8..20) that QFT-like circuits use; gates whose angle snaps to 0 are identities and
are dropped by the normaliser. Angles are written in one canonical text form
(``pi/2``, ``-3*pi/128``, ``pi/1024``), so encoding then decoding a normalised program
gives back exactly the same text.

Token sequence of a program: ``<bos> n{N} f:{family} (g:{gate} [a:{angle}] q{i}...)*
[measure] <eos>``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from qneuro import checks
from qneuro.files import atomic_write_json

#: Gate name -> (number of angle parameters, number of qubits); names as in qelib1.inc.
GATES: dict[str, tuple[int, int]] = {
    "x": (0, 1),
    "y": (0, 1),
    "z": (0, 1),
    "h": (0, 1),
    "s": (0, 1),
    "sdg": (0, 1),
    "t": (0, 1),
    "tdg": (0, 1),
    "rx": (1, 1),
    "ry": (1, 1),
    "rz": (1, 1),
    "cx": (0, 2),
    "cz": (0, 2),
    "cu1": (1, 2),
    "ccx": (0, 3),
}
#: Basis handed to qiskit's transpiler; ``cp`` is written as its qelib1 twin ``cu1``.
TRANSPILE_BASIS: list[str] = [name if name != "cu1" else "cp" for name in GATES]
QISKIT_TO_QASM: dict[str, str] = {"cp": "cu1"}

GRID = 128  # angle grid step pi / GRID
SMALL_DYADIC = range(8, 21)  # extra angles +-pi / 2**j below the grid step
MAX_QUBITS = 32

HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
SPECIALS = ["<pad>", "<bos>", "<eos>", "measure"]
PAD, BOS, EOS, MEASURE = 0, 1, 2, 3
UNKNOWN_FAMILY = "?"


def angle_text(fraction: Fraction) -> str:
    """Canonical text of ``fraction * pi``."""
    if fraction == 0:
        return "0"
    sign = "-" if fraction < 0 else ""
    num, den = abs(fraction.numerator), fraction.denominator
    head = "pi" if num == 1 else f"{num}*pi"
    return f"{sign}{head}" if den == 1 else f"{sign}{head}/{den}"


def _angle_values() -> list[tuple[float, str]]:
    values = {Fraction(k, GRID) for k in range(-GRID + 1, GRID + 1)}
    for j in SMALL_DYADIC:
        values.add(Fraction(1, 2**j))
        values.add(Fraction(-1, 2**j))
    return sorted((float(v) * math.pi, angle_text(v)) for v in values)


ANGLES: list[tuple[float, str]] = _angle_values()
ANGLE_TEXTS: list[str] = [text for _, text in ANGLES]
_ANGLE_POINTS = [value for value, _ in ANGLES]


def quantise_angle(theta: float) -> str:
    """Canonical text of the quantised angle nearest to ``theta`` (radians).

    Args:
        theta: Angle in radians (any real value; wrapped into (-pi, pi]).

    Returns:
        One of :data:`ANGLE_TEXTS`, ``"0"`` when the angle snaps to zero.

    Raises:
        ValueError: If ``theta`` is not finite.
    """
    if not math.isfinite(theta):
        raise ValueError(f"angle must be finite, got {theta!r}")
    wrapped = math.remainder(theta, 2 * math.pi)  # in [-pi, pi]
    if wrapped <= -math.pi:
        wrapped += 2 * math.pi
    import bisect

    i = bisect.bisect_left(_ANGLE_POINTS, wrapped)
    best = min(
        (j for j in (i - 1, i) if 0 <= j < len(_ANGLE_POINTS)),
        key=lambda j: abs(_ANGLE_POINTS[j] - wrapped),
    )
    # -pi wraps to pi, which is on the grid; anything closer to +-pi than a half step -> pi.
    if abs(abs(wrapped) - math.pi) < abs(_ANGLE_POINTS[best] - wrapped):
        return "pi"
    return ANGLE_TEXTS[best]


@dataclass(frozen=True)
class Statement:
    """One gate statement: gate name, canonical angle text (or None), qubit indices."""

    gate: str
    angle: str | None
    qubits: tuple[int, ...]


@dataclass(frozen=True)
class Program:
    """A normalised program: register size, gate statements, final measurement flag."""

    num_qubits: int
    statements: tuple[Statement, ...]
    measured: bool = False

    def to_qasm(self) -> str:
        """The canonical OpenQASM 2 text."""
        lines = [HEADER + f"qreg q[{self.num_qubits}];"]
        for st in self.statements:
            args = ",".join(f"q[{i}]" for i in st.qubits)
            head = st.gate if st.angle is None else f"{st.gate}({st.angle})"
            lines.append(f"{head} {args};")
        if self.measured:
            lines.append(f"creg c[{self.num_qubits}];")
            lines.append("measure q -> c;")
        return "\n".join(lines) + "\n"


_QREG = re.compile(r"qreg q\[(\d+)\];")
_STATEMENT = re.compile(r"([a-z0-9]+)(?:\(([^()]*)\))? (q\[\d+\](?:,q\[\d+\])*);")
_INDEX = re.compile(r"q\[(\d+)\]")


def parse_normalised(text: str) -> Program:
    """Parse a program in the normalised format (no qiskit needed).

    Args:
        text: OpenQASM text exactly in the normalised format.

    Returns:
        The program.

    Raises:
        ValueError: If the text is not in the normalised format (naming the line).
    """
    if not text.startswith(HEADER):
        raise ValueError("not a normalised program: header must be OPENQASM 2.0 + qelib1.inc")
    lines = text[len(HEADER) :].splitlines()
    if not lines:
        raise ValueError("not a normalised program: missing qreg line")
    match = _QREG.fullmatch(lines[0])
    if match is None:
        raise ValueError(f"not a normalised program: bad qreg line {lines[0]!r}")
    n = int(match.group(1))
    if not 1 <= n <= MAX_QUBITS:
        raise ValueError(f"register size {n} outside 1..{MAX_QUBITS}")
    body = lines[1:]
    measured = False
    if body[-2:] == [f"creg c[{n}];", "measure q -> c;"]:
        measured = True
        body = body[:-2]
    statements = []
    angles = set(ANGLE_TEXTS)
    for line in body:
        m = _STATEMENT.fullmatch(line)
        if m is None:
            raise ValueError(f"not a normalised statement: {line!r}")
        gate, angle, args = m.group(1), m.group(2), m.group(3)
        if gate not in GATES:
            raise ValueError(f"gate {gate!r} not in the gate set {sorted(GATES)}")
        n_params, n_qubits = GATES[gate]
        if (angle is not None) != (n_params == 1) or (angle is not None and angle not in angles):
            raise ValueError(f"bad or unquantised angle in {line!r}")
        qubits = tuple(int(i) for i in _INDEX.findall(args))
        if len(qubits) != n_qubits or len(set(qubits)) != n_qubits or max(qubits) >= n:
            raise ValueError(f"bad qubit arguments in {line!r}")
        statements.append(Statement(gate, angle, qubits))
    return Program(n, tuple(statements), measured)


class Tokenizer:
    """Reversible tokenizer of normalised programs (vocabulary fixed by the family list).

    Args:
        families: Family names known to the model (a family token each, plus ``f:?``).
        max_qubits: Largest register size (qubit tokens ``q0..q{max-1}``, size tokens
            ``n1..n{max}``).
    """

    def __init__(self, families: Iterable[str] = (), max_qubits: int = 16):
        if not 1 <= max_qubits <= MAX_QUBITS:
            raise ValueError(f"max_qubits must be in 1..{MAX_QUBITS}, got {max_qubits}")
        self.families = sorted(set(families) - {UNKNOWN_FAMILY})
        self.max_qubits = max_qubits
        vocab = list(SPECIALS)
        vocab += [f"n{n}" for n in range(1, max_qubits + 1)]
        vocab += [f"f:{f}" for f in [UNKNOWN_FAMILY, *self.families]]
        vocab += [f"g:{g}" for g in GATES]
        vocab += [f"a:{a}" for a in ANGLE_TEXTS]
        vocab += [f"q{i}" for i in range(max_qubits)]
        self.vocab = vocab
        self.index = {tok: i for i, tok in enumerate(vocab)}
        self.size_offset = self.index["n1"]
        self.family_offset = self.index[f"f:{UNKNOWN_FAMILY}"]
        self.gate_offset = self.index[f"g:{next(iter(GATES))}"]
        self.angle_offset = self.index[f"a:{ANGLE_TEXTS[0]}"]
        self.qubit_offset = self.index["q0"]

    def __len__(self) -> int:
        return len(self.vocab)

    def size_token(self, n: int) -> int:
        """Token id of register size ``n``."""
        if not 1 <= n <= self.max_qubits:
            raise ValueError(f"qubit count {n} outside 1..{self.max_qubits}")
        return self.size_offset + n - 1

    def family_token(self, family: str | None) -> int:
        """Token id of a family (unknown or None -> ``f:?``)."""
        return self.index.get(f"f:{family}", self.family_offset)

    def encode_program(self, program: Program, family: str | None = None) -> list[int]:
        """Token ids of a program (with ``<bos>`` ... ``<eos>``)."""
        ids = [BOS, self.size_token(program.num_qubits), self.family_token(family)]
        for st in program.statements:
            ids.append(self.index[f"g:{st.gate}"])
            if st.angle is not None:
                ids.append(self.index[f"a:{st.angle}"])
            ids.extend(self.qubit_offset + q for q in st.qubits)
        if program.measured:
            ids.append(MEASURE)
        ids.append(EOS)
        return ids

    def encode(self, text: str, family: str | None = None) -> list[int]:
        """Token ids of a normalised OpenQASM text (see :func:`parse_normalised`)."""
        return self.encode_program(parse_normalised(text), family)

    def decode_program(self, ids: Sequence[int]) -> tuple[Program, str]:
        """Program and family name of a token sequence.

        Raises:
            ValueError: If the sequence is not a well-formed program.
        """
        ids = [int(i) for i in ids]
        if ids and ids[0] == BOS:
            ids = ids[1:]
        if ids and ids[-1] == EOS:
            ids = ids[:-1]
        if len(ids) < 2:
            raise ValueError("token sequence too short (needs size and family tokens)")
        size_tok = self.vocab[ids[0]] if 0 <= ids[0] < len(self.vocab) else "?"
        fam_tok = self.vocab[ids[1]] if 0 <= ids[1] < len(self.vocab) else "?"
        if not (size_tok.startswith("n") and fam_tok.startswith("f:")):
            raise ValueError(f"sequence must start with size and family tokens, got {ids[:2]}")
        n = int(size_tok[1:])
        measured = False
        rest = ids[2:]
        if rest and rest[-1] == MEASURE:
            measured, rest = True, rest[:-1]
        statements = []
        i = 0
        while i < len(rest):
            tok = self.vocab[rest[i]] if 0 <= rest[i] < len(self.vocab) else "?"
            if not tok.startswith("g:"):
                raise ValueError(f"expected a gate token at position {i + 2}, got {tok!r}")
            gate = tok[2:]
            n_params, n_qubits = GATES[gate]
            i += 1
            angle = None
            if n_params:
                atok = self.vocab[rest[i]] if i < len(rest) else "?"
                if not atok.startswith("a:"):
                    raise ValueError(f"gate {gate} needs an angle token, got {atok!r}")
                angle, i = atok[2:], i + 1
            qubits = []
            for _ in range(n_qubits):
                qtok = self.vocab[rest[i]] if i < len(rest) else "?"
                if not (qtok.startswith("q") and qtok[1:].isdigit()):
                    raise ValueError(f"gate {gate} needs qubit tokens, got {qtok!r}")
                qubits.append(int(qtok[1:]))
                i += 1
            if max(qubits) >= n or len(set(qubits)) != len(qubits):
                raise ValueError(f"bad qubits {qubits} for gate {gate} on {n} qubits")
            statements.append(Statement(gate, angle, tuple(qubits)))
        return Program(n, tuple(statements), measured), fam_tok[2:]

    def decode(self, ids: Sequence[int]) -> str:
        """Normalised OpenQASM text of a token sequence."""
        return self.decode_program(ids)[0].to_qasm()

    def to_json(self) -> dict:
        """JSON-ready description (rebuilds the same vocabulary)."""
        return {
            "format": "qneuro.generators.tokenizer/1",
            "families": self.families,
            "max_qubits": self.max_qubits,
            "grid": GRID,
            "small_dyadic": [SMALL_DYADIC.start, SMALL_DYADIC.stop - 1],
            "gates": {k: list(v) for k, v in GATES.items()},
            "vocab_size": len(self.vocab),
        }

    @classmethod
    def from_json(cls, data: dict, source: str = "tokenizer") -> Tokenizer:
        """Inverse of :meth:`to_json`; checks the fixed parts match this version.

        Raises:
            ValueError: ``data`` is not such a description (the message names ``source``).
        """
        if not isinstance(data, dict):
            raise ValueError(f"{source} must be a JSON object")
        if data.get("format") != "qneuro.generators.tokenizer/1":
            raise ValueError(f"{source}: unknown tokenizer format {data.get('format')!r}")
        families = data.get("families")
        if not isinstance(families, list) or not all(isinstance(f, str) for f in families):
            raise ValueError(f"{source}: families must be a list of names, got {families!r}")
        max_qubits = checks.integer(
            f"{source}: max_qubits", data.get("max_qubits"), low=1, high=MAX_QUBITS
        )
        tok = cls(families, max_qubits)
        if data.get("gates") != {k: list(v) for k, v in GATES.items()} or data.get("grid") != GRID:
            raise ValueError(f"{source} was saved with another gate set or angle grid")
        if data.get("vocab_size") != len(tok):
            raise ValueError(f"{source}: vocabulary size mismatch")
        return tok

    def save(self, path: str | Path) -> None:
        """Write the JSON description atomically."""
        atomic_write_json(path, self.to_json())

    @classmethod
    def load(cls, path: str | Path) -> Tokenizer:
        """Read a tokenizer written by :meth:`save` (a ``ValueError`` names a bad file)."""
        return cls.from_json(checks.read_json_object(path, what="tokenizer"), f"tokenizer {path}")
