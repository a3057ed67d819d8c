"""OpenQASM 2 from untrusted text: bounded, self-contained, finite.

Every command that reads a QASM file goes through :func:`read_qasm` / :func:`parse_qasm`:

* only ``include "qelib1.inc";`` is allowed (qiskit's built-in copy; no local file is
  ever opened through an ``include``, whatever the working directory);
* files are regular files of at most :data:`MAX_QASM_BYTES` (no devices, no folders);
* registers total at most ``max_qubits`` qubits (default :data:`MAX_QASM_QUBITS`) and
  :data:`MAX_QASM_CLBITS` classical bits, checked before qiskit allocates them;
* every gate angle is a finite number (``rx(1e400)`` is refused, not turned into NaN).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from qneuro.files import read_text_limited

#: Largest QASM file read (bytes).
MAX_QASM_BYTES = 16 * 1024 * 1024
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
        raise QasmError(f"{source}: malformed include (only include \"qelib1.inc\"; is allowed)")
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
    for index, instruction in enumerate(circuit.data):
        for value in instruction.operation.params:
            if isinstance(value, int | float) and not math.isfinite(value):
                raise QasmError(
                    f"{source}: instruction {index} ({instruction.operation.name}) has angle "
                    f"{value}; allowed: finite numbers"
                )
    return circuit
