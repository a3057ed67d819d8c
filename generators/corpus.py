"""The training corpus: real algorithm circuits from MQT Bench, normalised, with a random baseline.

Pipeline per (family, qubit count, parameter seed):

1. ``mqt.bench.benchmarks.create_circuit(family, n)`` (passing ``seed=10 + s`` to the
   families whose constructor takes a seed, e.g. graph state and QAOA problem graphs);
   free parameters get ``uniform(0, 2*pi)`` values from ``numpy.random.default_rng(10 + s)``
   (seed ``s = 0`` reproduces MQT Bench's own random parameters).
2. Final measurements and barriers are removed (``measure="none"``, the default) or
   replaced by one final ``measure q -> c;`` (``measure="final"``). Circuits with
   mid-circuit measurement, reset or classical control are skipped with a logged reason.
3. The target-independent level as in MQT Bench (a qiskit transpile at optimisation level
   2, ``seed_transpiler=10``) but over the fixed gate set
   :data:`~qneuro.generators.tokenizer.GATES` (composite gates decomposed).
4. Written in the normalised text format of :mod:`qneuro.generators.tokenizer`: one
   register ``q``, quantised angles, identity rotations dropped, no comments.
5. Identical programs (equal text) are removed, keeping the first.

Families that fail (size rules, the ``ae`` numpy-2 bug, dynamic circuits, circuits over
``max_gates``) are skipped and listed with their reason in ``skipped.jsonl``. Once a
family's circuit exceeds ``max_gates``, its larger sizes are skipped without being built
(also listed): gate counts grow with the qubit count, and some grow exponentially
(``grover`` has 371,666 gates at 17 qubits, 20 s to build; each qubit more doubles both).
``randomcircuit`` is excluded by default: it is a random circuit, not an algorithm.

Splits: each (family, qubit count) group goes whole to train / validation / test by a
seeded hash (80/10/10), so sizes of one family are spread but one circuit's seeds never
straddle splits; a validation or test circuit with a near duplicate in training
(:class:`~qneuro.generators.features.NearDuplicateIndex`) is moved to training.

Random baseline: for every real circuit, one random circuit with the same qubit count,
gate count and split, gates drawn from the real corpus's gate-type frequencies (gate
set matched), qubits uniform, angles drawn from the real corpus's angle frequencies.

Folder layout (built in a temporary sibling folder ``.DIR.qneuro-*.tmp``, then renamed;
the destination is locked while building, and staging folders of a killed build are
removed by the next one)::

    DIR/real/*.qasm  DIR/random/*.qasm  DIR/manifest.jsonl  DIR/skipped.jsonl  DIR/corpus.json
"""

from __future__ import annotations

import functools
import glob
import hashlib
import json
import logging
import math
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from qneuro import checks
from qneuro.files import (
    TEMPORARY_SUFFIX,
    FolderLock,
    inside,
    output_folder,
    read_text_limited,
    temporary_prefix,
)
from qneuro.generators.features import NearDuplicateIndex, circuit_features
from qneuro.generators.tokenizer import (
    GATES,
    MAX_QUBITS,
    QISKIT_TO_QASM,
    TRANSPILE_BASIS,
    Program,
    Statement,
    parse_normalised,
    quantise_angle,
)

log = logging.getLogger(__name__)

#: Most parameter seeds per (family, size).
MAX_SEEDS = 1000
EXCLUDED_FAMILIES = {"randomcircuit": "a random circuit, not an algorithm"}
SPLITS = ("train", "val", "test")
#: The ``source`` of a corpus row: a real circuit or its random twin.
SOURCES = ("mqt.bench", "random")
#: Suffix of the folder a corpus is built in before it is renamed into place.
#: Largest corpus ``.qasm`` file read (bytes).
MAX_CORPUS_FILE_BYTES = 16 * 1024 * 1024


def available_families() -> list[str]:
    """MQT Bench family names this corpus uses (all installed ones minus exclusions)."""
    from mqt.bench.benchmarks import get_available_benchmark_names

    return [f for f in get_available_benchmark_names() if f not in EXCLUDED_FAMILIES]


