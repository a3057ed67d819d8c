"""Device levels of ``generate``: native gates, mapped to a coupling map, seeded.

Circuits come from the bundled model (small n and qubit counts: seconds per case).
"""

from __future__ import annotations

import json

import pytest
from qiskit.quantum_info import Operator

from qneuro.generators import levels
from qneuro.generators.card import write_card
from qneuro.generators.dataset import GenerateOptions, generate_dataset
from qneuro.generators.formats import circuit_from_qasm2, encode, read_circuit

pytest.importorskip("qiskit_ibm_runtime")

LINE4 = ((0, 1), (1, 2), (2, 3))
#: (id, options beyond n/qubits/seed) of each level and target kind.
CASES = [
    ("native-mumbai", {"level": "native", "backend": "mumbai"}),
    ("mapped-mumbai", {"level": "mapped", "backend": "mumbai"}),
    ("native-custom", {"level": "native", "basis_gates": ("cx", "rz", "sx", "x")}),
    (
        "mapped-custom",
        {"level": "mapped", "basis_gates": ("cz", "rz", "sx", "x"), "coupling_map": LINE4},
    ),
]


def _generate(out, n=4, qubits=(2, 4), seed=2, **settings):
    options = GenerateOptions(n=n, qubits=qubits, seed=seed, batch_size=2, **settings)
    generate_dataset(out, options, progress=False, threads=1)
    return sorted(out.glob("circuit_*")), [
        json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()
    ]


def _device(settings):
    if settings.get("backend"):
        backend = levels.load_backend(settings["backend"])
        pairs = {tuple(edge) for edge in backend.coupling_map.get_edges()}
        basis = set(backend.operation_names)
        return basis, pairs
    pairs = {tuple(edge) for edge in levels.coupling_pairs(settings.get("coupling_map") or ())}
    return set(settings["basis_gates"]), pairs


@pytest.mark.parametrize("name, settings", CASES, ids=[c[0] for c in CASES])
def test_level_output_uses_only_the_device(name, settings, tmp_path):
    files, rows = _generate(tmp_path / "g", **settings)
    basis, pairs = _device(settings)
    device = levels.resolve_device(
        settings["level"],
        settings.get("backend"),
        settings.get("basis_gates"),
        settings.get("coupling_map"),
        4,
    )
    assert len(files) == 4
    for path, row in zip(files, rows, strict=True):
        circuit = read_circuit(path)  # every file parses with qiskit
        assert set(circuit.count_ops()) <= basis | {"measure", "barrier"}, path.name
        assert row["level"] == settings["level"] and row["file"] == path.name
        assert row["backend"] == settings.get("backend", "custom")
        assert row["device_qubits"] == circuit.num_qubits
        assert levels.device_violation(circuit, settings["level"], device, row["qubits"]) is None
        if settings["level"] == "native":
            assert circuit.num_qubits == row["qubits"]
        for inst in circuit.data:
            if settings["level"] == "mapped" and len(inst.qubits) == 2:
                edge = tuple(circuit.find_bit(q).index for q in inst.qubits)
                assert edge in pairs, f"{path.name}: {inst.operation.name} on uncoupled {edge}"
    saved = json.loads((tmp_path / "g" / "generate.json").read_text())["settings"]
    assert saved["level"] == settings["level"]


