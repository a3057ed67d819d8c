"""Evaluations and wall time for VQE optimisers to reach chemical accuracy.

For each bundled problem up to LiH-4q, a fixed ansatz (the Hartree-Fock state, then
``hardware_efficient_ansatz(n, layers)``) is optimised by Adam-SPSA, SPSA, Rotosolve
and COBYLA,
noiselessly and under depolarizing noise (p1 = 0.001, p2 = 0.005), over several seeds
(start angles uniform in [0, 0.1)). A run reaches chemical accuracy at the first
evaluation after which the optimiser's best iterate (the one it would return if stopped
there) has a *noiseless* error below 1.6e-3 Ha, the CRLQAS criterion. Under depolarizing
noise the measured energy stays above the noiseless one; the criterion is unchanged.

    .venv/bin/python benchmarks/vqe_optimizers.py            # full table (a few minutes)
    .venv/bin/python benchmarks/vqe_optimizers.py --quick    # two problems, one seed
    .venv/bin/python benchmarks/vqe_optimizers.py --optimizers rotosolve   # one column
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np
from qiskit import QuantumCircuit

from qneuro import chem, vqe
from qneuro.optim import get_optimizer

#: Problem -> hardware-efficient layers of its fixed ansatz.
PROBLEMS = {"H2-2q": 1, "H2-3q": 1, "H2-4q": 3, "H2-4q-0.35A": 2, "LiH-4q": 3}
OPTIMIZERS = ("adam-spsa", "spsa", "rotosolve", "cobyla")
NOISE = {"noiseless": None, "depolarizing": "depolarizing-0.001-0.005"}


def ansatz(problem, layers: int) -> QuantumCircuit:
    circuit = QuantumCircuit(problem.num_qubits)
    for qubit, bit in enumerate(reversed(problem.hf_bitstring)):
        if bit == "1":
            circuit.x(qubit)
    return circuit.compose(vqe.hardware_efficient_ansatz(problem.num_qubits, layers))


class Timed:
    """The energy, with the wall time after every call recorded against the evaluations."""

    batched = True

    def __init__(self, energy: vqe.Energy):
        self.energy = energy
        self.nfev = [0]
        self.times = [time.perf_counter()]

    def __call__(self, theta, **kwargs):
        out = self.energy(theta, **kwargs)
        self.nfev.append(self.nfev[-1] + (1 if np.ndim(theta) == 1 else len(theta)))
        self.times.append(time.perf_counter())
        return out

    def seconds_at(self, nfev: int) -> float:
        return self.times[int(np.searchsorted(self.nfev, nfev))] - self.times[0]


def run(problem_name, layers, optimizer, noise, seed, budget):
    problem = chem.load(problem_name)
    energy = vqe.Energy(problem, ansatz(problem, layers), NOISE[noise])
    timed = Timed(energy)
    x0 = np.random.default_rng(seed).uniform(0, 0.1, energy.num_parameters)
    result = get_optimizer(optimizer).minimize(timed, x0, budget=budget, seed=seed)
    best = np.minimum.accumulate(result.history)
    chosen = [int(np.flatnonzero(result.history == b)[0]) for b in best]
    errors = energy.error(result.history_x[chosen])
    hit = np.flatnonzero(errors < vqe.CHEMICAL_ACCURACY)
    if hit.size == 0:
        return {"reached": False, "final_error": float(errors[-1]), "nfev": result.nfev}
    nfev = int(result.history_nfev[hit[0]])
    return {
        "reached": True,
        "nfev": nfev,
        "seconds": timed.seconds_at(nfev),
        "final_error": float(errors[-1]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budget", type=int, default=6000)
    parser.add_argument("--quick", action="store_true", help="H2-2q and H2-3q, one seed")
    parser.add_argument(
        "--optimizers", default=",".join(OPTIMIZERS), help="comma-separated columns (default: all)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()
    optimizers = [o for o in args.optimizers.split(",") if o]
    unknown = sorted(set(optimizers) - set(OPTIMIZERS))
    if unknown:
        parser.error(f"unknown optimizers {unknown}; allowed: {', '.join(OPTIMIZERS)}")
    problems = {k: PROBLEMS[k] for k in ("H2-2q", "H2-3q")} if args.quick else PROBLEMS
    seeds = 1 if args.quick else args.seeds
    print(
        f"# {platform.processor() or platform.machine()}, budget {args.budget}, "
        f"{seeds} seeds; evaluations / seconds to noiseless error < 1.6e-3 Ha: "
        "median over seeds (reached/seeds)"
    )
    print("| problem | layers | params | noise | " + " | ".join(optimizers) + " |")
    print("|---|---|---|---|" + "---|" * len(optimizers))
    rows = []
    for name, layers in problems.items():
        params = 2 * chem.load(name).num_qubits * (layers + 1)
        for noise in NOISE:
            cells = []
            for optimizer in optimizers:
                runs = [run(name, layers, optimizer, noise, s, args.budget) for s in range(seeds)]
                reached = [r for r in runs if r["reached"]]
                rows.append({"problem": name, "noise": noise, "optimizer": optimizer, "runs": runs})
                if reached:
                    nfev = np.median([r["nfev"] for r in reached])
                    secs = np.median([r["seconds"] for r in reached])
                    cells.append(f"{nfev:.0f} / {secs:.2f} s ({len(reached)}/{seeds})")
                else:
                    best = min(r["final_error"] for r in runs)
                    cells.append(f"not reached (best {best:.1e}) (0/{seeds})")
            print(
                f"| {name} | {layers} | {params} | {noise} | " + " | ".join(cells) + " |",
                flush=True,
            )
    if args.json:
        print(json.dumps({"budget": args.budget, "seeds": seeds, "rows": rows}))


if __name__ == "__main__":
    main()
