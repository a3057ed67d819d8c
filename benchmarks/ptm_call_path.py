"""Cost of passing a QuantumCircuit instead of its compiled form to ``expectation``.

``PTMSimulator.expectation(circuit, ...)`` with a ``QuantumCircuit`` finds its compiled
form in a cache and checks that the circuit's instructions are unchanged (an exact
comparison with a snapshot taken at compile time). This times single evaluations of the
circuits of ``benchmarks/ptm_vs_aer.py`` both ways, noisy (that benchmark's channels)
and ideal. Each pair times 10 calls one way right after 10 calls the other way (the
order alternates); the overhead is the median of the pairs' ratios minus 1, with its
quartiles. The same pairing of the compiled call with itself gives the noise floor:

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/ptm_call_path.py [--qubits 2,4,6,8]
"""

from __future__ import annotations

import argparse
import statistics
import time
from functools import partial

import numpy as np
from ptm_vs_aer import LAYERS, build_noise_model, random_observable

from qneuro.noise import NoiseProfile
from qneuro.ptm import PTMSimulator
from qneuro.vqe import hardware_efficient_ansatz


def paired_ratios(fast, slow, pairs: int = 200, repeats: int = 10) -> tuple[list, float, float]:
    """Ratios ``time(slow) / time(fast)`` and the median milliseconds per call of each.

    One ratio per pair: ``repeats`` calls of one, then of the other (the order alternates).
    """
    ratios, fast_ms, slow_ms = [], [], []
    for pair in range(pairs):
        seconds = {}
        for label, call in (("fast", fast), ("slow", slow))[:: 1 if pair % 2 else -1]:
            start = time.perf_counter()
            for _ in range(repeats):
                call()
            seconds[label] = time.perf_counter() - start
        ratios.append(seconds["slow"] / seconds["fast"])
        fast_ms.append(1e3 * seconds["fast"] / repeats)
        slow_ms.append(1e3 * seconds["slow"] / repeats)
    return ratios, statistics.median(fast_ms), statistics.median(slow_ms)


def overhead(ratios: list) -> str:
    """``median [lower quartile, upper quartile]`` of ``ratio - 1``, in percent."""
    low, median, high = (100 * (q - 1) for q in statistics.quantiles(ratios, n=4))
    return f"{median:+.1f}% [{low:+.1f}, {high:+.1f}]"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qubits", default="2,4,6,8")
    parser.add_argument("--pairs", type=int, default=200, help="pairs per size (default 200)")
    args = parser.parse_args(argv)
    if args.pairs < 2:
        parser.error(f"--pairs {args.pairs}: allowed: 2 or more (quartiles need two ratios)")
    print(
        "| noise | n | instructions | compiled (ms) | QuantumCircuit (ms) "
        "| overhead [quartiles] | noise floor [quartiles] |"
    )
    print("|---|---|---|---|---|---|---|")
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
            fast = partial(simulator.expectation, compiled, observable, theta)
            slow = partial(simulator.expectation, circuit, observable, theta)
            ratios, fast_ms, slow_ms = paired_ratios(fast, slow, args.pairs)
            null, _, _ = paired_ratios(fast, partial(fast), args.pairs)
            print(
                f"| {label} | {n} | {len(circuit.data)} | {fast_ms:.4f} | "
                f"{slow_ms:.4f} | {overhead(ratios)} | "
                f"{overhead(null)} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
