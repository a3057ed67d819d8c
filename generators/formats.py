"""File formats of ``qneuro generate``: every circuit writer and reader in one place.

``qasm2`` (``.qasm``, the default): OpenQASM 2.0 text. A target-independent circuit is
the generator's normalised text as sampled; a transpiled one is
:func:`qiskit.qasm2.dumps`, whose gates outside the original ``qelib1.inc`` (``sx``)
parse with ``qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)``.
``qasm3`` (``.qasm3``): :func:`qiskit.qasm3.dumps`. ``qpy`` (``.qpy``): one
:func:`qiskit.qpy.dump` file per circuit, without a transpiled circuit's layout (qiskit
2.6 writes the layout's registers in an order that changes with Python's hash seed, so
files would differ between processes; ``generate`` records the layout in the manifest).
Files are written atomically (:func:`qneuro.files.atomic_write`).
"""

from __future__ import annotations

import io
from pathlib import Path

from qneuro.files import atomic_write, atomic_write_text

#: Files of a ``generate`` output folder besides the circuits (and the dataset card).
MANIFEST_FILE, SETTINGS_FILE = "manifest.jsonl", "generate.json"
#: Default circuits per batch of ``generate`` (sampled together, KV-cached). A batch runs
#: until its longest circuit ends, the last steps with few rows left: larger batches
#: share that tail (docs/generator.md, "Sampling speed").
DEFAULT_BATCH_SIZE = 1000
#: Format name -> file suffix of its circuits.
FORMATS = {"qasm2": ".qasm", "qasm3": ".qasm3", "qpy": ".qpy"}


def check_format(fmt: str) -> str:
    """Return ``fmt`` if it is a :data:`FORMATS` name, else raise ``ValueError``."""
    if not isinstance(fmt, str) or fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} unknown; allowed: {', '.join(FORMATS)}")
    return fmt


def circuit_from_qasm2(text: str, name: str):  # noqa: ANN201 - a QuantumCircuit
    """Parse generator (or :func:`qiskit.qasm2.dumps`) OpenQASM 2 text; the circuit gets ``name``.

    The name is fixed so that files which store it (QPY) do not depend on qiskit's
    process-wide counter of default circuit names.
    """
    from qiskit import qasm2

    circuit = qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    circuit.name = name
    return circuit


def encode(circuit, fmt: str) -> str | bytes:  # noqa: ANN001
    """The file contents of ``circuit`` in format ``fmt`` (text, or bytes for ``qpy``).

    The same circuit gives the same contents in any process (QPY drops the layout).
    """
    from qiskit import qasm2, qasm3, qpy

    check_format(fmt)
    if fmt in ("qasm2", "qasm3"):
        text = (qasm2 if fmt == "qasm2" else qasm3).dumps(circuit)
        return text if text.endswith("\n") else text + "\n"
    if circuit.layout is not None:
        circuit = circuit.copy()
        circuit._layout = None  # no public setter; see the module docstring
    buffer = io.BytesIO()
    qpy.dump(circuit, buffer)
    return buffer.getvalue()


def write_circuit(path: str | Path, payload: str | bytes) -> Path:
    """Write ``payload`` (from :func:`encode`, or generator text) to ``path`` atomically."""
    if isinstance(payload, str):
        return atomic_write_text(path, payload)
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(payload))


def read_circuit(path: str | Path, fmt: str | None = None):  # noqa: ANN201
    """Load one circuit file written by ``generate`` (trusted input: qiskit's own readers).

    ``fmt`` defaults to the format of the file's suffix. ``qasm3`` needs the
    ``qiskit-qasm3-import`` package.
    """
    from qiskit import qasm2, qasm3, qpy

    path = Path(path)
    fmt = fmt or next((f for f, s in FORMATS.items() if s == path.suffix), None)
    if check_format(fmt) == "qasm2":
        return qasm2.load(path, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    if fmt == "qasm3":
        return qasm3.loads(path.read_text(encoding="utf-8"))
    with open(path, "rb") as handle:
        (circuit,) = qpy.load(handle)
    return circuit
