"""Verification of a generated dataset: validity, realism, structure, novelty.

1. **Validity**: every ``.qasm`` file is read as untrusted text (a regular file in the
   folder below :data:`MAX_FILE_BYTES`; a symbolic link is reported as a failure and
   never followed), parsed by :func:`qneuro.qasm.parse_qasm` (only
   ``include "qelib1.inc";`` allowed, so no local file is ever read; legacy custom
   instructions so that files using ``cp``/``sx``/``swap`` from other writers parse too;
   finite angles), read a second time by an independent parser
   (:mod:`~qneuro.generators.second_parser`: the OpenQASM project's reference grammar,
   package ``openqasm3``, interpreted against the OpenQASM 2.0 specification), which
   must accept it and agree with qiskit on the qubit count and on every operation, then
   run on Aer (one shot, measuring every qubit; a circuit wider than
   :data:`MAX_AER_QUBITS` is only transpiled to Aer's instructions, not run, and
   ``aer_not_run`` counts them). Every failure keeps its reason and
   stage (``include``, ``parse``, ``second_parser``, ``aer``), including parser errors
   other than ``QASM2ParseError`` (e.g. the plain ``TypeError`` of ``rz q[0];``).
   Without ``openqasm3`` the second reading is skipped and the result says so.
2. **Realism**, by two judges (``judges`` in the result), each reported as the share of
   held-out *real* circuits (the corpus's test split in the generated qubit range) it
   judges real next to the share of generated ones:

   - ``random_forest``: scikit-learn, 300 trees, seeded, on :func:`classifier_features`
     (gate-type shares, gate-pair shares of consecutive statements sharing a qubit, the
     scalar structure features, qubit distance of two-qubit gates, share of "round"
     angles), trained on the corpus's real vs random *train* circuits; its accuracy on
     the real + random *test* circuits is reported, and the share of all valid
     generated circuits it judges real.
   - ``sequence``: :mod:`~qneuro.generators.judge`, a small CNN over token ids trained
     on real *train* circuits vs the generated circuits of even position, evaluated on
     the held-out real circuits and the generated circuits of odd position (a
     two-sample test: a generator that matched the real distribution would leave the
     two shares equal); skipped with ``sequence_judge=False``.
3. **Structure**: :func:`~qneuro.generators.features.structure_distance` (unbiased MMD²
   of standardised structure vectors, with ``match_qubits=True``: each set weighted to
   the reference's qubit-count histogram) of the generated circuits, of the random test
   circuits and of the real *training* circuits (what a generator that copied its
   training data would score) to the real test circuits, all restricted to the
   generated qubit range (the whole test split when fewer than 10 real test circuits fall
   inside it); per-feature distances
   (:func:`~qneuro.generators.features.feature_distances`) show where sets differ. A set
   with fewer than two circuits at the qubit counts it shares with the reference gets
   no distance (``None``, shown as n/a).
4. **Novelty**: share of valid generated circuits with neither an exact nor a near
   duplicate (:class:`~qneuro.generators.features.NearDuplicateIndex`, Jaccard >= 0.9 of
   statement 4-grams, same qubit count) among the real training circuits.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from pathlib import Path

import numpy as np

from qneuro import checks
from qneuro.files import (
    UnsafePathError,
    atomic_save_figure,
    figure_file,
    inside,
    read_text_limited,
)
from qneuro.generators import second_parser as second
from qneuro.generators.corpus import SOURCES, Corpus, normalise_circuit
from qneuro.generators.features import (
    SCALAR_FEATURES,
    NearDuplicateIndex,
    circuit_features,
    feature_distances,
    structure_distance,
)
from qneuro.generators.judge import JudgeConfig, judge_generated
from qneuro.generators.tokenizer import GATES, Program, parse_normalised
from qneuro.qasm import QasmError, check_includes, parse_qasm

#: Largest generated ``.qasm`` file read (bytes); a larger one counts as invalid.
MAX_FILE_BYTES = 2_000_000
#: Widest circuit run on Aer's statevector simulator (wider ones: transpiled for it only).
MAX_AER_QUBITS = 24


def check_validity(
    text: str, run_aer: bool = True, source: str = "<input>", second_parser: bool = True
) -> dict:
    """Check one untrusted OpenQASM 2 text (includes and parsing by :mod:`qneuro.qasm`).

    Args:
        text: The program text.
        run_aer: Also execute it on Aer (one shot).
        source: A name for the reason (usually the file name).
        second_parser: Also read it with :mod:`~qneuro.generators.second_parser`, which
            must accept it and agree with qiskit (skipped when ``openqasm3`` is missing:
            :func:`~qneuro.generators.second_parser.available`).

    Returns:
        ``{"valid": bool, "stage": "include"|"parse"|"second_parser"|"aer"|None,
        "reason": str|None, "circuit": QuantumCircuit|None}``.
    """
    try:
        check_includes(text, source)
    except QasmError as exc:
        return {"valid": False, "stage": "include", "reason": str(exc), "circuit": None}
    try:
        circuit = parse_qasm(text, source=source)
    except QasmError as exc:
        return {"valid": False, "stage": "parse", "reason": str(exc)[:300], "circuit": None}
    if second_parser and second.available():
        try:
            difference = second.compare_with_qiskit(second.read(text), circuit)
        except second.SecondParserError as exc:
            difference = str(exc)
        if difference:
            return {
                "valid": False,
                "stage": "second_parser",
                "reason": difference[:300],
                "circuit": circuit,
            }
    if run_aer:
        reason = _run_aer(circuit)
        if reason:
            return {"valid": False, "stage": "aer", "reason": reason, "circuit": circuit}
    return {"valid": True, "stage": None, "reason": None, "circuit": circuit}


def _run_aer(circuit) -> str | None:  # noqa: ANN001
    """Why Aer refuses ``circuit`` (None: it ran, or it is wider than a statevector allows).

    Up to :data:`MAX_AER_QUBITS` qubits: transpiled for the statevector simulator (what
    ``qiskit.transpile(circuit, simulator)`` runs, seeded) and run for one shot, every
    qubit measured. Wider: transpiled to the simulator's instructions (what a run does
    first), not run. The pass managers are built once per process (building one for
    Aer's target took about 0.2 s, ten times the cost of running it; not thread-safe).
    """
    wide = circuit.num_qubits > MAX_AER_QUBITS
    pass_manager, sim = _aer_pass_manager(wide), _simulator()  # a failure here is raised
    try:
        if wide:
            pass_manager.run(circuit)
            return None
        qc = circuit.copy()
        if qc.num_clbits == 0:
            qc.measure_all()
        result = sim.run(pass_manager.run(qc), shots=1, seed_simulator=0).result()
        if not result.success:
            return f"Aer failed: {result.status}"
    except Exception as exc:  # noqa: BLE001 - the transpiler and Aer raise several types
        return f"Aer {type(exc).__name__}: {' '.join(str(exc).split())}"[:300]
    return None


@functools.cache
def _simulator():  # noqa: ANN202
    from qiskit_aer import AerSimulator

    return AerSimulator(method="statevector", max_parallel_threads=1)


@functools.cache
def _aer_pass_manager(wide: bool):  # noqa: ANN202
    """The pass manager of :func:`_run_aer`: for Aer's target, or (``wide``) its gates alone.

    The simulator's target stops at the width its memory allows, so a wider circuit is
    translated to its standard gates without a target, at optimisation level 0.
    """
    from qiskit.circuit.library import get_standard_gate_name_mapping
    from qiskit.transpiler import generate_preset_pass_manager

    sim = _simulator()
    if not wide:
        return generate_preset_pass_manager(optimization_level=2, backend=sim, seed_transpiler=0)
    gates = sorted(set(sim.operation_names) & set(get_standard_gate_name_mapping()))
    return generate_preset_pass_manager(optimization_level=0, basis_gates=gates)


def _round_angle(text: str | None) -> bool:
    if text is None:
        return False
    return text in ("pi", "-pi", "pi/2", "-pi/2", "pi/4", "-pi/4", "3*pi/4", "-3*pi/4") or (
        "*" not in text
        and text.count("/") == 1
        and text.split("/")[1] in {str(2**j) for j in range(3, 21)}
    )


_GATE_LIST = list(GATES)


def classifier_features(program: Program) -> np.ndarray:
    """Feature vector of one program for the real-vs-random classifier."""
    feats = circuit_features(program)
    n_g = len(_GATE_LIST)
    counts = Counter(st.gate for st in program.statements)
    total = max(len(program.statements), 1)
    gate_share = [counts.get(g, 0) / total for g in _GATE_LIST]
    pairs = np.zeros((n_g, n_g))
    last: dict[int, str] = {}
    for st in program.statements:
        for q in st.qubits:
            if q in last:
                pairs[_GATE_LIST.index(last[q]), _GATE_LIST.index(st.gate)] += 1
            last[q] = st.gate
    pairs /= max(pairs.sum(), 1)
    two = [st for st in program.statements if len(st.qubits) >= 2]
    dist = (
        np.mean([abs(st.qubits[0] - st.qubits[-1]) for st in two]) / max(program.num_qubits - 1, 1)
        if two
        else 0.0
    )
    angled = [st for st in program.statements if st.angle is not None]
    round_share = np.mean([_round_angle(st.angle) for st in angled]) if angled else 0.0
    scalars = [feats[k] for k in ["qubits", *SCALAR_FEATURES]]
    return np.concatenate([scalars, gate_share, pairs.ravel(), [dist, round_share]])


def _program_of(text: str, circuit) -> Program:  # noqa: ANN001
    try:
        return parse_normalised(text)
    except ValueError:
        return normalise_circuit(circuit)


def verify_dataset(
    folder: str | Path,
    reference: str | Path,
    *,
    figure: str | Path | None = None,
    run_aer: bool = True,
    seed: int = 0,
    progress: bool = True,
    sequence_judge: bool = True,
    second_parser: bool = True,
) -> dict:
    """Verify the ``.qasm`` files of ``folder`` against a corpus (see module docstring).

    Only target-independent OpenQASM 2 circuits compare with the corpus: a ``generate``
    folder whose ``generate.json`` records another level or format is refused
    (:func:`check_generate_settings`).

    Args:
        folder: Folder of generated ``.qasm`` files (the ``generate`` output).
        reference: Corpus folder (:func:`~qneuro.generators.corpus.build_corpus`).
        figure: Image path for the histograms, its format from the suffix (default
            ``folder/verify.png``; ``""`` for none).
        run_aer: Execute valid circuits on Aer.
        seed: Seed of both judges (0 <= seed < 2**32).
        progress: Show a tqdm bar.
        sequence_judge: Train and apply the sequence judge (seconds per hundred circuits).
        second_parser: Read every file with the independent parser too.

    Returns:
        JSON-ready dict: ``n``, ``validity``, ``failures`` (file -> reason),
        ``validity_checks`` (what validity means in this run), ``aer_not_run`` (valid
        circuits wider than :data:`MAX_AER_QUBITS`, not executed; None without Aer), ``judges``
        (``random_forest`` and ``sequence``, see the module docstring; each with
        ``judged_real_generated``, ``judged_real_held_out_real`` and their ``gap``),
        ``classifier_accuracy`` and ``judged_real`` (the random forest's, kept from
        before the judges), ``structure_distance_generated``,
        ``structure_distance_random``, ``structure_distance_train``, ``structure_terms``
        (per-feature distances of each set), ``novelty``, ``exact_duplicates``,
        ``near_duplicates``, ``qubit_range``, ``reference_circuits`` (held-out real circuits) and
        ``reference_qubit_range`` (their qubit counts), ``figure``.

    Raises:
        FileNotFoundError: If ``folder`` has no ``.qasm`` file or the corpus is missing.
        ValueError: A bad seed or figure path (checked first), a ``generate`` folder of
            another level or format, or a malformed corpus lacking real or random
            circuits in its train or test split.
    """
    from tqdm.auto import tqdm

    checks.seed("seed", seed, limit=2**32)
    folder = Path(folder)
    fig_path = None if figure == "" else _figure_path(figure, folder)
    check_generate_settings(folder)
    files = sorted(folder.glob("*.qasm")) if folder.is_dir() else []
    if not files:
        raise FileNotFoundError(f"no .qasm files in {folder}")
    corpus = Corpus.load(reference)
    failures: dict[str, str] = {}
    programs: list[Program] = []
    for path in tqdm(files, desc="validity", disable=not progress, unit="circ"):
        try:  # a link is reported, never followed; so is a folder or a device
            text = read_text_limited(inside(folder, path.name), MAX_FILE_BYTES, what="file")
        except UnsafePathError as exc:
            failures[path.name] = f"read: {exc}"
            continue
        check = check_validity(text, run_aer=run_aer, source=path.name, second_parser=second_parser)
        if not check["valid"]:
            failures[path.name] = f"{check['stage']}: {check['reason']}"
            continue
        try:
            programs.append(_program_of(text, check["circuit"]))
        except Exception as exc:  # noqa: BLE001 - valid, but outside the gate set
            failures[path.name] = f"normalise: {type(exc).__name__}: {exc}"[:300]
    n = len(files)
    result: dict = {"n": n, "validity": (n - len(failures)) / n, "failures": failures}
    result["validity_checks"] = _validity_checks(run_aer, second_parser)
    wide = sum(p.num_qubits > MAX_AER_QUBITS for p in programs)
    result["aer_not_run"] = wide if run_aer else None
    real_train, rand_train, real_test, rand_test = (
        _reference_programs(corpus, source, split)
        for split in ("train", "test")
        for source in SOURCES
    )
    # the held-out sets: the test split within the generated qubit range
    lo = min((p.num_qubits for p in programs), default=1)
    hi = max((p.num_qubits for p in programs), default=32)
    ref = [p for p in real_test if lo <= p.num_qubits <= hi]
    rnd = [p for p in rand_test if lo <= p.num_qubits <= hi]
    if len(ref) < 10:
        ref, rnd = real_test, rand_test
    result["qubit_range"] = [lo, hi]
    result["reference_circuits"] = len(ref)
    result["reference_qubit_range"] = [
        min(p.num_qubits for p in ref),
        max(p.num_qubits for p in ref),
    ]
    train = [p for p in real_train if lo <= p.num_qubits <= hi] or real_train
    # realism: two judges
    forest = _forest_judge(real_train, rand_train, real_test, rand_test, ref, programs, seed)
    result["classifier_accuracy"] = forest["accuracy_real_vs_random_test"]
    result["classifier"] = forest["model"]
    result["judged_real"] = forest["judged_real_generated"]
    if sequence_judge:
        rand_in_range = [p for p in rand_train if lo <= p.num_qubits <= hi] or rand_train
        sequence = judge_generated(train, ref, programs, rand_in_range, rnd, JudgeConfig(seed=seed))
    else:
        sequence = {"skipped": True, "reason": "sequence_judge=False (--no-sequence-judge)"}
    result["judges"] = {"random_forest": forest, "sequence": sequence}
    # structure
    sets = {"generated": programs, "random": rnd, "train": train}
    comparable = {name: _comparable(programs_of, ref) for name, programs_of in sets.items()}
    for name, programs_of in sets.items():
        result[f"structure_distance_{name}"] = (
            structure_distance(programs_of, ref, match_qubits=True) if comparable[name] else None
        )
    if comparable["generated"]:
        result["structure_terms"] = {
            name: feature_distances(programs_of, ref, match_qubits=True)
            for name, programs_of in sets.items()
            if comparable[name]
        }
    # novelty
    index = NearDuplicateIndex(real_train)
    matches = [index.match(p) for p in programs]
    result["exact_duplicates"] = sum(m == "exact" for m in matches)
    result["near_duplicates"] = sum(m == "near" for m in matches)
    result["novelty"] = sum(m is None for m in matches) / len(matches) if matches else 0.0
    if fig_path is not None:
        _figure(fig_path, programs, ref, rnd)
        result["figure"] = str(fig_path)
    return result


def _validity_checks(run_aer: bool, second_parser: bool) -> list[str]:
    """What "valid" meant in a run, in the order the checks ran."""
    done = ["include qelib1.inc only", "qiskit.qasm2 parse"]
    if second_parser:
        done.append(
            "openqasm3 parse + OpenQASM 2 rules + agreement with qiskit"
            if second.available()
            else second.MISSING
        )
    if run_aer:
        done.append(f"Aer run (1 shot; over {MAX_AER_QUBITS} qubits: transpiled for Aer, not run)")
    return done


def _forest_judge(
    real_train: list[Program],
    rand_train: list[Program],
    real_test: list[Program],
    rand_test: list[Program],
    held_out_real: list[Program],
    generated: list[Program],
    seed: int,
) -> dict:
    """The random forest's report: trained real vs random (train), judged on the rest."""
    from sklearn.ensemble import RandomForestClassifier

    x_train = np.array([classifier_features(p) for p in real_train + rand_train])
    y_train = np.array([1] * len(real_train) + [0] * len(rand_train))
    x_test = np.array([classifier_features(p) for p in real_test + rand_test])
    y_test = np.array([1] * len(real_test) + [0] * len(rand_test))
    clf = RandomForestClassifier(n_estimators=300, random_state=seed, n_jobs=1)
    clf.fit(x_train, y_train)

    def judged(programs: list[Program]) -> float:
        if not programs:
            return 0.0
        return float(clf.predict(np.array([classifier_features(p) for p in programs])).mean())

    gen_rate, real_rate = judged(generated), judged(held_out_real)
    return {
        "model": "random forest (300 trees) on gate shares, gate pairs, structure",
        "trained_on": {"real_train": len(real_train), "random_train": len(rand_train)},
        "evaluated_on": {"real_test": len(held_out_real), "generated_all": len(generated)},
        "accuracy_real_vs_random_test": float((clf.predict(x_test) == y_test).mean()),
        "judged_real_generated": gen_rate,
        "judged_real_held_out_real": real_rate,
        "gap": real_rate - gen_rate,
    }


def check_generate_settings(folder: Path) -> None:
    """Refuse a ``generate`` folder of a level other than ``indep`` or a format but ``qasm2``.

    Reads ``folder/generate.json`` when present (no symbolic link followed); a folder
    without it (any folder of ``.qasm`` files) passes. Raises ``ValueError``.
    """
    from qneuro.generators.formats import SETTINGS_FILE

    path = inside(folder, SETTINGS_FILE, what="settings") if folder.is_dir() else None
    if path is None or not path.exists():
        return
    settings = checks.read_json_object(path, what="settings").get("settings")
    settings = settings if isinstance(settings, dict) else {}
    level, fmt = settings.get("level", "indep"), settings.get("format", "qasm2")
    if (level, fmt) != ("indep", "qasm2"):
        raise ValueError(
            f"{folder} holds level {level!r}, format {fmt!r} circuits ({path.name}); verify "
            "compares the generator's own OpenQASM 2 circuits with the corpus: allowed: "
            "a folder made with --level indep --format qasm2"
        )


def _comparable(candidate: list[Program], reference: list[Program]) -> bool:
    """Whether both sets hold >= 2 programs at their shared qubit counts (MMD² needs it)."""
    shared = {p.num_qubits for p in candidate} & {p.num_qubits for p in reference}
    return min(sum(p.num_qubits in shared for p in s) for s in (candidate, reference)) >= 2


def _reference_programs(corpus: Corpus, source: str, split: str) -> list[Program]:
    """The corpus's programs of one source and split; refused when there are none."""
    programs = corpus.programs(source, split)
    if not programs:
        raise ValueError(
            f"reference corpus {corpus.root} has no {source} circuits in its {split} split; "
            "verify needs real and random circuits in both train and test"
        )
    return programs


def _figure_path(figure: str | Path | None, folder: Path) -> Path:
    """The figure file (default ``folder/verify.png``), refused unless it can be written."""
    return figure_file(Path(figure) if figure else folder / "verify.png", what="figure")


def _figure(path: Path, generated: list[Program], real: list[Program], rand: list[Program]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ["gates", "depth", "two_qubit_share", "gate_density", "degree", "parallelism"]
    sets = {"real (test)": real, "generated": generated, "random (test)": rand}
    feats = {k: [circuit_features(p) for p in v] for k, v in sets.items()}
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5))
    for ax, name in zip(axes.ravel(), names, strict=False):
        values = [np.array([f[name] for f in feats[k]]) for k in sets]
        pooled = np.concatenate([v for v in values if len(v)])
        bins = np.histogram_bin_edges(pooled, bins=20) if len(pooled) else 10
        for label, v in zip(sets, values, strict=False):
            if len(v):
                ax.hist(v, bins=bins, density=True, histtype="step", linewidth=1.5, label=label)
        ax.set_title(name)
    axes[0, 0].legend()
    fig.tight_layout()
    atomic_save_figure(fig, path, dpi=90)
    plt.close(fig)


