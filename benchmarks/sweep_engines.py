"""Rotosolve's inner loop on each engine: exact sinusoids against evaluated points.

What it measures: for architecture-search circuits (random legal actions of the
environment on a bundled problem, the Hartree-Fock preparation included, noiseless), the
wall time of one Rotosolve call with the environment's budget (100 evaluations' worth,
warm start as in a step) at several circuit sizes, for four ways to get each angle's
sinusoid:

* ``ptm sweep``: cached Pauli vectors and the observable carried back through the gates
  (Heisenberg picture), O(gates) applications on ``4**n`` entries per sweep;
* ``statevector sweep``: cached statevectors, the gates after each angle re-run on two
  ``2**n`` amplitude vectors, O(gates**2) small applications;
* ``statevector evaluations`` and ``ptm evaluations``: three circuit evaluations per angle
  (batched) on each engine.

All four give the same angles and energies to rounding; the script checks the energies
agree to 1e-9 before reporting. The fastest sweep per size decides
``qneuro.ptm.sweep.STATEVECTOR_SWEEP_FROM_QUBITS``.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sweep_engines.py [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import gymnasium as gym
import numpy as np

import qneuro.envs  # noqa: F401  (registers the IDs)
from qneuro.optim import Rotosolve
from qneuro.vqe import Energy

PROBLEMS = ("H2-4q", "LiH-6q", "H2O-8q")
METHODS = ("ptm sweep", "statevector sweep", "statevector evaluations", "ptm evaluations")


class _Forced:
    """An energy whose sinusoids come from the named sweep engine."""

    batched = True

    def __init__(self, energy: Energy, engine: str) -> None:
        self.energy, self.engine = energy, engine

    def __call__(self, theta, **kwargs):
        return self.energy(theta, **kwargs)

    def coordinate_sweep(self, x, coordinates):
        return self.energy.coordinate_sweep(x, coordinates, engine=self.engine)


def random_circuit(problem: str, gates: int, seed: int):
    """The environment's program after ``gates`` random legal actions."""
    env = gym.make(f"qneuro/QAS-{problem}-v0").unwrapped
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    state = env._state
    while len(state.gates) < gates:
        mask = env.actions.legal_mask(state.last_gate_on)
        state.add(env.actions.gates[rng.choice(np.flatnonzero(mask))])
    return env.problem, state.program()


def time_method(problem, program, method: str, x0, budget: int, repeats: int):
    if method.endswith("evaluations"):
        energy = Energy(problem, program, engine=method.split()[0].replace("statevector", "auto"))
        objective, optimizer = energy, Rotosolve(incremental=False)
    else:
        energy = Energy(problem, program)
        objective, optimizer = _Forced(energy, method.split()[0]), Rotosolve(incremental=True)
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = optimizer.minimize(objective, x0.copy(), budget=budget)
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times)), result.fun


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gates", default="10,30,60", help="circuit sizes (searched gates)")
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; ms per Rotosolve call "
        f"(budget {args.budget}, median of {args.repeats})"
    )
    print("| problem | gates | angles | " + " | ".join(METHODS) + " | fastest |")
    print("|" + "---|" * (len(METHODS) + 4))
    rows = []
    for problem_name in PROBLEMS:
        for gates in (int(g) for g in args.gates.split(",")):
            problem, program = random_circuit(problem_name, gates, seed=gates)
            x0 = np.random.default_rng(0).uniform(0.0, 0.1, program.num_parameters)
            cells = {
                m: time_method(problem, program, m, x0, args.budget, args.repeats) for m in METHODS
            }
            values = [value for _, value in cells.values()]
            if max(values) - min(values) > 1e-9:
                raise SystemExit(f"methods disagree on {problem_name}, {gates} gates: {values}")
            fastest = min(cells, key=lambda m: cells[m][0])
            rows.append(
                {
                    "problem": problem_name,
                    "gates": gates,
                    "angles": program.num_parameters,
                    **{m: cells[m][0] for m in METHODS},
                }
            )
            print(
                f"| {problem_name} | {gates} | {program.num_parameters} | "
                + " | ".join(f"{cells[m][0]:.2f}" for m in METHODS)
                + f" | {fastest} |",
                flush=True,
            )
    if args.json:
        print(
            json.dumps(
                {
                    "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                    "budget": args.budget,
                    "rows": rows,
                }
            )
        )


if __name__ == "__main__":
    main()
