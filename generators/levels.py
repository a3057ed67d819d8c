"""Device levels of ``qneuro generate``, after MQT Bench's abstraction levels.

- ``indep``: the generator's own output, the target-independent gate set of the corpus
  (``x y z h s sdg t tdg rx ry rz cx cz cu1 ccx``); nothing is transpiled.
- ``native``: each circuit transpiled to a device's basis gates only (no layout, no
  routing): same qubits, only the device's gates.
- ``mapped``: transpiled to the device's basis gates *and* coupling map (layout and
  routing): the circuit spans the device's qubits and every two-qubit gate acts on a
  coupled pair.

A device is either a fake backend of ``qiskit_ibm_runtime.fake_provider`` named by its
lower-case device name (``mumbai`` for ``FakeMumbaiV2``, ``brisbane`` for
``FakeBrisbane``; :func:`backend_names`) or a custom target: basis gates
(``cx,rz,sx,x``) and, for ``mapped``, an undirected coupling map (``0-1,1-2``).
Transpilation is qiskit's preset pass manager (what :func:`qiskit.transpile` runs) at
optimisation level :data:`OPTIMIZATION_LEVEL` with ``seed_transpiler`` =
:func:`transpile_seed` of the run seed. Pass managers are cached per process by level,
device and seed (building one costs about as much as running it on a 2-10 qubit
circuit), and a circuit's output depends on that circuit and the seed only, not on
resuming, workers or the other circuits.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass

LEVELS = ("indep", "native", "mapped")
#: ``qiskit.transpile`` optimisation level of ``native`` and ``mapped`` (the corpus's).
OPTIMIZATION_LEVEL = 2
#: How ``seed_transpiler`` is chosen, recorded in ``mapped`` runs' settings (resuming
#: a run with the other scheme is refused): one seed per run; before, one per circuit.
SEEDING = "per run"
UNRECORDED_SEEDING = "per circuit"
#: Device operations that are not basis gates (a target's control flow, timing, I/O).
_NOT_GATES = frozenset(
    {"measure", "reset", "delay", "barrier", "if_else", "for_loop", "while_loop"}
    | {"switch_case", "box", "store"}
)
#: Fake backends that model no device (left out of :func:`backend_names`).
_NOT_DEVICES = frozenset({"fractionalbackend"})
_EDGE = re.compile(r"\s*(\d+)\s*-\s*(\d+)\s*")


@dataclass(frozen=True)
class Device:
    """A transpilation target (picklable; the fake backend is loaded where it is used).

    ``name`` is a :func:`backend_names` entry or ``"custom"``; ``basis_gates`` are sorted
    gate names; ``edges`` are sorted undirected pairs ``(a, b)`` with ``a < b`` (None:
    no coupling map); ``num_qubits`` is the device size (None: any width).
    """

    name: str
    basis_gates: tuple[str, ...]
    edges: tuple[tuple[int, int], ...] | None
    num_qubits: int | None

    @property
    def is_backend(self) -> bool:
        """Whether this is a fake backend (transpiled against its full target)."""
        return self.name != "custom"


def backend_names() -> list[str]:
    """Sorted device names of the fake backends (``mumbai``, ``brisbane``, ...).

    Raises:
        ValueError: ``qiskit_ibm_runtime`` is not installed (the message names the extra).
    """
    return sorted(_backend_classes())


@functools.cache
def _backend_classes() -> dict[str, str]:
    """Device name -> class name in ``qiskit_ibm_runtime.fake_provider``."""
    try:
        from qiskit_ibm_runtime import fake_provider
        from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2
    except ImportError:
        raise ValueError("--backend needs qiskit-ibm-runtime: pip install 'qneuro[ibm]'") from None
    found = {}
    for attr in dir(fake_provider):
        cls = getattr(fake_provider, attr)
        if not (attr.startswith("Fake") and isinstance(cls, type)):
            continue
        if issubclass(cls, FakeBackendV2) and cls is not FakeBackendV2:
            name = re.sub(r"V2$", "", attr[len("Fake") :]).lower()
            if name not in _NOT_DEVICES:
                found[name] = attr
    return found


@functools.cache
def load_backend(name: str):  # noqa: ANN201 - a qiskit BackendV2
    """The fake backend called ``name`` (a :func:`backend_names` entry), cached.

    Raises:
        ValueError: An unknown name; the message lists the allowed ones.
    """
    classes = _backend_classes()
    if name not in classes:
        raise ValueError(f"backend {name!r} unknown; allowed: {', '.join(sorted(classes))}")
    from qiskit_ibm_runtime import fake_provider

    return getattr(fake_provider, classes[name])()


def parse_basis_gates(text: str) -> tuple[str, ...]:
    """``"cx,rz,sx,x"`` -> ``("cx", "rz", "sx", "x")`` (names checked by :func:`resolve_device`)."""
    names = tuple(part.strip() for part in str(text).split(","))
    if not all(names):
        raise ValueError(f"basis gates must look like 'cx,rz,sx,x', got {text!r}")
    return names


def parse_coupling_map(text: str) -> tuple[tuple[int, int], ...]:
    """``"0-1,1-2"`` -> ``((0, 1), (1, 2))``: undirected edges between qubit indices."""
    edges = []
    for part in str(text).split(","):
        match = _EDGE.fullmatch(part)
        if not match:
            raise ValueError(f"coupling map must look like '0-1,1-2', got {text!r}")
        edges.append((int(match.group(1)), int(match.group(2))))
    return tuple(edges)


def check_choice(level: str, backend, basis_gates, coupling_map) -> None:  # noqa: ANN001
    """Refuse a level/target combination that does not name exactly one target.

    ``indep`` takes no target; ``native`` a backend or basis gates (no coupling map);
    ``mapped`` a backend, or basis gates with a coupling map. Raises ``ValueError``.
    """
    if level not in LEVELS:
        raise ValueError(f"level {level!r} unknown; allowed: {', '.join(LEVELS)}")
    given = [
        name
        for name, value in (
            ("backend", backend),
            ("basis_gates", basis_gates),
            ("coupling_map", coupling_map),
        )
        if value is not None
    ]
    if level == "indep":
        if given:
            raise ValueError(f"{', '.join(given)} given with level 'indep'; use native or mapped")
        return
    if backend is not None and len(given) > 1:
        raise ValueError(f"backend {backend!r} with {given[1]}: give a backend or basis_gates")
    if backend is None and basis_gates is None:
        raise ValueError(f"level {level!r} needs a backend or basis_gates")
    if level == "native" and coupling_map is not None:
        raise ValueError("coupling_map given with level 'native' (no routing); use mapped")
    if level == "mapped" and backend is None and coupling_map is None:
        raise ValueError("level 'mapped' with basis_gates needs a coupling_map")


def resolve_device(
    level: str, backend: str | None, basis_gates, coupling_map, max_qubits: int
) -> Device | None:  # noqa: ANN001
    """The checked :class:`Device` of a run (None for ``indep``), before anything is written.

    Checks the combination (:func:`check_choice`), the backend name, gate names, that the
    basis can express every generator gate, that the coupling map is connected, and that
    ``max_qubits`` (the widest circuit asked for) fits on the device.

    Raises:
        ValueError: The first problem, naming the value and what is allowed.
    """
    check_choice(level, backend, basis_gates, coupling_map)
    if level == "indep":
        return None
    if backend is not None:
        device = _backend_device(backend)
    else:
        device = _custom_device(basis_gates, coupling_map)
    if device.num_qubits is not None and max_qubits > device.num_qubits:
        raise ValueError(
            f"circuits of up to {max_qubits} qubits are wider than {_describe(device)} "
            f"({device.num_qubits} qubits); allowed: --qubits up to {device.num_qubits}"
        )
    _check_expressive(device, max_qubits)
    return device


def _describe(device: Device) -> str:
    return f"backend {device.name!r}" if device.is_backend else "the coupling map"


def _backend_device(name: str) -> Device:
    """The :class:`Device` of fake backend ``name`` (a :func:`backend_names` entry)."""
    if not isinstance(name, str) or name not in _backend_classes():
        raise ValueError(f"backend {name!r} unknown; allowed: {', '.join(backend_names())}")
    backend = load_backend(name)
    gates = tuple(sorted(set(backend.operation_names) - _NOT_GATES))
    return Device(name, gates, None, backend.num_qubits)


def _custom_device(basis_gates, coupling_map) -> Device:  # noqa: ANN001
    """A custom :class:`Device` from gate names and undirected edges (checked)."""
    from qiskit.circuit.library import get_standard_gate_name_mapping

    standard = get_standard_gate_name_mapping()
    known = sorted(set(standard) - _NOT_GATES)
    if isinstance(basis_gates, str) or not all(isinstance(g, str) for g in basis_gates):
        raise ValueError(f"basis_gates must be a list of gate names, got {basis_gates!r}")
    for gate in basis_gates:
        if gate not in known:
            raise ValueError(f"basis gate {gate!r} unknown; allowed: {', '.join(known)}")
    if coupling_map is None:
        return Device("custom", tuple(sorted(set(basis_gates))), None, None)
    wide = sorted(g for g in set(basis_gates) if standard[g].num_qubits > 2)
    if wide:  # qiskit's transpiler refuses them with a custom coupling map
        raise ValueError(
            f"basis gates {','.join(wide)} act on 3 or more qubits, which a coupling map "
            "cannot place; allowed with a coupling map: gates of 1 or 2 qubits"
        )
    edges = normalise_edges(coupling_map)
    size = max(max(edge) for edge in edges) + 1
    _check_connected(edges, size)
    return Device("custom", tuple(sorted(set(basis_gates))), edges, size)


def normalise_edges(coupling_map) -> tuple[tuple[int, int], ...]:  # noqa: ANN001
    """Sorted, deduplicated ``(a, b)`` pairs with ``a < b``; refuses self-loops and junk."""
    edges = set()
    for edge in coupling_map:
        ok = isinstance(edge, tuple | list) and len(edge) == 2
        if not ok or not all(isinstance(q, int) and q >= 0 for q in edge) or edge[0] == edge[1]:
            raise ValueError(f"coupling map edge {edge!r} refused; allowed: two different qubits")
        edges.add((min(edge), max(edge)))
    if not edges:
        raise ValueError("coupling map is empty; allowed: edges such as 0-1,1-2")
    return tuple(sorted(edges))


def _check_connected(edges: tuple[tuple[int, int], ...], size: int) -> None:
    """Refuse a coupling map whose qubits ``0..size-1`` are not all connected."""
    reached, frontier = {0}, [0]
    while frontier:
        q = frontier.pop()
        for a, b in edges:
            for here, there in ((a, b), (b, a)):
                if here == q and there not in reached:
                    reached.add(there)
                    frontier.append(there)
    if len(reached) != size:
        missing = sorted(set(range(size)) - reached)
        raise ValueError(
            f"coupling map is not connected: qubits {missing} cannot reach qubit 0 "
            f"(it spans qubits 0-{size - 1})"
        )


def _check_expressive(device: Device, max_qubits: int) -> None:
    """Refuse a basis that cannot express the generator's gates (transpiling a probe)."""
    from qiskit import QuantumCircuit, transpile
    from qiskit.circuit.library import get_standard_gate_name_mapping

    from qneuro.generators.tokenizer import GATES

    width = min(3, max_qubits)
    probe = QuantumCircuit(width)
    standard = get_standard_gate_name_mapping()
    for name in GATES:
        gate = standard[name]
        if gate.num_qubits <= width:
            params = [0.25] * len(gate.params)
            probe.append(gate.base_class(*params), range(gate.num_qubits))
    try:
        transpile(probe, basis_gates=list(device.basis_gates), optimization_level=0)
    except Exception as exc:  # noqa: BLE001 - the transpiler raises several types
        raise ValueError(
            f"basis gates {','.join(device.basis_gates)} cannot express the generator's "
            f"gates {' '.join(GATES)} ({type(exc).__name__}); add e.g. cx,rz,sx,x"
        ) from None


