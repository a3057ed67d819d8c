"""Where noise moves the optimum: noiseless error of angles optimised under noise.

Chemical accuracy under noise is judged, as in CRLQAS, by the *noiseless* error of the
angles the search found by minimising the *noisy* energy. For circuits that reach
chemical accuracy without noise (by default the first circuits of the three LiH-4q
training runs, kept in ``benchmarks/results/circuits``), this re-optimises every angle
under each noise setting with exact Rotosolve, starting from the noiseless optimum (the
angles given, Rotosolve-optimised without noise first; its error is a column), and
prints the measured (noisy) error and the noiseless error at the noisy optimum it
reaches (a local optimum near the noiseless one). A noiseless error above 1.6 mHa there
means the search, which minimises the noisy energy, leaves chemical accuracy on that
circuit. Gates are counted as the environment counts them (without the Hartree-Fock
X gates the QASM files start with).

``--mitigation zne`` optimises the error-mitigated energy instead (readout correction and
zero-noise extrapolation, :class:`qneuro.vqe.Energy`).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/qas_noisy_angles.py [--mitigation zne] \
        [--json] [QASM ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from qiskit import QuantumCircuit

from qneuro.chem import load
from qneuro.optim import minimize
from qneuro.vqe import CHEMICAL_ACCURACY, Energy, parameterised

CIRCUITS = sorted(
    str(path) for path in (Path(__file__).parent / "results/circuits").glob("lih-4q-*.qasm")
)
NOISES = ("depolarizing-0.001-0.005", "mumbai-median")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("circuits", nargs="*", default=CIRCUITS, help="OpenQASM 2 files")
    parser.add_argument("--problem", default="LiH-4q")
    parser.add_argument("--budget", type=int, default=30_000, help="Rotosolve evaluations")
    parser.add_argument(
        "--mitigation",
        choices=("readout", "zne"),
        default=None,
        help="optimise the error-mitigated energy instead of the raw one (qneuro.vqe.Energy)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args(argv)
    problem = load(args.problem)
    print(
        "| circuit | gates | noiseless error (Ha) | noiseless optimum | noise | measured error "
        "at the noisy optimum | its noiseless error | at chemical accuracy |"
    )
    print("|---|---|---|---|---|---|---|---|")
    rows = []
    for path in args.circuits:
        circuit, angles = parameterised(QuantumCircuit.from_qasm_file(path))
        ideal = Energy(problem, circuit)
        start = ideal(angles) - problem.exact_energy
        best = minimize(ideal, angles, method="rotosolve", budget=args.budget)
        optimum = best.fun - problem.exact_energy
        for noise in NOISES:
            noisy = Energy(problem, circuit, noise=noise, mitigation=args.mitigation)
            result = minimize(noisy, best.x, method="rotosolve", budget=args.budget)
            noiseless = ideal(result.x) - problem.exact_energy
            names = [instruction.operation.name for instruction in circuit.data]
            preparation = next((i for i, name in enumerate(names) if name != "x"), len(names))
            row = {
                "circuit": Path(path).name,
                "gates": len(names) - preparation,
                "noiseless_error": start,
                "noiseless_optimum": optimum,
                "noise": noise,
                "mitigation": args.mitigation,
                "noisy_error": result.fun - problem.exact_energy,
                "noiseless_error_at_noisy_optimum": noiseless,
            }
            rows.append(row)
            print(
                f"| {row['circuit']} | {row['gates']} | {start:.2e} | {optimum:.2e} | {noise} | "
                f"{row['noisy_error']:.2e} | {noiseless:.2e} | "
                f"{'yes' if abs(noiseless) < CHEMICAL_ACCURACY else 'no'} |",
                flush=True,
            )
    if args.json:
        settings = {"problem": args.problem, "budget": args.budget, "mitigation": args.mitigation}
        print(json.dumps({**settings, "rows": rows}))


if __name__ == "__main__":
    main()