def normalise_circuit(circuit, measure: str = "none") -> Program:  # noqa: ANN001
    """Normalise a qiskit circuit to a :class:`Program` over the fixed gate set.

    Args:
        circuit: A ``qiskit.QuantumCircuit`` with bound parameters.
        measure: ``"none"`` (drop final measurements) or ``"final"`` (measure every qubit
            at the end).

    Returns:
        The normalised program.

    Raises:
        ValueError: For unbound parameters, mid-circuit measurement, reset or classical
            control, or ``measure`` not in ("none", "final").
    """
    if measure not in ("none", "final"):
        raise ValueError(f"measure must be 'none' or 'final', got {measure!r}")
    if circuit.parameters:
        raise ValueError(f"circuit has unbound parameters: {sorted(map(str, circuit.parameters))}")
    circuit = circuit.copy()
    circuit.remove_final_measurements(inplace=True)
    for inst in circuit.data:
        if inst.operation.name in ("measure", "reset") or getattr(
            inst.operation, "condition", None
        ):
            raise ValueError(f"non-unitary operation {inst.operation.name!r} mid-circuit")
        if inst.operation.name in ("if_else", "while_loop", "for_loop", "switch_case"):
            raise ValueError(f"classical control flow {inst.operation.name!r}")
    circuit.data = [inst for inst in circuit.data if inst.operation.name != "barrier"]
    out = _normalising_pass_manager().run(circuit)
    statements = []
    for inst in out.data:
        name = QISKIT_TO_QASM.get(inst.operation.name, inst.operation.name)
        if name == "barrier":
            continue
        if name not in GATES:
            raise ValueError(f"gate {name!r} left after transpiling to {TRANSPILE_BASIS}")
        qubits = tuple(out.find_bit(q).index for q in inst.qubits)
        angle = None
        if GATES[name][0]:
            angle = quantise_angle(float(inst.operation.params[0]))
            if angle == "0":
                continue  # identity after quantisation
        statements.append(Statement(name, angle, qubits))
    return Program(out.num_qubits, tuple(statements), measure == "final")


@dataclass
class CorpusEntry:
    """One circuit of the corpus (a manifest row)."""

    file: str
    family: str
    qubits: int
    gates: int
    depth: int
    two_qubit_gates: int
    source: str
    split: str
    seed: int

    def to_json(self) -> dict:
        """Manifest row."""
        return dict(self.__dict__)


@functools.cache
def _normalising_pass_manager():  # noqa: ANN202 - a qiskit PassManager
    """The pass manager of ``transpile(basis_gates=TRANSPILE_BASIS, seed_transpiler=10)``.

    Optimisation level 2; built once, as building costs more than running it. Not
    thread-safe (its passes hold the state of the circuit they run on).
    """
    from qiskit.transpiler import generate_preset_pass_manager

    return generate_preset_pass_manager(
        optimization_level=2, basis_gates=list(TRANSPILE_BASIS), seed_transpiler=10
    )


def _create(family: str, n: int, seed: int):  # noqa: ANN202
    from mqt.bench.benchmarks import create_circuit

    try:  # seeded families take ``seed``; the others refuse the keyword
        qc = create_circuit(family, n, seed=10 + seed)
    except TypeError as exc:
        if "seed" not in str(exc):
            raise
        qc = create_circuit(family, n)
    if qc.parameters:
        rng = np.random.default_rng(10 + seed)
        qc.assign_parameters({p: rng.uniform(0, 2 * np.pi) for p in qc.parameters}, inplace=True)
    return qc


def _split_of(family: str, n: int, split_seed: int, ratios: Sequence[float]) -> str:
    digest = hashlib.sha256(f"{split_seed}:{family}:{n}".encode()).digest()
    u = int.from_bytes(digest[:8], "little") / 2**64
    return "train" if u < ratios[0] else "val" if u < ratios[0] + ratios[1] else "test"