def transpile_seed(seed: int) -> int:
    """``seed_transpiler`` of run ``seed``: 31 bits of ``sha256("seed:transpile")``."""
    digest = hashlib.sha256(f"{seed}:transpile".encode()).digest()
    return int.from_bytes(digest[:4], "little") & (2**31 - 1)


def to_level(circuit, level: str, device: Device, seed: int):  # noqa: ANN001, ANN201
    """``circuit`` transpiled to ``level`` (``native`` or ``mapped``) on ``device``.

    The result holds only ``device.basis_gates`` (and any measure/barrier of ``circuit``);
    for ``mapped`` it spans the device and every two-qubit gate acts on a coupled pair.
    The same as ``qiskit.transpile`` with ``seed_transpiler=seed`` (which also refuses a
    circuit wider than the device first; :func:`resolve_device` refuses such runs up
    front): deterministic for a given ``seed``. Not thread-safe (the cached pass manager's
    passes hold the state of the circuit they run on).

    Raises:
        ValueError: ``level`` is not ``native`` or ``mapped``.
    """
    return _pass_manager(level, device, seed).run(circuit)


@functools.lru_cache(maxsize=8)
def _pass_manager(level: str, device: Device, seed: int):  # noqa: ANN201 - a qiskit PassManager
    """The preset pass manager of ``level`` on ``device`` with ``seed`` (cached).

    ``native``: the basis gates alone; ``mapped``: the fake backend's full target, or the
    basis gates with both directions of each coupling-map edge.
    """
    from qiskit.transpiler import generate_preset_pass_manager

    common = {"optimization_level": OPTIMIZATION_LEVEL, "seed_transpiler": seed}
    if level == "native":
        return generate_preset_pass_manager(basis_gates=list(device.basis_gates), **common)
    if level != "mapped":
        raise ValueError(f"level {level!r} is not transpiled; allowed: native, mapped")
    if device.is_backend:
        return generate_preset_pass_manager(backend=load_backend(device.name), **common)
    return generate_preset_pass_manager(
        basis_gates=list(device.basis_gates),
        coupling_map=coupling_pairs(device.edges),
        **common,
    )


