"""Structure features of normalised programs, distances between circuit sets, near duplicates.

Everything here works on :class:`~qneuro.generators.tokenizer.Program` objects (no qiskit).

Features per circuit (SupermarQ-style ones after Tomesh et al., "SupermarQ", HPCA 2022):

- ``gates``: number of gate statements; ``depth``: ASAP layer count.
- ``two_qubit_share``: share of gates acting on 2 or more qubits (SupermarQ's
  entanglement ratio).
- ``gate_density``: gates / (qubits * depth).
- ``degree``: mean degree of the interaction graph (qubits joined when a gate acts on
  both), divided by ``qubits - 1``; this is SupermarQ's *communication*.
- ``liveness``: share of (qubit, layer) cells where the qubit is acted on.
- ``parallelism``: ``(gates / depth - 1) / (qubits - 1)`` (0 for one qubit).

:func:`structure_distance` is the documented set-to-set distance: for each scalar
feature, the 1-D Wasserstein-1 distance between the two samples divided by the
reference sample's standard deviation (floor 1e-9), plus the total-variation distance
between the pooled gate-type frequencies, all averaged with equal weight (0 = identical
distributions). With ``match_qubits=True`` the candidate circuits are weighted so that
their qubit-count histogram equals the reference's (candidates with a qubit count absent
from the reference get weight 0): the generator is conditioned on the qubit count, so
sets are compared like for like.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from qneuro.generators.tokenizer import GATES, Program

SCALAR_FEATURES = [
    "gates",
    "depth",
    "two_qubit_share",
    "gate_density",
    "degree",
    "liveness",
    "parallelism",
]


def circuit_features(program: Program) -> dict[str, float]:
    """Scalar structure features of one program (see module docstring)."""
    n = program.num_qubits
    level = [0] * n
    busy = 0
    two = 0
    edges: set[tuple[int, int]] = set()
    for st in program.statements:
        layer = max(level[q] for q in st.qubits) + 1
        for q in st.qubits:
            level[q] = layer
        busy += len(st.qubits)
        if len(st.qubits) >= 2:
            two += 1
            qs = sorted(st.qubits)
            for i, a in enumerate(qs):
                for b in qs[i + 1 :]:
                    edges.add((a, b))
    gates = len(program.statements)
    depth = max(level) if gates else 0
    degree = 2 * len(edges) / n if n else 0.0
    return {
        "qubits": float(n),
        "gates": float(gates),
        "depth": float(depth),
        "two_qubit_share": two / gates if gates else 0.0,
        "gate_density": gates / (n * depth) if depth else 0.0,
        "degree": degree / (n - 1) if n > 1 else 0.0,
        "liveness": busy / (n * depth) if depth else 0.0,
        "parallelism": (gates / depth - 1) / (n - 1) if depth and n > 1 else 0.0,
    }


def gate_histogram(
    programs: Iterable[Program], weights: Sequence[float] | None = None
) -> np.ndarray:
    """Pooled gate-type frequencies, ordered as :data:`GATES` (sums to 1, or zeros).

    ``weights`` (one per program, default 1) weight each program's gate counts.
    """
    programs = list(programs)
    weights = [1.0] * len(programs) if weights is None else list(weights)
    counts: Counter = Counter()
    for p, w in zip(programs, weights, strict=True):
        for st in p.statements:
            counts[st.gate] += w
    vec = np.array([counts.get(g, 0) for g in GATES], dtype=float)
    total = vec.sum()
    return vec / total if total else vec


def _wasserstein(a: np.ndarray, b: np.ndarray, wa: np.ndarray | None = None) -> float:
    from scipy.stats import wasserstein_distance

    return float(wasserstein_distance(a, b, u_weights=wa))


def qubit_matching_weights(
    candidate: Sequence[Program], reference: Sequence[Program]
) -> np.ndarray:
    """Weights making the candidates' qubit-count histogram equal the reference's."""
    ref = Counter(p.num_qubits for p in reference)
    cand = Counter(p.num_qubits for p in candidate)
    return np.array(
        [ref.get(p.num_qubits, 0) / cand[p.num_qubits] / len(reference) for p in candidate]
    )


def structure_distance(
    candidate: Sequence[Program], reference: Sequence[Program], match_qubits: bool = False
) -> tuple[float, dict[str, float]]:
    """Documented distance between a candidate set and a reference set of programs.

    Args:
        candidate: Programs to judge (e.g. generated ones), at least one.
        reference: Reference programs (e.g. the real test split), at least two.
        match_qubits: Weight candidates to the reference's qubit-count histogram.

    Returns:
        ``(distance, per_feature)``: the mean of the per-feature terms; ``per_feature``
        maps each scalar feature to its scaled Wasserstein-1 distance and ``gate_types``
        to the total-variation distance of gate-type frequencies.

    Raises:
        ValueError: If either set is too small.
    """
    if len(candidate) < 1 or len(reference) < 2:
        raise ValueError(
            f"need >= 1 candidate and >= 2 reference programs, got {len(candidate)} and "
            f"{len(reference)}"
        )
    weights = qubit_matching_weights(candidate, reference) if match_qubits else None
    if weights is not None and weights.sum() <= 0:
        raise ValueError("no candidate has a qubit count present in the reference")
    cand = [circuit_features(p) for p in candidate]
    ref = [circuit_features(p) for p in reference]
    terms: dict[str, float] = {}
    for name in SCALAR_FEATURES:
        a = np.array([f[name] for f in cand])
        b = np.array([f[name] for f in ref])
        terms[name] = _wasserstein(a, b, weights) / max(float(b.std()), 1e-9)
    terms["gate_types"] = 0.5 * float(
        np.abs(gate_histogram(candidate, weights) - gate_histogram(reference)).sum()
    )
    return float(np.mean(list(terms.values()))), terms


def shingles(program: Program, k: int = 4) -> frozenset[int]:
    """Hashed k-grams of consecutive gate statements (the near-duplicate fingerprint)."""
    lines = [f"{st.gate}({st.angle}){st.qubits}" for st in program.statements]
    if len(lines) < k:
        grams = ["|".join(lines)]
    else:
        grams = ["|".join(lines[i : i + k]) for i in range(len(lines) - k + 1)]
    return frozenset(
        int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little") for g in grams
    )


class NearDuplicateIndex:
    """Finds exact and near duplicates of programs among a reference set.

    Two programs are *exact* duplicates when their normalised texts are equal and *near*
    duplicates when they have the same qubit count and the Jaccard similarity of their
    statement 4-gram sets (:func:`shingles`) is at least ``threshold``.

    Args:
        programs: The reference programs (e.g. the training split).
        threshold: Jaccard threshold for a near duplicate, in (0, 1].
    """

    def __init__(self, programs: Iterable[Program], threshold: float = 0.9):
        if not 0 < threshold <= 1:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self.threshold = threshold
        self.exact: set[str] = set()
        self.by_qubits: dict[int, list[frozenset[int]]] = {}
        for p in programs:
            self.exact.add(p.to_qasm())
            self.by_qubits.setdefault(p.num_qubits, []).append(shingles(p))

    def match(self, program: Program) -> str | None:
        """``"exact"``, ``"near"`` or None (novel)."""
        if program.to_qasm() in self.exact:
            return "exact"
        s = shingles(program)
        for other in self.by_qubits.get(program.num_qubits, ()):
            # Jaccard >= t needs the smaller set to be >= t times the larger one.
            small, large = sorted((len(s), len(other)))
            if small < self.threshold * large:
                continue
            inter = len(s & other)
            if inter / (len(s) + len(other) - inter) >= self.threshold:
                return "near"
        return None
