r"""What the inner optimiser leaves behind: LiH-6q episodes replayed with and without polish.

The architecture-search environment re-optimises every angle after each gate. With
Rotosolve at 100 evaluations per step (one sweep per gate, the setting of the LiH-6q
training runs) the angles of a long circuit stay far from their optimum: coordinate steps
crawl along narrow curved valleys. This replays the gate sequences of the best circuits
of those runs (kept in ``benchmarks/results/circuits/lih-6q-*.qasm``) in the environment,
the same gates in the same order, and prints per inner optimiser the error after the
last gate, the lowest error along the episode and the milliseconds per step:

* ``rotosolve``: one sweep per gate (``optimizer_budget=100``), as in the runs;
* ``rotosolve-polish``: one sweep, then up to 30 L-BFGS-B iterations on exact gradients
  (``optimizer_budget=3000, optimizer_options={"max_sweeps": 1, "polish": 30}``);
* ``rotosolve-200-sweeps``: the angles ``rotosolve`` left after the last gate, swept 200
  more times (``--sweeps``), for scale (not a per-step setting).

Under noise (``--env qneuro/QAS-LiH-4q-mumbai-median-v0`` with the best circuits of the
``max_gates=24`` runs, ``benchmarks/results/circuits/lih4q-mumbai-median-g24-*.qasm``) the
errors are the measured ones and a last column gives the noiseless error.

Run from the repository root::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/qas_polish.py [--json]
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/qas_polish.py --env \
        qneuro/QAS-LiH-4q-mumbai-median-v0 benchmarks/results/circuits/lih4q-*.qasm
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
from qiskit import QuantumCircuit

import qneuro.envs  # noqa: F401  (registers the environments)
from qneuro.envs.actions import Gate
from qneuro.optim import Rotosolve
from qneuro.vqe import CHEMICAL_ACCURACY, Energy, parameterised

CIRCUITS = sorted(
    str(path) for path in (Path(__file__).parent / "results/circuits").glob("lih-6q-*.qasm")
)

SETTINGS = {
    "rotosolve": {"optimizer": "rotosolve", "optimizer_budget": 100},
    "rotosolve-polish": {
        "optimizer": "rotosolve",
        "optimizer_budget": 3000,
        "optimizer_options": {"max_sweeps": 1, "polish": 30},
    },
}


def gate_sequence(path: str) -> list[Gate]:
    """The searched gates of a QASM file (the Hartree-Fock X gates left out)."""
    circuit = QuantumCircuit.from_qasm_file(path)
    gates = []
    for instruction in circuit.data:
        name = instruction.operation.name
        if name == "x":
            continue
        gates.append(Gate(name, tuple(circuit.find_bit(q).index for q in instruction.qubits)))
    return gates


def replay(gates: list[Gate], env_id: str, env_kwargs: dict) -> dict:
    """Step the environment through ``gates``; errors and time per step."""
    env = gym.make(env_id, max_gates=len(gates), disable_env_checker=True, **env_kwargs).unwrapped
    env.reset(seed=0, options={"threshold": 1e-12})  # no early success: every gate is played
    errors, noiseless = [], []
    start = time.perf_counter()
    for gate in gates:
        _, _, _, _, info = env.step(env.actions.index(gate))
        errors.append(abs(info["error"]))
        noiseless.append(abs(info["noiseless_error"]))
    elapsed = time.perf_counter() - start
    return {
        "final_error": errors[-1],
        "lowest_error": min(errors),
        "final_noiseless_error": noiseless[-1],
        "lowest_noiseless_error": min(noiseless),
        "ms_per_step": 1000 * elapsed / len(gates),
        "circuit": info["circuit"],
        "env": env,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("circuits", nargs="*", default=CIRCUITS, help="OpenQASM 2 files")
    parser.add_argument("--env", default="qneuro/QAS-LiH-6q-v0", help="environment ID")
    parser.add_argument("--sweeps", type=int, default=200, help="sweeps of the scale column")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args(argv)
    print(f"{platform.machine()}, one thread; {args.env}; errors in Ha")
    print(
        "| circuit | gates | setting | error after the last gate | lowest along the episode | "
        "noiseless error after the last gate | ms/step | at chemical accuracy |"
    )
    print("|---|---|---|---|---|---|---|---|")
    rows = []
    for path in args.circuits:
        gates = gate_sequence(path)
        for setting, env_kwargs in SETTINGS.items():
            result = replay(gates, args.env, env_kwargs)
            final_circuit, env = result.pop("circuit"), result.pop("env")
            rows.append(
                {"circuit": Path(path).name, "gates": len(gates), "setting": setting, **result}
            )
            if setting == "rotosolve":
                ansatz, angles = parameterised(final_circuit)
                energy = Energy(env.problem, ansatz, env.noise)
                swept = Rotosolve(max_sweeps=args.sweeps).minimize(
                    energy, angles, budget=3 * args.sweeps * angles.size + 1
                )
                error = abs(swept.fun - env.reference)
                noiseless = abs(float(energy.noiseless(swept.x)) - env.reference)
                rows.append(
                    {
                        "circuit": Path(path).name,
                        "gates": len(gates),
                        "setting": f"rotosolve-{args.sweeps}-sweeps",
                        "final_error": error,
                        "lowest_error": error,
                        "final_noiseless_error": noiseless,
                        "lowest_noiseless_error": noiseless,
                        "ms_per_step": None,
                    }
                )
        for row in rows[-3:]:
            ms = "" if row["ms_per_step"] is None else f"{row['ms_per_step']:.1f}"
            solved = "yes" if row["lowest_noiseless_error"] < CHEMICAL_ACCURACY else "no"
            print(
                f"| {row['circuit']} | {row['gates']} | {row['setting']} | "
                f"{row['final_error']:.2e} | {row['lowest_error']:.2e} | "
                f"{row['final_noiseless_error']:.2e} | {ms} | {solved} |",
                flush=True,
            )
    by_setting = {s: [r for r in rows if r["setting"] == s] for s in SETTINGS}
    ratio = np.mean(
        [
            p["ms_per_step"] / r["ms_per_step"]
            for r, p in zip(by_setting["rotosolve"], by_setting["rotosolve-polish"], strict=True)
        ]
    )
    print(f"polish / one sweep, time per step: {ratio:.1f}x (mean over the circuits)")
    if args.json:
        print(json.dumps({"rows": rows, "polish_time_ratio": ratio}))


if __name__ == "__main__":
    main()