def test_transpiled_circuits_keep_the_unitary(tmp_path):
    indep, _ = _generate(tmp_path / "i", n=3, qubits=(4, 4))
    custom = {"basis_gates": ("cx", "rz", "sx", "x")}
    native, _ = _generate(tmp_path / "n", n=3, qubits=(4, 4), level="native", **custom)
    mapped, rows = _generate(
        tmp_path / "m", n=3, qubits=(4, 4), level="mapped", coupling_map=LINE4, **custom
    )
    device = levels.resolve_device("mapped", None, custom["basis_gates"], LINE4, 4)
    for index, (a, b, c, row) in enumerate(zip(indep, native, mapped, rows, strict=True)):
        reference = Operator(read_circuit(a))
        assert Operator(read_circuit(b)).equiv(reference)
        assert "initial_layout" not in json.loads(
            (tmp_path / "n" / "manifest.jsonl").read_text().splitlines()[index]
        )
        # the file is the seeded transpilation of the indep circuit, whose layout (kept in
        # memory and in the manifest, not in the file) undoes to the same unitary
        again = levels.to_level(
            circuit_from_qasm2(a.read_text(), a.stem),
            "mapped",
            device,
            levels.transpile_seed(2),
        )
        assert encode(again, "qasm2") == c.read_text()
        assert Operator.from_circuit(again).equiv(reference)
        assert row["initial_layout"] == again.layout.initial_index_layout(filter_ancillas=True)
        assert row["final_layout"] == again.layout.final_index_layout(filter_ancillas=True)


def test_levels_are_seeded_and_resumable(tmp_path):
    settings = {"level": "mapped", "backend": "mumbai", "n": 5}
    first, _ = _generate(tmp_path / "a", **settings)
    out = tmp_path / "b"
    _generate(out, **settings)
    for path in sorted(out.glob("circuit_*"))[3:]:
        path.unlink()
    with open(out / "manifest.jsonl", "a") as fh:
        fh.write('{"file": "circ')  # a torn line from a killed run
    again, rows = _generate(out, **settings)
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in first]
    assert len(rows) == 5
    other, _ = _generate(tmp_path / "c", **{**settings, "seed": 9})
    assert [p.read_bytes() for p in other] != [p.read_bytes() for p in first]


@pytest.mark.parametrize("name, settings", CASES, ids=[c[0] for c in CASES])
def test_to_level_is_qiskit_transpile_whatever_ran_before(name, settings):
    """The cached pass manager gives what ``qiskit.transpile`` gives with that seed, and a
    circuit's result does not depend on the circuits transpiled before it."""
    from qiskit import QuantumCircuit, transpile

    device = levels.resolve_device(
        settings["level"],
        settings.get("backend"),
        settings.get("basis_gates"),
        settings.get("coupling_map"),
        4,
    )
    first = QuantumCircuit(4)
    first.h(0)
    first.cx(0, 3)
    first.ry(0.3, 2)
    first.cz(1, 3)
    first.ccx(0, 1, 2)
    other = QuantumCircuit(3)
    other.cx(2, 0)
    other.t(1)
    other.cx(0, 1)
    if settings["level"] == "native":
        target = {"basis_gates": list(device.basis_gates)}
    elif settings.get("backend"):
        target = {"backend": levels.load_backend(settings["backend"])}
    else:
        target = {"basis_gates": list(settings["basis_gates"])}
        target["coupling_map"] = levels.coupling_pairs(settings["coupling_map"])
    outputs = set()
    for seed in (levels.transpile_seed(5), 0, 1, 2, 3):  # mapped: layouts differ by seed
        ours = encode(levels.to_level(first, settings["level"], device, seed), "qasm2")
        levels.to_level(other, settings["level"], device, seed)
        assert encode(levels.to_level(first, settings["level"], device, seed), "qasm2") == ours
        reference = transpile(first, optimization_level=2, seed_transpiler=seed, **target)
        assert ours == encode(reference, "qasm2"), seed
        outputs.add(ours)
    assert len(outputs) > 1 if settings["level"] == "mapped" else len(outputs) == 1