def random_program(
    num_qubits: int,
    num_gates: int,
    rng: np.random.Generator,
    gate_weights: dict[str, float] | None = None,
    angle_weights: dict[str, float] | None = None,
) -> Program:
    """A random program over the fixed gate set.

    Args:
        num_qubits: Register size (>= 1).
        num_gates: Number of gate statements (>= 0).
        rng: Random generator.
        gate_weights: Relative gate-type frequencies (default uniform); gates needing more
            qubits than the register has are left out.
        angle_weights: Relative frequencies of canonical angle texts (default uniform on
            the grid multiples of pi/128 except 0).

    Returns:
        The program.
    """
    if num_qubits < 1 or num_gates < 0:
        raise ValueError(f"need num_qubits >= 1 and num_gates >= 0, got {num_qubits}, {num_gates}")
    weights = gate_weights or {g: 1.0 for g in GATES}
    names = [g for g in GATES if GATES[g][1] <= num_qubits and weights.get(g, 0) > 0]
    if not names:
        names = [g for g in GATES if GATES[g][1] == 1]
        weights = {g: 1.0 for g in names}
    p = np.array([weights[g] for g in names], dtype=float)
    p /= p.sum()
    if angle_weights:
        angles = sorted(angle_weights)
        pa = np.array([angle_weights[a] for a in angles], dtype=float)
        pa /= pa.sum()
    else:
        from fractions import Fraction

        from qneuro.generators.tokenizer import angle_text

        angles = [angle_text(Fraction(k, 128)) for k in range(-127, 129) if k]
        pa = np.full(len(angles), 1 / len(angles))
    statements = []
    for g in rng.choice(names, size=num_gates, p=p):
        n_params, n_qubits = GATES[str(g)]
        qubits = tuple(int(q) for q in rng.choice(num_qubits, n_qubits, replace=False))
        angle = str(rng.choice(angles, p=pa)) if n_params else None
        statements.append(Statement(str(g), angle, qubits))
    return Program(num_qubits, tuple(statements))


def build_corpus(
    out: str | Path,
    *,
    max_qubits: int = 16,
    min_qubits: int = 2,
    families: Iterable[str] | None = None,
    seeds: int = 3,
    max_gates: int = 2000,
    measure: str = "none",
    split_seed: int = 0,
    ratios: Sequence[float] = (0.8, 0.1, 0.1),
    random_seed: int = 0,
    overwrite: bool = False,
    progress: bool = True,
) -> dict:
    """Build the corpus folder (see the module docstring for the layout and rules).

    Args:
        out: Destination folder (must not exist or be empty unless ``overwrite``).
        max_qubits: Largest qubit count tried (2..32).
        min_qubits: Smallest qubit count tried (>= 1).
        families: MQT Bench family names (default :func:`available_families`).
        seeds: Parameter seeds per (family, size) (>= 1).
        max_gates: Circuits with more gates after normalisation are skipped.
        measure: ``"none"`` or ``"final"`` (see :func:`normalise_circuit`).
        split_seed: Seed of the group-to-split hash.
        ratios: Train/validation/test shares (sum to 1).
        random_seed: Seed of the random baseline.
        overwrite: Replace an existing non-empty folder.
        progress: Show a tqdm bar.

    Returns:
        Summary dict (also written to ``corpus.json``).
    """
    options = CorpusOptions(
        max_qubits=checks.integer("max_qubits", max_qubits, low=1, high=MAX_QUBITS),
        min_qubits=checks.integer("min_qubits", min_qubits, low=1, high=max_qubits),
        seeds=checks.integer("seeds", seeds, low=1, high=MAX_SEEDS),
        max_gates=checks.integer("max_gates", max_gates, low=1),
        measure=checks.one_of("measure", measure, ("none", "final")),
        split_seed=checks.seed("split_seed", split_seed),
        ratios=_check_ratios(ratios),
        random_seed=checks.seed("random_seed", random_seed),
        families=_check_families(families),
    )
    out = output_folder(out, what="out")
    with FolderLock(out):
        if not overwrite and any(p.name != FolderLock.NAME for p in out.iterdir()):
            raise ValueError(f"output folder {out} exists and is not empty (use overwrite)")
        for stale in _staging_folders(out):  # left by a killed build of this folder
            shutil.rmtree(stale)
        return _write_corpus(out, options, progress)


def _larger(smaller: tuple[int, int], max_gates: int) -> str:
    """Why a size is skipped unbuilt: a smaller size of its family was over ``max_gates``."""
    qubits, gates = smaller
    return f"not built: {qubits} qubits already had {gates} gates > max_gates {max_gates}"


def _staging_folders(out: Path) -> list[Path]:
    """The temporary sibling folders builds of ``out`` are written to (killed builds' too)."""
    pattern = f"{glob.escape(temporary_prefix(out.name))}*{TEMPORARY_SUFFIX}"
    return [p for p in out.parent.glob(pattern) if p.is_dir() and not p.is_symlink()]


