"""OpenQASM 2 from untrusted text: bounded, self-contained, finite.

Every command that reads a QASM file goes through :func:`read_qasm` / :func:`parse_qasm`:

* only ``include "qelib1.inc";`` is allowed (qiskit's built-in copy; no local file is
  ever opened through an ``include``, whatever the working directory);
* files are regular files of at most :data:`MAX_QASM_BYTES` (no devices, no folders);
* registers total at most ``max_qubits`` qubits (default :data:`MAX_QASM_QUBITS`) and
  :data:`MAX_QASM_CLBITS` classical bits, checked before qiskit allocates them;
* every gate angle is a finite number (``rx(1e400)`` is refused, not turned into NaN);
* gate definitions expand to at most :data:`MAX_EXPANDED_GATES` gates (a definition that
  calls the previous one twice, nested 40 deep, would otherwise stand for 2**40 gates).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from qneuro.files import read_text_limited

#: Largest QASM file read (bytes).
MAX_QASM_BYTES = 16 * 1024 * 1024
#: Most gates a program may stand for once its gate definitions are expanded.
MAX_EXPANDED_GATES = 1_000_000
#: Default qubit limit and the classical-bit limit (registers are summed before parsing).
MAX_QASM_QUBITS = 1024
MAX_QASM_CLBITS = 1 << 16

_COMMENT = re.compile(r"//[^\n]*")
_INCLUDE = re.compile(r'include\s*"([^"\n]*)"\s*;')
_REGISTER = re.compile(r"\b([qc])reg\s+[A-Za-z_]\w*\s*\[\s*(\d+)\s*\]")


class QasmError(ValueError):
    """A QASM program that is refused (its message names the source and the reason)."""


def read_qasm(
    path: str | Path, *, max_qubits: int = MAX_QASM_QUBITS, max_bytes: int = MAX_QASM_BYTES
):
    """Parse the OpenQASM 2 file ``path`` into a ``QuantumCircuit`` (see :func:`parse_qasm`)."""
    text = read_text_limited(path, max_bytes, what="QASM file")
    return parse_qasm(text, source=str(path), max_qubits=max_qubits)


def check_includes(text: str, source: str = "<input>") -> None:
    """Raise :class:`QasmError` unless every ``include`` names ``qelib1.inc``."""
    body = _COMMENT.sub("", text)
    names = _INCLUDE.findall(body)
    if body.count("include") != len(names):
        raise QasmError(f'{source}: malformed include (only include "qelib1.inc"; is allowed)')
    for name in names:
        if name != "qelib1.inc":
            raise QasmError(f"{source}: include of {name!r} refused (only qelib1.inc is allowed)")


def parse_qasm(text: str, *, source: str = "<input>", max_qubits: int = MAX_QASM_QUBITS):
    """``qiskit.qasm2.loads`` with includes, size and angles checked.

    Args:
        text: the program.
        source: a name for messages (usually the file path).
        max_qubits: refuse programs with more qubits (also more than
            :data:`MAX_QASM_CLBITS` classical bits), checked before qiskit allocates them.

    Returns:
        The ``QuantumCircuit`` (qiskit's legacy custom instructions, so ``u``, ``cu3``...
        parse as in qiskit's own exporter).

    Raises:
        QasmError: a refused include, a parse error (with qiskit's line and column), too
            many qubits, or a non-finite angle.
    """
    from qiskit import qasm2

    check_includes(text, source)
    declared = {"q": 0, "c": 0}  # register sizes, summed before qiskit allocates them
    for kind, size in _REGISTER.findall(_COMMENT.sub("", text)):
        declared[kind] += int(size)
    if declared["q"] > max_qubits:
        raise QasmError(f"{source} has {declared['q']} qubits; allowed: at most {max_qubits}")
    if declared["c"] > MAX_QASM_CLBITS:
        raise QasmError(
            f"{source} has {declared['c']} classical bits; allowed: at most {MAX_QASM_CLBITS}"
        )
    try:
        circuit = qasm2.loads(
            text, include_path=(), custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS
        )
    except Exception as exc:  # noqa: BLE001 - the parser raises several types
        message = " ".join(str(exc).split()).strip('"').replace("<input>", source)
        raise QasmError(f"{source} is not valid OpenQASM 2: {message}"[:500]) from None
    if circuit.num_qubits > max_qubits:  # registers the scan above could not see
        raise QasmError(f"{source} has {circuit.num_qubits} qubits; allowed: at most {max_qubits}")
    expanded = _expanded_gates(circuit, {})
    if expanded > MAX_EXPANDED_GATES:
        raise QasmError(
            f"{source} expands to {expanded:,} gates through its gate definitions; allowed: "
            f"at most {MAX_EXPANDED_GATES:,}"
        )
    for index, instruction in enumerate(circuit.data):
        for value in instruction.operation.params:
            if isinstance(value, int | float) and not math.isfinite(value):
                raise QasmError(
                    f"{source}: instruction {index} ({instruction.operation.name}) has angle "
                    f"{value}; allowed: finite numbers"
                )
    return circuit


def _expanded_gates(circuit, sizes: dict[str, int]) -> int:
    """Gates of ``circuit`` with every user-defined gate replaced by its body, recursively.

    Standard gates count one; ``sizes`` memoises each defined gate (OpenQASM 2 gate names
    are unique), so the count costs one pass over each definition.
    """
    from qiskit.circuit.library import get_standard_gate_name_mapping

    standard = get_standard_gate_name_mapping()
    total = 0
    for instruction in circuit.data:
        operation = instruction.operation
        name = operation.name
        if name not in sizes:
            definition = None if name in standard else operation.definition
            sizes[name] = 1 if definition is None else _expanded_gates(definition, sizes)
        total += sizes[name]
        if total > MAX_EXPANDED_GATES:
            break  # enough to refuse; no need to count further
    return total
