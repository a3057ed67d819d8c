"""A second, independent OpenQASM 2 reading of a program, compared with qiskit's.

``verify``'s validity check should not rest on the library that also defines what the
generator may write. This module reads a program with the OpenQASM project's reference
parser (the ``openqasm3`` package: an ANTLR grammar, no code shared with qiskit's Rust
``qasm2`` parser; it reads OpenQASM 2 programs, whose syntax OpenQASM 3 kept) and
interprets the syntax tree itself against the OpenQASM 2.0 specification (Cross et al.,
arXiv:1707.03429): the version statement must say ``2.0``; only ``qreg``, ``creg``,
``gate`` definitions, gate calls, ``measure``, ``reset`` and ``barrier`` are allowed;
registers have positive sizes and unique names; every gate is known (:data:`GATES`:
the original ``qelib1.inc``, plus the gates qiskit's exporter adds, which
:func:`qneuro.qasm.parse_qasm` accepts too) and called with its number of angles and
qubits, on distinct qubits inside their registers; whole-register arguments broadcast
as in the specification. The result is the flat list of operations (name, qubit
indices, angle values), which :func:`compare_with_qiskit` matches against qiskit's
``QuantumCircuit``: same qubit count, same number of operations, and the same
operation, qubits and angles (to 1e-9) at every position.

The package comes with the ``test`` extra (``qiskit-qasm3-import`` needs
``openqasm3[parser]``); without it :func:`available` is False and ``verify`` says that
the second reading was skipped.

What it catches that qiskit's parser lets through (qiskit's non-strict mode): a missing
``OPENQASM 2.0;`` line, empty statements (``h q[0];;``) and zero-size registers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Gate name -> (angles, qubits). The original ``qelib1.inc`` (OpenQASM 2.0 paper,
#: appendix) and the built-ins ``U`` and ``CX`` ...
_QELIB1 = {
    "U": (3, 1),
    "CX": (0, 2),
    "u3": (3, 1),
    "u2": (2, 1),
    "u1": (1, 1),
    "cx": (0, 2),
    "id": (0, 1),
    "u0": (1, 1),
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
    "cz": (0, 2),
    "cy": (0, 2),
    "swap": (0, 2),
    "ch": (0, 2),
    "ccx": (0, 3),
    "crz": (1, 2),
    "cu1": (1, 2),
    "cu3": (3, 2),
}
#: ... and the gates of qiskit's extended ``qelib1.inc`` (``qasm2.LEGACY_CUSTOM_INSTRUCTIONS``).
_QISKIT_EXTENSIONS = {
    "u": (3, 1),
    "p": (1, 1),
    "sx": (0, 1),
    "sxdg": (0, 1),
    "cswap": (0, 3),
    "crx": (1, 2),
    "cry": (1, 2),
    "cp": (1, 2),
    "csx": (0, 2),
    "cu": (4, 2),
    "rxx": (1, 2),
    "rzz": (1, 2),
    "rccx": (0, 3),
    "rc3x": (0, 4),
    "c3x": (0, 4),
    "c3sqrtx": (0, 4),
    "c4x": (0, 5),
}
GATES: dict[str, tuple[int, int]] = {**_QELIB1, **_QISKIT_EXTENSIONS}
#: qiskit's instruction name of a gate where it differs from the OpenQASM name.
_QISKIT_NAMES = {"U": "u", "CX": "cx"}
_FUNCTIONS = {
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "exp": math.exp,
    "ln": math.log,
    "sqrt": math.sqrt,
}
ANGLE_TOLERANCE = 1e-9


class SecondParserError(ValueError):
    """The program is not valid OpenQASM 2 for the second reading (message says why)."""


@dataclass(frozen=True)
class Operation:
    """One operation of the flat program: name, global qubit indices, angles (radians)."""

    name: str
    qubits: tuple[int, ...]
    angles: tuple[float, ...] = ()


@dataclass(frozen=True)
class Reading:
    """The second reading of a program: total qubits and operations in program order."""

    num_qubits: int
    operations: tuple[Operation, ...]


def available() -> bool:
    """Whether the ``openqasm3`` parser (with its ANTLR runtime) can be imported."""
    try:
        from openqasm3 import parser  # noqa: F401
    except ImportError:
        return False
    return True


MISSING = (
    "second parser skipped: the openqasm3 package is not installed "
    "(pip install 'openqasm3[parser]', or the 'test' extra of qneuro)"
)


def read(text: str) -> Reading:
    """Parse and interpret ``text`` as OpenQASM 2.0 (see the module docstring).

    Raises:
        SecondParserError: A syntax error or a rule of OpenQASM 2.0 broken (named).
        ImportError: ``openqasm3`` is not installed (:data:`MISSING`).
    """
    try:
        from openqasm3 import ast, parser
    except ImportError:
        raise ImportError(MISSING) from None
    try:
        program = parser.parse(text)
    except Exception as exc:  # noqa: BLE001 - ANTLR and the AST builder raise several types
        detail = " ".join(str(exc).split()) or "syntax error"
        raise SecondParserError(f"openqasm3 parser: {type(exc).__name__}: {detail}"[:300]) from None
    if program.version != "2.0":
        raise SecondParserError(f"version {program.version!r}; OpenQASM 2 needs 'OPENQASM 2.0;'")
    return _Interpreter(ast).run(program.statements)


class _Interpreter:
    """Walks the syntax tree of an OpenQASM 2 program (one use per program)."""

    def __init__(self, ast) -> None:  # noqa: ANN001 - the openqasm3.ast module
        self.ast = ast
        self.qregs: dict[str, tuple[int, int]] = {}  # name -> (offset, size)
        self.cregs: dict[str, int] = {}
        self.gates = dict(GATES)
        self.operations: list[Operation] = []

    def run(self, statements) -> Reading:  # noqa: ANN001
        ast = self.ast
        for st in statements:
            where = f"line {st.span.start_line}" if st.span else "a statement"
            if isinstance(st, ast.Include):
                if st.filename != "qelib1.inc":
                    raise SecondParserError(f"{where}: include {st.filename!r}; only qelib1.inc")
            elif isinstance(st, ast.QubitDeclaration):
                self._declare(where, st.qubit.name, st.size, quantum=True)
            elif isinstance(st, ast.ClassicalDeclaration) and isinstance(st.type, ast.BitType):
                if st.init_expression is not None:
                    raise SecondParserError(f"{where}: a creg has no initial value in OpenQASM 2")
                self._declare(where, st.identifier.name, st.type.size, quantum=False)
            elif isinstance(st, ast.QuantumGateDefinition):
                self._define(where, st)
            elif isinstance(st, ast.QuantumGate):
                self._call(where, st)
            elif isinstance(st, ast.QuantumMeasurementStatement):
                self._measure(where, st)
            elif isinstance(st, ast.QuantumReset):
                for (q,) in self._broadcast(where, [st.qubits]):
                    self.operations.append(Operation("reset", (q,)))
            elif isinstance(st, ast.QuantumBarrier):
                qubits = sorted({q for group in self._broadcast(where, st.qubits) for q in group})
                self.operations.append(Operation("barrier", tuple(qubits)))
            else:
                raise SecondParserError(f"{where}: {type(st).__name__} is not OpenQASM 2")
        total = sum(size for _, size in self.qregs.values())
        return Reading(total, tuple(self.operations))

    def _declare(self, where: str, name: str, size, quantum: bool) -> None:  # noqa: ANN001
        if name in self.qregs or name in self.cregs:
            raise SecondParserError(f"{where}: register {name!r} declared twice")
        if not isinstance(size, self.ast.IntegerLiteral) or size.value < 1:
            raise SecondParserError(f"{where}: register {name!r} needs a positive integer size")
        if quantum:
            offset = sum(s for _, s in self.qregs.values())
            self.qregs[name] = (offset, size.value)
        else:
            self.cregs[name] = size.value

    def _define(self, where: str, st) -> None:  # noqa: ANN001
        name = st.name.name
        if name in self.gates:
            raise SecondParserError(f"{where}: gate {name!r} defined twice")
        args = {q.name for q in st.qubits}
        for inner in st.body:
            if isinstance(inner, self.ast.QuantumBarrier):
                continue
            if not isinstance(inner, self.ast.QuantumGate):
                raise SecondParserError(f"{where}: gate {name!r} body holds {type(inner).__name__}")
            called = inner.name.name
            if called not in self.gates:
                raise SecondParserError(f"{where}: gate {name!r} calls unknown gate {called!r}")
            n_angles, n_qubits = self.gates[called]
            used = [getattr(q, "name", None) for q in inner.qubits]
            if len(inner.arguments) != n_angles or len(used) != n_qubits:
                raise SecondParserError(f"{where}: gate {name!r} calls {called!r} with bad arity")
            if not set(used) <= args or len(set(used)) != len(used):
                raise SecondParserError(f"{where}: gate {name!r} body uses bad qubit arguments")
        self.gates[name] = (len(st.arguments), len(st.qubits))

    def _call(self, where: str, st) -> None:  # noqa: ANN001
        if st.modifiers:
            raise SecondParserError(f"{where}: gate modifiers are not OpenQASM 2")
        name = st.name.name
        if name not in self.gates:
            raise SecondParserError(f"{where}: unknown gate {name!r} (not in qelib1.inc)")
        n_angles, n_qubits = self.gates[name]
        if len(st.arguments) != n_angles:
            raise SecondParserError(
                f"{where}: {name} takes {n_angles} angle(s), got {len(st.arguments)}"
            )
        if len(st.qubits) != n_qubits:
            raise SecondParserError(
                f"{where}: {name} takes {n_qubits} qubit(s), got {len(st.qubits)}"
            )
        angles = tuple(self._value(where, e) for e in st.arguments)
        for qubits in self._broadcast(where, st.qubits):
            if len(set(qubits)) != len(qubits):
                raise SecondParserError(f"{where}: {name} repeats a qubit")
            self.operations.append(Operation(_QISKIT_NAMES.get(name, name), qubits, angles))

    def _measure(self, where: str, st) -> None:  # noqa: ANN001
        if st.target is None:
            raise SecondParserError(f"{where}: measure needs a target (measure q -> c)")
        qubits = self._broadcast(where, [st.measure.qubit])
        bits = self._bits(where, st.target)
        if len(qubits) != len(bits):
            raise SecondParserError(
                f"{where}: measure of {len(qubits)} qubits into {len(bits)} bits"
            )
        for (q,) in qubits:
            self.operations.append(Operation("measure", (q,)))

    def _bits(self, where: str, target) -> list[int]:  # noqa: ANN001
        name, index = self._operand(target)
        if name not in self.cregs:
            raise SecondParserError(f"{where}: unknown creg {name!r}")
        size = self.cregs[name]
        if index is None:
            return list(range(size))
        if not 0 <= index < size:
            raise SecondParserError(f"{where}: {name}[{index}] outside creg {name}[{size}]")
        return [index]

    def _operand(self, operand) -> tuple[str, int | None]:  # noqa: ANN001
        """``(register name, index or None for the whole register)`` of an argument."""
        ast = self.ast
        if isinstance(operand, ast.Identifier):
            return operand.name, None
        if isinstance(operand, ast.IndexedIdentifier) and len(operand.indices) == 1:
            (index,) = operand.indices
            if isinstance(index, list) and len(index) == 1:
                if isinstance(index[0], ast.IntegerLiteral):
                    return operand.name.name, index[0].value
        raise SecondParserError(f"argument {operand!r:.80} is not reg or reg[integer]")

    def _broadcast(self, where: str, operands) -> list[tuple[int, ...]]:  # noqa: ANN001
        """Global qubit tuples of one statement, whole registers broadcast (spec 3.3)."""
        resolved, whole = [], []
        for operand in operands:
            name, index = self._operand(operand)
            if name not in self.qregs:
                raise SecondParserError(f"{where}: unknown qreg {name!r}")
            offset, size = self.qregs[name]
            if index is not None and not 0 <= index < size:
                raise SecondParserError(f"{where}: {name}[{index}] outside qreg {name}[{size}]")
            whole.append(index is None)
            span = range(offset, offset + size) if index is None else [offset + index]
            resolved.append(list(span))
        widths = {len(r) for r, w in zip(resolved, whole, strict=True) if w}
        if len(widths) > 1:
            raise SecondParserError(f"{where}: registers of different sizes {sorted(widths)}")
        n = widths.pop() if widths else 1
        return [
            tuple(r[i] if w else r[0] for r, w in zip(resolved, whole, strict=True))
            for i in range(n)
        ]

    def _value(self, where: str, expr) -> float:  # noqa: ANN001
        """The value of an angle expression (numbers, pi, + - * / ^, sin cos tan exp ln sqrt)."""
        ast = self.ast
        if isinstance(expr, ast.IntegerLiteral | ast.FloatLiteral):
            return float(expr.value)
        if isinstance(expr, ast.Identifier):
            if expr.name in ("pi", "π"):
                return math.pi
            raise SecondParserError(f"{where}: unknown identifier {expr.name!r} in an angle")
        if isinstance(expr, ast.UnaryExpression) and expr.op.name == "-":
            return -self._value(where, expr.expression)
        if isinstance(expr, ast.BinaryExpression):
            a, b = self._value(where, expr.lhs), self._value(where, expr.rhs)
            ops = {
                "+": lambda: a + b,
                "-": lambda: a - b,
                "*": lambda: a * b,
                "/": lambda: a / b,
                "**": lambda: a**b,
                "^": lambda: a**b,  # OpenQASM 2's power (XOR in OpenQASM 3)
            }
            if expr.op.name in ops:
                try:
                    value = ops[expr.op.name]()
                except (ZeroDivisionError, OverflowError) as exc:
                    raise SecondParserError(f"{where}: angle {exc}") from None
                return float(value)
        if isinstance(expr, ast.FunctionCall) and expr.name.name in _FUNCTIONS:
            if len(expr.arguments) == 1:
                try:
                    return float(_FUNCTIONS[expr.name.name](self._value(where, expr.arguments[0])))
                except (ValueError, OverflowError) as exc:
                    raise SecondParserError(f"{where}: angle {exc}") from None
        raise SecondParserError(f"{where}: angle expression {type(expr).__name__} not allowed")


def compare_with_qiskit(reading: Reading, circuit) -> str | None:  # noqa: ANN001
    """None when ``reading`` and qiskit's ``circuit`` agree, else the first difference.

    Compared: the qubit count, the number of operations, and at every position the
    operation name, its qubit indices and its angles (to :data:`ANGLE_TOLERANCE`).
    """
    if reading.num_qubits != circuit.num_qubits:
        return f"qubits: {reading.num_qubits} here, {circuit.num_qubits} in qiskit"
    if len(reading.operations) != len(circuit.data):
        return f"operations: {len(reading.operations)} here, {len(circuit.data)} in qiskit"
    for k, (mine, theirs) in enumerate(zip(reading.operations, circuit.data, strict=True)):
        qubits = tuple(circuit.find_bit(q).index for q in theirs.qubits)
        name = theirs.operation.name
        if mine.name == "barrier" and name == "barrier":
            if sorted(qubits) != list(mine.qubits):
                return f"operation {k}: barrier qubits differ"
            continue
        if (mine.name, mine.qubits) != (name, qubits):
            here = f"{mine.name}{list(mine.qubits)}"
            return f"operation {k}: {here} here, {name}{list(qubits)} in qiskit"
        params = [float(p) for p in theirs.operation.params] if mine.angles else []
        if len(params) != len(mine.angles) or any(
            abs(a - b) > ANGLE_TOLERANCE for a, b in zip(mine.angles, params, strict=True)
        ):
            return f"operation {k} ({name}): angles {list(mine.angles)} here, {params} in qiskit"
    return None