def test_resuming_a_mapped_run_seeded_per_circuit_is_refused(tmp_path):
    settings = {"level": "mapped", "backend": "mumbai", "n": 2}
    _generate(tmp_path / "g", **settings)
    path = tmp_path / "g" / "generate.json"
    saved = json.loads(path.read_text())
    assert saved["settings"].pop("transpile_seed") == "per run"
    path.write_text(json.dumps(saved))  # as a run before one seed per run
    with pytest.raises(ValueError, match="transpile_seed 'per circuit' there, 'per run' now"):
        _generate(tmp_path / "g", **settings)
    with pytest.raises(ValueError) as refused:  # another level: the level alone differs
        _generate(tmp_path / "g", **{**settings, "level": "native"})
    assert "level 'mapped' there, 'native' now" in str(refused.value)
    assert "transpile_seed" not in str(refused.value)
    write_card(tmp_path / "g")
    card = json.loads((tmp_path / "g" / "card.json").read_text())["generation"]
    assert card["transpile_seed"] == "per circuit" and card["reproduces"] is False
    assert "mapped with a transpiler seed per circuit" in (tmp_path / "g" / "CARD.md").read_text()


def test_resuming_with_another_level_is_refused(tmp_path):
    _generate(tmp_path / "g", n=2)
    with pytest.raises(ValueError, match="level 'indep' there, 'native' now"):
        _generate(tmp_path / "g", n=2, level="native", backend="mumbai")


def test_parsers_and_seeds():
    assert levels.parse_basis_gates("cx, rz,sx") == ("cx", "rz", "sx")
    assert levels.parse_coupling_map("0-1, 2-1") == ((0, 1), (2, 1))
    assert levels.normalise_edges([(2, 1), [0, 1], (1, 2)]) == ((0, 1), (1, 2))
    assert levels.transpile_seed(3) == levels.transpile_seed(3)
    assert levels.transpile_seed(3) != levels.transpile_seed(4)
    assert {"mumbai", "brisbane", "manila"} <= set(levels.backend_names())
    options = GenerateOptions(level="mapped", basis_gates=["x", "cx"], coupling_map=[(1, 0)])
    assert options.key()["basis_gates"] == ["cx", "x"]
    assert options.key()["coupling_map"] == [[0, 1]]
    assert "level" not in GenerateOptions().key()  # a default generate.json is unchanged


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"level": "native", "backend": "nosuch"}, ["'nosuch'", "allowed", "mumbai"]),
        ({"level": "mapped", "backend": "manila", "qubits": (2, 8)}, ["8 qubits", "5 qubits"]),
        ({"level": "native", "basis_gates": ("foo",)}, ["'foo'", "allowed", "cx"]),
        ({"level": "native", "basis_gates": ("rz", "sx")}, ["rz,sx", "cannot express"]),
        (
            {
                "level": "mapped",
                "basis_gates": ("cx", "rz", "sx"),
                "coupling_map": ((0, 1), (2, 3)),
            },
            ["not connected", "[2, 3]"],
        ),
        (
            {"level": "mapped", "basis_gates": ("cx", "rz", "sx"), "coupling_map": ((0, 1),)},
            ["3 qubits", "2 qubits"],
        ),
        (
            {"level": "mapped", "basis_gates": ("ccx", "cx", "rz", "sx"), "coupling_map": LINE4},
            ["ccx", "3 or more qubits", "1 or 2 qubits"],
        ),
    ],
)
def test_bad_targets_are_refused_before_writing(settings, words, tmp_path):
    settings = {"qubits": (2, 3), **settings}
    with pytest.raises(ValueError) as info:
        generate_dataset(tmp_path / "g", GenerateOptions(n=1, **settings), progress=False)
    for word in words:
        assert word in str(info.value)
    assert not (tmp_path / "g").exists()


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"level": "quantum"}, ["'quantum'", "indep, native, mapped"]),
        ({"backend": "mumbai"}, ["backend", "'indep'"]),
        ({"level": "native"}, ["needs a backend or basis_gates"]),
        ({"level": "native", "backend": "mumbai", "basis_gates": ("cx",)}, ["basis_gates"]),
        ({"level": "native", "basis_gates": ("cx",), "coupling_map": ((0, 1),)}, ["mapped"]),
        ({"level": "mapped", "basis_gates": ("cx",)}, ["needs a coupling_map"]),
        ({"level": "native", "backend": "mumbai", "constrained": False}, ["unconstrained"]),
        ({"level": "mapped", "basis_gates": ("cx",), "coupling_map": ((1, 1),)}, ["(1, 1)"]),
    ],
)
def test_bad_level_options_are_refused_on_creation(settings, words):
    with pytest.raises(ValueError) as info:
        GenerateOptions(**settings)
    for word in words:
        assert word in str(info.value)


