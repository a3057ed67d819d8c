"""Cost of passing a QuantumCircuit instead of its compiled form to ``expectation``.

``PTMSimulator.expectation(circuit, ...)`` with a ``QuantumCircuit`` finds its compiled
form in a cache and checks that the circuit's instructions are unchanged (an exact
comparison with a snapshot taken at compile time). This times single evaluations of the
circuits of ``benchmarks/ptm_vs_aer.py`` both ways, noisy (that benchmark's channels)
and ideal, and prints the overhead (the fastest of 9 alternating rounds of 200 calls each):

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/ptm_call_path.py [--qubits 2,4,6,8]
"""

from __future__ import annotations

import argparse
import time
from functools import partial

import numpy as np
from ptm_vs_aer import LAYERS, build_noise_model, random_observable

from qneuro.noise import NoiseProfile
from qneuro.ptm import PTMSimulator
from qneuro.vqe import hardware_efficient_ansatz


def per_call_ms(calls: list, repeats: int = 200, rounds: int = 9) -> list[float]:
    """Milliseconds per call of each zero-argument function, the fastest round's.

    The functions take turns round by round, so a change of load hits them alike.
    """
    best = [np.inf] * len(calls)
    for _ in range(rounds):
        for i, call in enumerate(calls):
            start = time.perf_counter()
            for _ in range(repeats):
                call()
            best[i] = min(best[i], (time.perf_counter() - start) / repeats)
    return [1e3 * b for b in best]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qubits", default="2,4,6,8")
    args = parser.parse_args(argv)
    print("| noise | n | instructions | compiled (ms) | QuantumCircuit (ms) | overhead |")
    print("|---|---|---|---|---|---|")
    for label, noise in (
        ("noisy", NoiseProfile.from_noise_model(build_noise_model())),
        ("ideal", None),
    ):
        for n in (int(q) for q in args.qubits.split(",")):
            circuit = hardware_efficient_ansatz(n, LAYERS)
            observable = random_observable(n, seed=1000 + n)
            simulator = PTMSimulator(noise=noise)
            compiled = simulator.compile(circuit)
            theta = np.random.default_rng(n).uniform(-np.pi, np.pi, circuit.num_parameters)
            fast, slow = per_call_ms(
                [
                    partial(simulator.expectation, compiled, observable, theta),
                    partial(simulator.expectation, circuit, observable, theta),
                ]
            )
            print(
                f"| {label} | {n} | {len(circuit.data)} | {fast:.4f} | {slow:.4f} | "
                f"{slow / fast - 1:+.0%} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
