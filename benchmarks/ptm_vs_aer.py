"""qneuro's PTM simulator against qiskit-aer on noisy hardware-efficient circuits.

What it measures, per number of qubits n (default 2, 4, 6, 8, 10):

* the circuit: 4 layers of RY and RZ on every qubit with a CX chain (0-1, 1-2, ...)
  between layers (8 rotations per qubit, 3 (n - 1) CX gates), every angle its own
  ``Parameter``;
* the noise: depolarizing(1e-3) followed by amplitude damping(2e-3) after every RY and
  RZ, two-qubit depolarizing(1e-2) after every CX, defined once as a qiskit-aer
  ``NoiseModel`` and converted for qneuro with ``NoiseProfile.from_noise_model``;
* the observable: a random Hermitian ``SparsePauliOp`` (32 drawn Pauli strings, real
  coefficients, fixed seed);
* median wall-clock times (``time.perf_counter``) of five ways to get exact expectation
  values: qneuro single evaluation (compiled once, compile time reported apart),
  qneuro batched (B parameter sets per call, time per set), Aer ``EstimatorV2`` one call
  per set, Aer ``EstimatorV2`` with one pub of B sets (time per set), and
  ``AerSimulator.run`` of the circuit with ``save_expectation_value`` (one set per call);
  Aer runs the ``density_matrix`` method with the same noise model;
* the speed-ups, PASS/FAIL against the targets (n <= 6: qneuro single >= 20x the fastest
  Aer single-call path and qneuro batched >= 10x Aer batched EstimatorV2 per set;
  n >= 8: qneuro >= 3x the fastest Aer path per parameter set), qneuro's effective
  GFLOP/s against the arithmetic floor (8 * 4**n flops per one-qubit gate, 32 * 4**n per
  two-qubit gate, counted on the original gates), fused blocks vs gates, and qneuro's
  peak memory at the largest n (tracemalloc and the process's maxrss).

Every value computed while timing is kept; the run aborts (exit code 1) unless all
methods agree to 1e-8 absolute on every parameter set they evaluated.

Run it from the repository root::

    .venv/bin/python benchmarks/ptm_vs_aer.py [--json] [--qubits 2,4,6] [--quick] [--threads 1]

``--json`` prints the same data as one JSON object on the last line. ``--quick`` is a
smoke run (fewer repeats, smaller batches). Both simulators use their default threading
(numpy's BLAS and Aer's OpenMP) unless ``--threads N`` pins both to N threads (the script
re-executes itself with ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` and
``MKL_NUM_THREADS`` set, and passes ``max_parallel_threads=N`` to Aer). With another busy
process on a 2-core machine, multi-threaded BLAS and OpenMP calls slow down many times:
use ``--threads 1`` there. The default run takes 1-3 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import qiskit
import qiskit_aer
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp, random_pauli_list
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel, amplitude_damping_error, depolarizing_error
from qiskit_aer.primitives import EstimatorV2

from qneuro.noise import NoiseProfile
from qneuro.ptm import PTMSimulator
from qneuro.vqe import hardware_efficient_ansatz

DEFAULT_QUBITS = (2, 4, 6, 8, 10)
LAYERS = 3  # entangling layers; rotation layers = LAYERS + 1
NUM_TERMS = 32
TOLERANCE = 1e-8
#: A first call faster than this is a warm-up and is not timed; slower ones are kept.
WARMUP_DISCARD_S = 0.5

P_DEPOL_1Q = 1e-3
GAMMA_AMP = 2e-3
P_DEPOL_2Q = 1e-2

#: Targets: (speed-up name, minimum) per size class.
TARGETS_SMALL = (("aer_single_over_qneuro_single", 20.0), ("aer_batch_over_qneuro_batch", 10.0))
TARGETS_LARGE = (("best_aer_over_best_qneuro", 3.0),)


@dataclass
class Timing:
    """Median time of one method at one size, and the values it produced.

    Attributes:
        median_s: median wall-clock time of one call, seconds.
        repeats: timed calls.
        per_call_sets: parameter sets evaluated per call (1 or the batch size).
        values: parameter-set index -> every value obtained for it.
    """

    median_s: float
    repeats: int
    per_call_sets: int
    values: dict[int, list[float]] = field(default_factory=dict)

    @property
    def per_set_ms(self) -> float:
        """Median time per parameter set, milliseconds."""
        return 1e3 * self.median_s / self.per_call_sets


def build_noise_model() -> NoiseModel:
    """The shared noise definition (qiskit-aer ``NoiseModel``)."""
    one_qubit = depolarizing_error(P_DEPOL_1Q, 1).compose(amplitude_damping_error(GAMMA_AMP))
    noise_model = NoiseModel()
    noise_model.add_all_qubit_quantum_error(one_qubit, ["ry", "rz"])
    noise_model.add_all_qubit_quantum_error(depolarizing_error(P_DEPOL_2Q, 2), ["cx"])
    return noise_model


def random_observable(num_qubits: int, seed: int) -> SparsePauliOp:
    """A random Hermitian Pauli sum with real coefficients (duplicates merged)."""
    rng = np.random.default_rng(seed)
    paulis = random_pauli_list(num_qubits, NUM_TERMS, seed=seed, phase=False)
    return SparsePauliOp(paulis, rng.normal(size=NUM_TERMS)).simplify()


def floor_flops(circuit: QuantumCircuit) -> int:
    """Arithmetic floor: 8 * 4**n per one-qubit gate, 32 * 4**n per two-qubit gate."""
    size = 4**circuit.num_qubits
    return sum((8 if len(inst.qubits) == 1 else 32) * size for inst in circuit.data)


def batch_size(num_qubits: int, quick: bool, override: int | None) -> int:
    """Parameter sets per batched call: 64, but 8 at n >= 10 (and at n >= 8 when quick)."""
    if override is not None:
        return override
    if num_qubits >= 10 or (quick and num_qubits >= 8):
        return 8
    return 64


def repeat_plan(num_qubits: int, quick: bool) -> tuple[int, float]:
    """``(max_repeats, time_budget_s)`` per method; at least 3 timed calls (1 if quick)."""
    if quick:
        return 5, 0.3
    return (50, 3.0) if num_qubits <= 8 else (7, 3.0)


def time_method(
    call: Callable[[int], dict[int, float]],
    per_call_sets: int,
    max_repeats: int,
    budget_s: float,
    min_repeats: int,
) -> Timing:
    """Median time of ``call(repeat_index)``, which returns ``{set_index: value}``.

    The first call is a warm-up (not timed) when it is faster than
    :data:`WARMUP_DISCARD_S`; slower first calls are dominated by the simulation and count.
    Repeats stop at ``max_repeats``, or once ``budget_s`` is spent and ``min_repeats``
    calls are timed.
    """
    timing = Timing(0.0, 0, per_call_sets)
    times: list[float] = []
    start = time.perf_counter()
    for repeat in range(max_repeats + 1):
        t0 = time.perf_counter()
        values = call(repeat)
        elapsed = time.perf_counter() - t0
        for index, value in values.items():
            timing.values.setdefault(index, []).append(float(value))
        if repeat > 0 or elapsed >= WARMUP_DISCARD_S:
            times.append(elapsed)
        if len(times) >= max_repeats:
            break
        if len(times) >= min_repeats and time.perf_counter() - start > budget_s:
            break
    timing.median_s = statistics.median(times)
    timing.repeats = len(times)
    return timing


def check_agreement(num_qubits: int, timings: dict[str, Timing]) -> float:
    """Largest spread of the values of one parameter set over all methods and calls.

    Raises:
        SystemExit: when the spread exceeds :data:`TOLERANCE`.
    """
    by_set: dict[int, list[tuple[str, float]]] = {}
    for name, timing in timings.items():
        for index, values in timing.values.items():
            by_set.setdefault(index, []).extend((name, v) for v in values)
    worst = 0.0
    for index, entries in sorted(by_set.items()):
        values = np.array([v for _, v in entries])
        spread = float(values.max() - values.min())
        worst = max(worst, spread)
        if not spread <= TOLERANCE:
            detail = ", ".join(f"{name}={value:.15g}" for name, value in entries)
            raise SystemExit(
                f"ABORT: n={num_qubits}, parameter set {index}: methods disagree by "
                f"{spread:.3g} > {TOLERANCE:g}: {detail}"
            )
    return worst


def maxrss_mib() -> float:
    """Peak resident memory of this process so far, MiB (Linux reports KiB)."""
    scale = 1.0 if sys.platform == "darwin" else 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def run_size(
    num_qubits: int,
    noise_model: NoiseModel,
    quick: bool,
    batch_override: int | None,
    track_memory: bool,
    threads: int | None = None,
) -> dict:
    """Time every method at ``num_qubits`` and check they agree.

    Returns:
        The JSON-ready record of this size.
    """
    circuit = hardware_efficient_ansatz(num_qubits, LAYERS)
    observable = random_observable(num_qubits, seed=1000 + num_qubits)
    batch = batch_size(num_qubits, quick, batch_override)
    rng = np.random.default_rng(num_qubits)
    # Columns follow circuit.parameters (qiskit's sorted order), as both simulators bind.
    thetas = rng.uniform(-np.pi, np.pi, size=(batch, circuit.num_parameters))
    max_repeats, budget = repeat_plan(num_qubits, quick)
    min_repeats = 1 if quick else 3
    record: dict = {"n": num_qubits, "batch": batch, "terms": len(observable)}

    # -- qneuro --------------------------------------------------------------------
    t0 = time.perf_counter()
    profile = NoiseProfile.from_noise_model(noise_model)
    record["profile_convert_ms"] = 1e3 * (time.perf_counter() - t0)
    compile_times = []
    for _ in range(3):  # a fresh simulator each time, so its compile cache is cold
        fresh = PTMSimulator(noise=profile)
        t0 = time.perf_counter()
        compiled = fresh.compile(circuit)
        compile_times.append(time.perf_counter() - t0)
    record["qneuro_compile_ms"] = 1e3 * statistics.median(compile_times)
    record["num_gates"] = compiled.num_gates
    record["num_blocks"] = compiled.num_blocks
    sim = PTMSimulator(noise=profile)
    compiled = sim.compile(circuit)

    def qneuro_single(repeat: int) -> dict[int, float]:
        i = repeat % batch
        return {i: sim.expectation(compiled, observable, thetas[i])}

    def qneuro_batch(repeat: int) -> dict[int, float]:
        return dict(enumerate(sim.expectation(compiled, observable, thetas)))

    timings: dict[str, Timing] = {}
    timings["qneuro_single"] = time_method(qneuro_single, 1, max_repeats, budget, min_repeats)
    timings["qneuro_batch"] = time_method(
        qneuro_batch, batch, max(3, max_repeats // 5), budget, min_repeats
    )
    if track_memory:
        record["memory"] = qneuro_memory(sim, compiled, observable, thetas)

    # -- qiskit-aer ----------------------------------------------------------------
    # EstimatorV2 passes backend_options to AerSimulator(**backend_options), so the noise
    # model goes there. default_precision 0.0 (also Aer's default) means no sampling
    # noise: the density-matrix expectation values are exact.
    backend_options = {"method": "density_matrix", "noise_model": noise_model}
    if threads is not None:
        backend_options["max_parallel_threads"] = threads
    estimator = EstimatorV2(options={"default_precision": 0.0, "backend_options": backend_options})
    backend = AerSimulator(**backend_options)
    # Aer runs ry, rz, cx natively, so neither path needs transpiling. For run() we save
    # the whole Pauli sum in one instruction and bind with parameter_binds (bound inside
    # Aer's C++ engine; as fast as assign_parameters in Python in a trial, and it needs no
    # circuit copy per call). EstimatorV2 binds the same way internally.
    saved = circuit.copy()
    saved.save_expectation_value(observable, range(num_qubits))
    parameters = list(circuit.parameters)

    def aer_estimator_single(repeat: int) -> dict[int, float]:
        i = repeat % batch
        result = estimator.run([(circuit, observable, thetas[i])]).result()
        return {i: float(result[0].data.evs)}

    def aer_estimator_batch(repeat: int) -> dict[int, float]:
        result = estimator.run([(circuit, observable, thetas)]).result()
        return dict(enumerate(np.asarray(result[0].data.evs, dtype=float)))

    def aer_run(repeat: int) -> dict[int, float]:
        i = repeat % batch
        binds = {p: [thetas[i, j]] for j, p in enumerate(parameters)}
        result = backend.run(saved, parameter_binds=[binds]).result()
        return {i: float(np.real(result.data(0)["expectation_value"]))}

    timings["aer_estimator_single"] = time_method(
        aer_estimator_single, 1, max_repeats, budget, min_repeats
    )
    timings["aer_estimator_batch"] = time_method(
        aer_estimator_batch, batch, max(3, max_repeats // 5), budget, min_repeats
    )
    timings["aer_run_single"] = time_method(aer_run, 1, max_repeats, budget, min_repeats)

    record["max_spread"] = check_agreement(num_qubits, timings)
    record["times_ms"] = {name: t.per_set_ms for name, t in timings.items()}
    record["repeats"] = {name: t.repeats for name, t in timings.items()}
    record.update(speedups(record["times_ms"]))
    flops = floor_flops(circuit)
    record["floor_gflop"] = flops / 1e9
    record["qneuro_single_gflops"] = flops / (1e-3 * record["times_ms"]["qneuro_single"]) / 1e9
    record["targets"] = judge(num_qubits, record)
    return record


def qneuro_memory(sim: PTMSimulator, compiled, observable: SparsePauliOp, thetas) -> dict:
    """Peak Python/numpy allocations of one single and one batched evaluation."""
    result = {}
    for label, values in (("single", thetas[0]), ("batch", thetas)):
        tracemalloc.start()
        sim.expectation(compiled, observable, values)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result[f"tracemalloc_peak_{label}_mib"] = peak / 2**20
    result["state_vector_mib"] = 8 * 4**compiled.num_qubits / 2**20
    result["maxrss_after_qneuro_mib"] = maxrss_mib()
    return result


def speedups(times: dict[str, float]) -> dict[str, float]:
    """The three ratios (Aer time / qneuro time, per parameter set)."""
    aer_single = min(times["aer_estimator_single"], times["aer_run_single"])
    aer_best = min(aer_single, times["aer_estimator_batch"])
    qneuro_best = min(times["qneuro_single"], times["qneuro_batch"])
    return {
        "aer_single_over_qneuro_single": aer_single / times["qneuro_single"],
        "aer_batch_over_qneuro_batch": times["aer_estimator_batch"] / times["qneuro_batch"],
        "best_aer_over_best_qneuro": aer_best / qneuro_best,
    }


def judge(num_qubits: int, record: dict) -> dict[str, bool]:
    """PASS (True) / FAIL (False) per target that applies at this size."""
    targets = TARGETS_SMALL if num_qubits <= 6 else TARGETS_LARGE
    return {f"{name}>={minimum:g}": record[name] >= minimum for name, minimum in targets}


def _print_header(head: str) -> None:
    print(head)
    print("-" * len(head))


def print_report(records: list[dict], config: dict) -> None:
    """Human-readable tables."""
    print(
        f"qneuro PTM vs qiskit-aer {config['qiskit_aer']} (density_matrix), qiskit "
        f"{config['qiskit']}, numpy {config['numpy']}, Python {config['python']}, "
        f"{config['cpus']} CPUs, load average at start {config['load_average']}, "
        f"thread env {config['thread_env']}"
    )
    print(
        f"noise: depol({P_DEPOL_1Q:g})+amp_damp({GAMMA_AMP:g}) after ry/rz, "
        f"depol2({P_DEPOL_2Q:g}) after cx; median times, ms per parameter set"
    )
    print()
    _print_header(
        f"{'n':>3} {'B':>3} {'terms':>5} {'compile':>8} {'qn 1':>9} {'qn B/set':>9} "
        f"{'aerEst 1':>9} {'aerEst B/set':>12} {'aerRun 1':>9}"
    )
    for r in records:
        t = r["times_ms"]
        print(
            f"{r['n']:>3} {r['batch']:>3} {r['terms']:>5} {r['qneuro_compile_ms']:>8.2f} "
            f"{t['qneuro_single']:>9.3f} {t['qneuro_batch']:>9.3f} "
            f"{t['aer_estimator_single']:>9.2f} {t['aer_estimator_batch']:>12.2f} "
            f"{t['aer_run_single']:>9.2f}"
        )
    print()
    _print_header(
        f"{'n':>3} {'aer1/qn1':>9} {'aerB/qnB':>9} {'best/best':>9} {'blocks/gates':>12} "
        f"{'floor GF':>9} {'qn1 GF/s':>9} {'spread':>8}  targets"
    )
    for r in records:
        verdicts = " ".join(
            f"{name}:{'PASS' if ok else 'FAIL'}" for name, ok in r["targets"].items()
        )
        print(
            f"{r['n']:>3} {r['aer_single_over_qneuro_single']:>9.1f} "
            f"{r['aer_batch_over_qneuro_batch']:>9.1f} {r['best_aer_over_best_qneuro']:>9.1f} "
            f"{r['num_blocks']:>5}/{r['num_gates']:<6} {r['floor_gflop']:>9.4f} "
            f"{r['qneuro_single_gflops']:>9.2f} {r['max_spread']:>8.1e}  {verdicts}"
        )
    print()
    print("repeats (timed calls):")
    for r in records:
        print(f"  n={r['n']}: " + ", ".join(f"{k}={v}" for k, v in r["repeats"].items()))
    for r in records:
        if "memory" in r:
            m = r["memory"]
            print(
                f"qneuro memory at n={r['n']}: tracemalloc peak "
                f"{m['tracemalloc_peak_single_mib']:.1f} MiB (single), "
                f"{m['tracemalloc_peak_batch_mib']:.1f} MiB (batch of {r['batch']}); "
                f"one Pauli vector {m['state_vector_mib']:.1f} MiB; process maxrss "
                f"{m['maxrss_after_qneuro_mib']:.0f} MiB after qneuro, "
                f"{config['maxrss_end_mib']:.0f} MiB at the end (includes Aer)"
            )
    print(
        "columns: qn = qneuro, aerEst = Aer EstimatorV2, aerRun = AerSimulator.run + "
        "save_expectation_value; 1 = one set per call, B/set = one call with B sets, per set;"
        " aer1 = fastest Aer single-call path; best = fastest per set; floor GF = "
        "8*4^n per 1q gate + 32*4^n per 2q gate; spread = max disagreement of all values"
    )
    print(f"targets: {'ALL PASS' if config['all_targets_pass'] else 'SOME FAIL'}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="also print one JSON object last")
    parser.add_argument(
        "--qubits",
        default=",".join(map(str, DEFAULT_QUBITS)),
        help="comma-separated sizes (default %(default)s)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: few repeats")
    parser.add_argument("--batch", type=int, default=None, help="override the batch size")
    parser.add_argument(
        "--threads", type=int, default=None, help="pin BLAS and Aer to this many threads"
    )
    args = parser.parse_args(argv)
    try:
        args.qubits = sorted({int(q) for q in args.qubits.split(",") if q.strip()})
    except ValueError:
        parser.error(f"--qubits {args.qubits!r}: expected integers such as 2,4,6")
    if not args.qubits or min(args.qubits) < 1:
        parser.error("--qubits needs positive sizes")
    for option in ("batch", "threads"):
        if getattr(args, option) is not None and getattr(args, option) < 1:
            parser.error(f"--{option} must be positive")
    return args


_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def pin_threads(threads: int) -> None:
    """Re-execute this script with the thread variables set, unless they already are.

    BLAS libraries read them only when loaded, which has happened by now.
    """
    if all(os.environ.get(name) == str(threads) for name in _THREAD_VARIABLES):
        return
    env = dict(os.environ, **{name: str(threads) for name in _THREAD_VARIABLES})
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, *sys.argv], env)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the exit code (1 when the methods disagree)."""
    args = parse_args(argv)
    if args.threads is not None and argv is None:
        pin_threads(args.threads)
    config = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "qiskit": qiskit.__version__,
        "qiskit_aer": qiskit_aer.__version__,
        "cpus": os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 2),
        "threads": args.threads,
        "thread_env": {name: os.environ.get(name) for name in _THREAD_VARIABLES},
        "quick": args.quick,
        "qubits": args.qubits,
        "tolerance": TOLERANCE,
        "layers": LAYERS,
        "noise": {"depol_1q": P_DEPOL_1Q, "amp_damp": GAMMA_AMP, "depol_2q": P_DEPOL_2Q},
    }
    noise_model = build_noise_model()
    records = []
    wall = time.perf_counter()
    try:
        for n in args.qubits:
            records.append(
                run_size(
                    n,
                    noise_model,
                    args.quick,
                    args.batch,
                    track_memory=n == args.qubits[-1],
                    threads=args.threads,
                )
            )
            print(f"[n={n} done, {time.perf_counter() - wall:.0f} s]", file=sys.stderr, flush=True)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 1
    config["wall_s"] = round(time.perf_counter() - wall, 1)
    config["maxrss_end_mib"] = maxrss_mib()
    config["all_targets_pass"] = all(ok for r in records for ok in r["targets"].values())
    print_report(records, config)
    if args.json:
        print(json.dumps({"config": config, "results": records}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