def coupling_pairs(edges) -> list[list[int]]:  # noqa: ANN001
    """Both directions of each undirected edge, as qiskit's coupling-map list."""
    return [[a, b] for a, b in edges] + [[b, a] for a, b in edges]


def layout_fields(circuit) -> dict:  # noqa: ANN001
    """``initial_layout`` and ``final_layout`` of a ``mapped`` circuit ({} without a layout).

    Lists indexed by the generated circuit's qubits: the device qubit holding each one at
    the start, and at the end (after routing's swaps). No file format keeps them
    reproducibly (:mod:`~qneuro.generators.formats`), so the manifest does.
    """
    layout = circuit.layout
    if layout is None or layout.initial_layout is None:
        return {}
    return {
        "initial_layout": layout.initial_index_layout(filter_ancillas=True),
        "final_layout": layout.final_index_layout(filter_ancillas=True),
    }


def device_violation(circuit, level: str, device: Device, qubits: int) -> str | None:  # noqa: ANN001
    """Why ``circuit`` is not a valid ``level`` circuit on ``device`` (None: it is).

    ``qubits`` is the generated circuit's width. Every operation must be a device gate, a
    measurement or a barrier. ``native`` keeps the width ``qubits``. ``mapped`` is no wider
    than the device (as wide in memory, OpenQASM 2 or QPY; an OpenQASM 3 file names
    physical qubits ``$k`` and reads back as wide as its highest one), and every operation
    acts on qubits the device couples: for a fake backend, that operation on exactly those
    qubits is in the backend's target (so a directed gate such as ``ecr`` must run the
    device's way); for a custom device, every two-qubit operation is on an edge of the
    coupling map and none acts on more qubits.
    """
    allowed = set(device.basis_gates) | {"measure", "barrier"}
    if level == "native" and circuit.num_qubits != qubits:
        return f"{circuit.num_qubits} qubits; a native circuit here has {qubits}"
    if level == "mapped" and device.num_qubits and circuit.num_qubits > device.num_qubits:
        return f"{circuit.num_qubits} qubits; the device has {device.num_qubits}"
    target = load_backend(device.name).target if device.is_backend else None
    edges = set(device.edges or ())
    for instruction in circuit.data:
        name = instruction.operation.name
        if name not in allowed:
            return f"{name} is not a device gate ({', '.join(device.basis_gates)})"
        if level != "mapped" or name == "barrier":
            continue
        on = tuple(circuit.find_bit(q).index for q in instruction.qubits)
        if target is not None:
            if not target.instruction_supported(name, on):
                return f"{name} on qubits {on} is not in {device.name}'s target"
        elif len(on) > 2 or (len(on) == 2 and (min(on), max(on)) not in edges):
            return f"{name} on qubits {on}: not a coupled pair"
    return None