@dataclass(frozen=True)
class CorpusOptions:
    """Checked settings of :func:`build_corpus` (``options`` in ``corpus.json``)."""

    max_qubits: int
    min_qubits: int
    seeds: int
    max_gates: int
    measure: str
    split_seed: int
    ratios: list[float]
    random_seed: int
    families: list[str]


def _check_ratios(ratios) -> list[float]:  # noqa: ANN001
    shares = list(ratios) if isinstance(ratios, Sequence) else [ratios]
    if len(shares) != 3:
        raise ValueError(f"ratios must be three shares (train, val, test), got {ratios!r}")
    shares = [checks.real(f"ratios[{i}]", r, low=0, high=1) for i, r in enumerate(shares)]
    if not math.isclose(sum(shares), 1.0):
        raise ValueError(f"ratios must sum to 1, got {ratios!r}")
    return list(ratios)


def _check_families(families: Iterable[str] | None) -> list[str]:
    known = available_families()
    if families is None:
        return known
    if isinstance(families, str):
        raise ValueError(f"families must be a list of names, got the string {families!r}")
    families = list(families)
    unknown = sorted(set(map(str, families)) - set(known) - set(EXCLUDED_FAMILIES))
    if unknown or not all(isinstance(f, str) for f in families):
        raise ValueError(f"unknown families {unknown}; available: {known}")
    return families


