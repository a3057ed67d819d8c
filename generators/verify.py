"""Verification of a generated dataset: validity, realism, structure, novelty.

1. **Validity**: every ``.qasm`` file is read as untrusted text (a regular file in the
   folder below :data:`MAX_FILE_BYTES`; a symbolic link is reported as a failure and
   never followed), parsed by :func:`qneuro.qasm.parse_qasm` (only
   ``include "qelib1.inc";`` allowed, so no local file is ever read; legacy custom
   instructions so that files using ``cp``/``sx``/``swap`` from other writers parse too;
   finite angles), then run on Aer (one shot, measuring every qubit). Every failure keeps
   its reason, including parser errors other than ``QASM2ParseError`` (e.g. the plain
   ``TypeError`` of ``rz q[0];``).
2. **Realism**: a random-forest classifier (scikit-learn, 300 trees, seeded) on
   :func:`classifier_features` (gate-type shares, gate-pair shares of consecutive
   statements sharing a qubit, the scalar structure features, qubit distance of two-qubit
   gates, share of "round" angles) trained on the corpus's real vs random *train*
   circuits; its accuracy on the real + random *test* circuits is reported, and the share
   of valid generated circuits it judges real.
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
from qneuro.generators.corpus import SOURCES, Corpus, normalise_circuit
from qneuro.generators.features import (
    SCALAR_FEATURES,
    NearDuplicateIndex,
    circuit_features,
    feature_distances,
    structure_distance,
)
from qneuro.generators.tokenizer import GATES, Program, parse_normalised
from qneuro.qasm import QasmError, check_includes, parse_qasm

#: Largest generated ``.qasm`` file read (bytes); a larger one counts as invalid.
MAX_FILE_BYTES = 2_000_000
MAX_AER_QUBITS = 24


def check_validity(text: str, run_aer: bool = True, source: str = "<input>") -> dict:
    """Check one untrusted OpenQASM 2 text (includes and parsing by :mod:`qneuro.qasm`).

    Args:
        text: The program text.
        run_aer: Also execute it on Aer (one shot).
        source: A name for the reason (usually the file name).

    Returns:
        ``{"valid": bool, "stage": "include"|"parse"|"aer"|None, "reason": str|None,
        "circuit": QuantumCircuit|None}``.
    """
    try:
        check_includes(text, source)
    except QasmError as exc:
        return {"valid": False, "stage": "include", "reason": str(exc), "circuit": None}
    try:
        circuit = parse_qasm(text, source=source)
    except QasmError as exc:
        return {"valid": False, "stage": "parse", "reason": str(exc)[:300], "circuit": None}
    if run_aer:
        reason = _run_aer(circuit)
        if reason:
            return {"valid": False, "stage": "aer", "reason": reason, "circuit": circuit}
    return {"valid": True, "stage": None, "reason": None, "circuit": circuit}


def _run_aer(circuit) -> str | None:  # noqa: ANN001
    from qiskit import transpile

    if circuit.num_qubits > MAX_AER_QUBITS:
        return f"{circuit.num_qubits} qubits > {MAX_AER_QUBITS} (not simulated)"
    try:
        sim = _simulator()
        qc = circuit.copy()
        if qc.num_clbits == 0:
            qc.measure_all()
        result = sim.run(transpile(qc, sim), shots=1, seed_simulator=0).result()
        if not result.success:
            return f"Aer failed: {result.status}"
    except Exception as exc:  # noqa: BLE001
        return f"Aer {type(exc).__name__}: {' '.join(str(exc).split())}"[:300]
    return None


_SIM = None


def _simulator():  # noqa: ANN202
    global _SIM
    if _SIM is None:
        from qiskit_aer import AerSimulator

        _SIM = AerSimulator(method="statevector", max_parallel_threads=1)
    return _SIM


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
        seed: Seed of the classifier (0 <= seed < 2**32).
        progress: Show a tqdm bar.

    Returns:
        JSON-ready dict: ``n``, ``validity``, ``failures`` (file -> reason),
        ``classifier_accuracy``, ``judged_real``, ``structure_distance_generated``,
        ``structure_distance_random``, ``structure_distance_train``, ``structure_terms``
        (per-feature distances of each set), ``novelty``, ``exact_duplicates``,
        ``near_duplicates``, ``qubit_range``, ``reference_circuits``, ``figure``.

    Raises:
        FileNotFoundError: If ``folder`` has no ``.qasm`` file or the corpus is missing.
        ValueError: A bad seed or figure path (checked first), a ``generate`` folder of
            another level or format, or a malformed corpus lacking real or random
            circuits in its train or test split.
    """
    from sklearn.ensemble import RandomForestClassifier
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
        check = check_validity(text, run_aer=run_aer, source=path.name)
        if not check["valid"]:
            failures[path.name] = f"{check['stage']}: {check['reason']}"
            continue
        try:
            programs.append(_program_of(text, check["circuit"]))
        except Exception as exc:  # noqa: BLE001 - valid, but outside the gate set
            failures[path.name] = f"normalise: {type(exc).__name__}: {exc}"[:300]
    n = len(files)
    result: dict = {"n": n, "validity": len(programs) + 0.0, "failures": failures}
    result["validity"] = (n - len(failures)) / n
    # realism classifier
    real_train, rand_train, real_test, rand_test = (
        _reference_programs(corpus, source, split)
        for split in ("train", "test")
        for source in SOURCES
    )
    x_train = np.array([classifier_features(p) for p in real_train + rand_train])
    y_train = np.array([1] * len(real_train) + [0] * len(rand_train))
    x_test = np.array([classifier_features(p) for p in real_test + rand_test])
    y_test = np.array([1] * len(real_test) + [0] * len(rand_test))
    clf = RandomForestClassifier(n_estimators=300, random_state=seed, n_jobs=1)
    clf.fit(x_train, y_train)
    result["classifier_accuracy"] = float((clf.predict(x_test) == y_test).mean())
    result["classifier"] = "random forest (300 trees) on gate shares, gate pairs, structure"
    if programs:
        judged = clf.predict(np.array([classifier_features(p) for p in programs]))
        result["judged_real"] = float(judged.mean())
    else:
        result["judged_real"] = 0.0
    # structure
    lo = min((p.num_qubits for p in programs), default=1)
    hi = max((p.num_qubits for p in programs), default=32)
    ref = [p for p in real_test if lo <= p.num_qubits <= hi]
    rnd = [p for p in rand_test if lo <= p.num_qubits <= hi]
    if len(ref) < 10:
        ref, rnd = real_test, rand_test
    result["qubit_range"] = [lo, hi]
    result["reference_circuits"] = len(ref)
    train = [p for p in real_train if lo <= p.num_qubits <= hi] or real_train
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


def check_generate_settings(folder: Path) -> None:
    """Refuse a ``generate`` folder of a level other than ``indep`` or a format but ``qasm2``.

    Reads ``folder/generate.json`` when present (no symbolic link followed); a folder
    without it (any folder of ``.qasm`` files) passes. Raises ``ValueError``.
    """
    from qneuro.generators.dataset import SETTINGS_FILE

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
        f"validity (parse + Aer)        {pct(result['validity'])}",
        f"classifier accuracy (test)    {pct(result['classifier_accuracy'])}",
        f"judged real                   {pct(result['judged_real'])}",
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


def dump(result: dict) -> str:
    """One-line JSON of a result."""
    return json.dumps(result)
