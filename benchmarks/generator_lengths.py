"""Token lengths of a generator corpus per qubit range, against context lengths.

Reads a corpus folder (``qneuro generators corpus``; built here with ``--max-qubits`` and
``--seeds`` when missing) and prints, per qubit range, the token-length distribution of
its real circuits with the current tokenizer (median, 95th percentile, max) and how many
exceed each context; also the circuits the corpus builder skipped at those sizes (over
``--max-gates``, or failed), and the lengths a more compact encoding would give:

- ``plain``: the tokenizer's encoding, ``g:{gate} [a:{angle}] q{i}...`` per statement;
- ``fused-angle`` (measured only, not implemented): gate and angle as one token
  (``g:rz(pi/2)``), one token less per parameterised gate;
- ``fused-1q`` (measured only): also a single-qubit gate and its qubit as one token
  (``h@q3``), one token less per single-qubit gate.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/generator_lengths.py \
        --corpus /tmp/c32 --max-qubits 32

``--json FILE`` also writes the table as JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from pathlib import Path

from qneuro.files import atomic_write_json
from qneuro.generators.corpus import Corpus, build_corpus
from qneuro.generators.tokenizer import GATES, MAX_QUBITS, Program, Tokenizer

#: Context lengths (tokens) each circuit is compared with.
CONTEXTS = (1024, 2048, 4096)
#: Qubit ranges of the table (inclusive).
RANGES = ((2, 8), (9, 16), (17, 24), (25, 32))
ENCODINGS = ("plain", "fused-angle", "fused-1q")


def lengths(program: Program, tokenizer: Tokenizer) -> dict[str, int]:
    """Sequence length (with ``<bos>``, size, family, ``<eos>``) under each encoding."""
    plain = len(tokenizer.encode_program(program))
    params = sum(GATES[st.gate][0] > 0 for st in program.statements)
    single = sum(len(st.qubits) == 1 for st in program.statements)
    return {"plain": plain, "fused-angle": plain - params, "fused-1q": plain - params - single}


def quantile(values: list[int], q: float) -> int:
    """Nearest-rank quantile (an element of ``values``)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def table(corpus: Path) -> list[dict]:
    """One row per qubit range: counts, quantiles and circuits over each context."""
    data = Corpus.load(corpus)
    tokenizer = Tokenizer((), MAX_QUBITS)
    measured = [(row, lengths(data.program(row), tokenizer)) for row in data.select("mqt.bench")]
    skipped_file = corpus / "skipped.jsonl"
    skipped = [json.loads(line) for line in skipped_file.read_text().splitlines() if line]
    rows = []
    for lo, hi in RANGES:
        here = [(r, n) for r, n in measured if lo <= r["qubits"] <= hi]
        row: dict = {"qubits": f"{lo}-{hi}", "circuits": len(here)}
        row["train"] = sum(r["split"] == "train" for r, _ in here)
        gone = [s for s in skipped if lo <= s["qubits"] <= hi]
        row["skipped_max_gates"] = sum("max_gates" in s["reason"] for s in gone)
        row["skipped_failed"] = len(gone) - row["skipped_max_gates"]
        for enc in ENCODINGS:
            values = [n[enc] for _, n in here]
            if not values:
                continue
            row[enc] = {
                "median": int(statistics.median(values)),
                "p95": quantile(values, 0.95),
                "max": max(values),
                **{f"over_{c}": sum(v > c for v in values) for c in CONTEXTS},
            }
        rows.append(row)
    return rows


def render(rows: list[dict]) -> str:
    """The table as Markdown."""
    head = ["qubits", "circuits", "skipped (gates / failed)", "encoding", "median", "p95", "max"]
    head += [f"> {c}" for c in CONTEXTS]
    lines = ["| " + " | ".join(head) + " |", "|" + " ---: |" * len(head)]
    for row in rows:
        for enc in ENCODINGS:
            if enc not in row:
                continue
            s = row[enc]
            first = enc == ENCODINGS[0]
            cells = [
                row["qubits"] if first else "",
                str(row["circuits"]) if first else "",
                f"{row['skipped_max_gates']} / {row['skipped_failed']}" if first else "",
                enc,
                str(s["median"]),
                str(s["p95"]),
                str(s["max"]),
                *(str(s[f"over_{c}"]) for c in CONTEXTS),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("/tmp/c32"))
    parser.add_argument("--max-qubits", type=int, default=32, help="when building (32)")
    parser.add_argument("--seeds", type=int, default=3, help="when building (3)")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args()
    if not (args.corpus / "manifest.jsonl").is_file():
        build_corpus(args.corpus, max_qubits=args.max_qubits, seeds=args.seeds, overwrite=True)
    rows = table(args.corpus)
    print(render(rows))
    if args.json is not None:
        atomic_write_json(args.json, {"corpus": str(args.corpus), "rows": rows})


if __name__ == "__main__":
    main()