def _circuit(width, *gates):
    """A circuit of ``width`` qubits applying ``(name, qubits...)`` gates, then measuring."""
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(width)
    for name, *qubits in gates:
        getattr(circuit, name)(*qubits)
    circuit.measure_all()
    return circuit


LINE_BASIS = ("cz", "rz", "sx", "x")


@pytest.mark.parametrize(
    "level, circuit, qubits, words",
    [
        ("mapped", _circuit(4, ("sx", 0), ("cz", 2, 1)), 3, None),
        ("mapped", _circuit(3, ("sx", 0)), 3, None),  # as an OpenQASM 3 file reads back
        ("mapped", _circuit(5, ("sx", 0)), 3, "5 qubits; the device has 4"),
        ("mapped", _circuit(4, ("cz", 0, 2)), 3, "cz on qubits (0, 2): not a coupled pair"),
        ("mapped", _circuit(4, ("cx", 0, 1)), 3, "cx is not a device gate (cz, rz, sx, x)"),
        ("native", _circuit(3, ("cz", 0, 2)), 3, None),
        ("native", _circuit(4, ("cz", 0, 2)), 3, "4 qubits; a native circuit here has 3"),
        ("native", _circuit(3, ("h", 0)), 3, "h is not a device gate"),
    ],
)
def test_device_violation_names_what_breaks_a_custom_device(level, circuit, qubits, words):
    edges = LINE4 if level == "mapped" else None
    device = levels.resolve_device(level, None, LINE_BASIS, edges, qubits)
    reason = levels.device_violation(circuit, level, device, qubits)
    assert reason is None if words is None else words in reason, reason


def test_device_violation_places_a_wider_gate_on_no_coupling_map():
    device = levels.Device("custom", ("ccx", "cz"), LINE4, 4)  # resolve_device refuses it
    reason = levels.device_violation(_circuit(4, ("ccx", 0, 1, 2)), "mapped", device, 3)
    assert "ccx on qubits (0, 1, 2): not a coupled pair" in reason


@pytest.mark.parametrize("name, gate", [("mumbai", "cx"), ("brisbane", "ecr")])
def test_device_violation_checks_a_backend_target_on_the_very_qubits(name, gate):
    backend = levels.load_backend(name)
    device = levels.resolve_device("mapped", name, None, None, 4)
    edges = set(backend.coupling_map.get_edges())
    a, b = min(edges)
    width = backend.num_qubits
    assert levels.device_violation(_circuit(width, (gate, a, b)), "mapped", device, 4) is None
    far = next(q for q in range(width) if q != a and (a, q) not in edges and (q, a) not in edges)
    wrong = [far] if name == "mumbai" else [far, b]  # brisbane's ecr runs one way only
    assert (b, a) not in edges or name == "mumbai"
    for other in wrong:
        reason = levels.device_violation(_circuit(width, (gate, other, a)), "mapped", device, 4)
        assert f"{gate} on qubits ({other}, {a}) is not in {name}'s target" in reason


def test_mapped_openqasm3_files_pass_the_device_check(tmp_path):
    pytest.importorskip("qiskit_qasm3_import")
    settings = {"level": "mapped", "backend": "mumbai", "format": "qasm3"}
    files, rows = _generate(tmp_path / "g", n=2, **settings)
    device = levels.resolve_device("mapped", "mumbai", None, None, 4)
    for path, row in zip(files, rows, strict=True):
        circuit = read_circuit(path)  # physical qubits $k: as wide as the highest one used
        assert circuit.num_qubits < row["device_qubits"] == 27
        assert levels.device_violation(circuit, "mapped", device, row["qubits"]) is None