def _write_corpus(out: Path, options: CorpusOptions, progress: bool) -> dict:
    """Build the corpus into a temporary sibling of ``out``, then swap it into place."""
    from tqdm.auto import tqdm

    jobs = [
        (f, n, s)
        for f in options.families
        for n in range(options.min_qubits, options.max_qubits + 1)
        for s in range(options.seeds)
    ]
    real: list[tuple[str, int, int, Program]] = []
    skipped: list[dict] = []
    seen: set[str] = set()
    failed_groups: set[tuple[str, int]] = set()
    oversized: dict[str, tuple[int, int]] = {}  # family -> (qubits, gates) over max_gates
    for family, n, s in tqdm(jobs, desc="corpus", disable=not progress, unit="circ"):
        if (family, n) in failed_groups:
            continue
        if family in oversized and n > oversized[family][0]:
            skipped.append(
                {
                    "family": family,
                    "qubits": n,
                    "seed": s,
                    "reason": _larger(oversized[family], options.max_gates),
                }
            )
            failed_groups.add((family, n))  # one row per size, as for a failed build
            continue
        try:
            qc = _create(family, n, s)
            program = normalise_circuit(qc, options.measure)
        except Exception as exc:  # noqa: BLE001 - third-party generators fail in many ways
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            skipped.append({"family": family, "qubits": n, "seed": s, "reason": reason[:300]})
            failed_groups.add((family, n))
            continue
        if len(program.statements) > options.max_gates:
            skipped.append(
                {
                    "family": family,
                    "qubits": n,
                    "seed": s,
                    "reason": f"{len(program.statements)} gates > max_gates {options.max_gates}",
                }
            )
            failed_groups.add((family, n))
            oversized.setdefault(family, (n, len(program.statements)))
            continue
        if program.num_qubits > MAX_QUBITS or not program.statements:
            skipped.append(
                {"family": family, "qubits": n, "seed": s, "reason": "empty or too wide"}
            )
            continue
        text = program.to_qasm()
        if text in seen:
            continue
        seen.add(text)
        real.append((family, n, s, program))

    splits = [_split_of(f, n, options.split_seed, options.ratios) for f, n, _, _ in real]
    train_index = NearDuplicateIndex(
        p for (_, _, _, p), sp in zip(real, splits, strict=False) if sp == "train"
    )
    moved = 0
    for i, (_, _, _, p) in enumerate(real):
        if splits[i] != "train" and train_index.match(p):
            splits[i] = "train"
            moved += 1

    gate_counts = Counter(st.gate for *_, p in real for st in p.statements)
    angle_counts = Counter(st.angle for *_, p in real for st in p.statements if st.angle)
    rng = np.random.default_rng(options.random_seed)

    tmp = Path(
        tempfile.mkdtemp(prefix=temporary_prefix(out.name), suffix=TEMPORARY_SUFFIX, dir=out.parent)
    )
    try:
        (tmp / "real").mkdir()
        (tmp / "random").mkdir()
        rows = []
        for (family, n, s, program), split in zip(real, splits, strict=False):
            name = f"{family}_n{n}_s{s}"  # requested size; the manifest has the real width
            twin = random_program(
                program.num_qubits,
                len(program.statements),
                rng,
                dict(gate_counts),
                dict(angle_counts) or None,
            )
            twin = Program(twin.num_qubits, twin.statements, program.measured)
            for source, prog, folder in (
                ("mqt.bench", program, "real"),
                ("random", twin, "random"),
            ):
                rel = f"{folder}/{name}.qasm"
                (tmp / rel).write_text(prog.to_qasm())
                feats = circuit_features(prog)
                rows.append(
                    CorpusEntry(
                        rel,
                        family,
                        prog.num_qubits,
                        len(prog.statements),
                        int(feats["depth"]),
                        sum(len(st.qubits) >= 2 for st in prog.statements),
                        source,
                        split,
                        s,
                    ).to_json()
                )
        with open(tmp / "manifest.jsonl", "w") as fh:
            for row in rows:
                fh.write(json.dumps(row) + "\n")
        with open(tmp / "skipped.jsonl", "w") as fh:
            for row in skipped:
                fh.write(json.dumps(row) + "\n")
        summary = {
            "format": "qneuro.generators.corpus/1",
            "real": len(real),
            "random": len(real),
            "families": sorted({f for f, *_ in real}),
            "splits": {sp: splits.count(sp) for sp in SPLITS},
            "moved_to_train_near_duplicates": moved,
            "skipped": len(skipped),
            "options": asdict(options),
        }
        (tmp / "corpus.json").write_text(json.dumps(summary, indent=1) + "\n")
        shutil.rmtree(out)
        tmp.replace(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


@dataclass
class Corpus:
    """A corpus folder read back: manifest rows and their programs."""

    root: Path
    rows: list[dict]

    @classmethod
    def load(cls, root: str | Path) -> Corpus:
        """Read ``manifest.jsonl`` of a corpus folder.

        Every row must be an object naming a ``file`` inside the folder, its ``family``,
        ``qubits``, ``source`` (``mqt.bench`` or ``random``) and ``split``.

        Raises:
            FileNotFoundError: If the folder or its manifest is missing.
            ValueError: If a row is malformed or names a path outside the folder (the
                message names the manifest and the line).
        """
        root = Path(root)
        manifest = inside(root, "manifest.jsonl")
        if not manifest.exists():
            raise FileNotFoundError(f"no corpus manifest at {manifest}")
        rows = checks.read_jsonl_objects(manifest, what="corpus manifest")
        return cls(
            root,
            [_corpus_row(f"corpus manifest {manifest} line {n}", root, row) for n, _, row in rows],
        )

    def select(self, source: str | None = None, split: str | None = None) -> list[dict]:
        """Rows with the given source ("mqt.bench" or "random") and split."""
        return [
            r
            for r in self.rows
            if (source is None or r["source"] == source) and (split is None or r["split"] == split)
        ]

    def program(self, row: dict) -> Program:
        """The program of a manifest row (a file inside the corpus, no symbolic link)."""
        path = inside(self.root, row["file"], what="corpus file")
        text = read_text_limited(path, MAX_CORPUS_FILE_BYTES, what="corpus file")
        try:
            return parse_normalised(text)
        except ValueError as exc:
            raise ValueError(f"corpus file {path}: {exc}") from None

    def programs(self, source: str | None = None, split: str | None = None) -> list[Program]:
        """Programs of :meth:`select`."""
        return [self.program(r) for r in self.select(source, split)]


def _corpus_row(where: str, root: Path, row: dict) -> dict:
    """``row`` checked as a corpus manifest row (see :meth:`Corpus.load`)."""
    file = checks.field(where, row, "file")
    if not isinstance(file, str):
        raise ValueError(f"{where}: file must be a relative path, got {file!r}")
    inside(root, file, what=f"{where}: file")
    if not isinstance(checks.field(where, row, "family"), str):
        raise ValueError(f"{where}: family must be a string, got {row['family']!r}")
    checks.integer(f"{where}: qubits", checks.field(where, row, "qubits"), low=1)
    checks.one_of(f"{where}: source", checks.field(where, row, "source"), SOURCES)
    checks.one_of(f"{where}: split", checks.field(where, row, "split"), SPLITS)
    return row