def format_report(result: dict) -> str:
    """Human table of a :func:`verify_dataset` result."""

    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{100 * x:.1f}%"

    def num(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.4f}"

    lines = [
        f"circuits                      {result['n']}",
        f"validity                      {pct(result['validity'])}",
        *(f"  - {check}" for check in result.get("validity_checks", [])),
        *([f"    ({result['aer_not_run']} not run)"] if result.get("aer_not_run") else []),
        "judged real (generated / held-out real circuits):",
        *_judge_lines(result.get("judges", {}), pct),
        f"structure MMD² generated      {num(result['structure_distance_generated'])}",
        f"structure MMD² random         {num(result['structure_distance_random'])}",
        f"structure MMD² real training  {num(result.get('structure_distance_train'))}",
        f"novelty                       {pct(result['novelty'])} "
        f"({result['exact_duplicates']} exact, {result['near_duplicates']} near duplicates)",
    ]
    for name, reason in list(result["failures"].items())[:10]:
        lines.append(f"  invalid {name}: {reason}")
    if len(result["failures"]) > 10:
        lines.append(f"  ... {len(result['failures']) - 10} more failures")
    if result.get("figure"):
        lines.append(f"figure: {result['figure']}")
    return "\n".join(lines)


def _judge_lines(judges: dict, pct) -> list[str]:  # noqa: ANN001
    lines = []
    forest = judges.get("random_forest")
    if forest:
        lines.append(
            f"  random forest               {pct(forest['judged_real_generated'])} / "
            f"{pct(forest['judged_real_held_out_real'])} "
            f"(real vs random test accuracy {pct(forest['accuracy_real_vs_random_test'])})"
        )
    sequence = judges.get("sequence")
    if sequence and sequence.get("skipped"):
        lines.append(f"  sequence judge              skipped: {sequence['reason']}")
    elif sequence:
        power = sequence.get("real_vs_random_accuracy")
        lines.append(
            f"  sequence judge              {pct(sequence['judged_real_generated'])} / "
            f"{pct(sequence['judged_real_held_out_real'])} (trained on real vs generated; "
            f"real vs random test accuracy {pct(power)})"
        )
    return lines


def dump(result: dict) -> str:
    """One-line JSON of a result."""
    return json.dumps(result)
