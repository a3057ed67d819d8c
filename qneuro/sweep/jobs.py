"""The job kinds a sweep runs, each through the same entry point as its single command.

=============  ==========================================  =============================
kind           entry point (the single command)            arguments
=============  ==========================================  =============================
``qas-train``  :func:`qneuro.rl.train` (``qas train``)     :class:`~qneuro.rl.TrainConfig`
                                                           fields but ``out``, ``resume``
``hlop-run``   :func:`qneuro.hlop.run_continual`           ``stream``, ``method`` and
               (``hlop run``)                              :class:`~qneuro.hlop.HLOPConfig`
                                                           fields
``sfq-xor``    :func:`qneuro.sfq.evaluate_xor`             ``trials``, ``seed``,
               (``sfq xor``)                               ``target`` and the keys of
                                                           ``XorSetting.to_dict()``
``vqe``        :func:`qneuro.vqe.run`                      ``problem``, ``layers``,
                                                           ``noise``, ``optimizer``,
                                                           ``budget``, ``seed``, ``shots``
=============  ==========================================  =============================

A job's ``check(args)`` refuses bad arguments before the sweep starts (the message names
the argument and what is allowed); ``run(args, folder)`` runs one trial in its folder and
returns its row (JSON values). ``qas-train`` keeps its run folder in ``folder/run`` and
resumes it from its last checkpoint when the trial runs again; the other kinds are short
and rerun from the start.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qneuro import checks


@dataclass(frozen=True)
class Summary:
    """One column of the per-group summary: ``how`` over the group's finished trials.

    ``how`` is ``rate`` (share of true values), ``mean``, ``median``, ``min`` or ``max``;
    None values (e.g. the time to solve of an unsolved run) are left out.
    """

    label: str
    column: str
    how: str


@dataclass(frozen=True)
class JobKind:
    """A kind of trial.

    Attributes:
        name: the ``kind`` of a sweep file.
        help: one line for ``qneuro sweep --help``.
        check: ``check(args)`` raises ValueError for bad arguments (its value is unused).
        run: ``run(args, folder) -> row``; ``folder`` exists and belongs to the trial.
        outputs: every key of the rows ``run`` returns (no grid axis may take one).
        columns: the outputs shown in the results table (in this order).
        score: the column that ranks trials ("best so far").
        lower_is_better: whether a smaller ``score`` is better.
        summary: columns of the per-group summary; the first two are plotted.
    """

    name: str
    help: str
    check: Callable[[dict], object]
    run: Callable[[dict, Path], dict]
    outputs: tuple[str, ...]
    columns: tuple[str, ...]
    score: str
    lower_is_better: bool
    summary: tuple[Summary, ...]


def _reserved(args: dict, names: tuple[str, ...], why: str) -> None:
    taken = sorted(set(names) & set(args))
    if taken:
        raise ValueError(f"arguments {taken} are set by the sweep ({why})")


# -- qas-train ---------------------------------------------------------------------------


def _qas_config(args: dict, folder: Path):
    from qneuro.rl.config import TrainConfig

    _reserved(args, ("out", "resume"), "each trial's run folder, resumed when it runs again")
    return TrainConfig.from_dict(
        {"progress": False, **args, "out": str(folder / "run"), "resume": True}
    )


def _qas_check(args: dict) -> None:
    _qas_config(args, Path("trial"))  # TrainConfig checks every field, the env ID included


def _qas_run(args: dict, folder: Path) -> dict:
    from qneuro.rl.trainer import train

    result = train(_qas_config(args, folder))
    first = result.first_solved or {}
    return {
        "solved": result.solved,
        "best_noiseless_error": result.best_noiseless_error,
        "best_error": result.best_error,
        "gates": result.gates,
        "cnots": result.cnots,
        "params": result.params,
        "depth": result.depth,
        "episodes": result.episodes,
        "timesteps": result.timesteps,
        "wall_s": result.wall_s,
        "episodes_to_solve": first.get("episode"),
        "timesteps_to_solve": first.get("timesteps"),
        "wall_s_to_solve": first.get("wall_s"),
        "qasm": result.qasm,
    }


# -- hlop-run ----------------------------------------------------------------------------


def _hlop_parts(args: dict):
    from qneuro.hlop.config import DEFAULT_TASKS, METHODS, STREAMS, HLOPConfig

    rest = dict(args)
    stream = checks.one_of("stream", rest.pop("stream", "permuted-digits"), STREAMS)
    method = checks.one_of("method", rest.pop("method", "hlop"), METHODS)
    rest.setdefault("n_tasks", DEFAULT_TASKS[stream])
    known = set(HLOPConfig.__dataclass_fields__)
    unknown = sorted(set(rest) - known)
    if unknown:
        raise ValueError(
            f"unknown hlop-run arguments {unknown}; allowed: stream, method and "
            f"HLOPConfig fields {sorted(known)}"
        )
    return stream, method, HLOPConfig(**rest)


def _hlop_run(args: dict, folder: Path) -> dict:
    from qneuro.hlop.methods import run_continual

    stream, method, config = _hlop_parts(args)
    result = run_continual(stream, method, config)
    data = result.to_dict()
    return {
        "acc": data["acc"],
        "bwt": data["bwt"],
        "wall_s": data["wall_s"],
        "accuracy_matrix": data["accuracy_matrix"],
    }


# -- sfq-xor -----------------------------------------------------------------------------

_SFQ_RUN_ARGS = ("trials", "seed", "target")
_SFQ_OUTPUTS = (
    "correct",
    "margin",
    "worst_case_margin",
    "lowest_trial_accuracy",
    "energy_per_inference_j",
    "wall_s",
)


def _sfq_parts(args: dict):
    from qneuro.sfq.xor import XorSetting

    rest = {k: v for k, v in args.items() if k not in _SFQ_RUN_ARGS}
    trials = checks.integer("trials", args.get("trials", 200), low=1, high=100_000)
    seed = checks.seed("seed", args.get("seed", 0))
    target = checks.one_of("target", args.get("target", "numpy"), ("numpy", "cython"))
    return XorSetting.from_dict(rest), trials, seed, target


def _sfq_run(args: dict, folder: Path) -> dict:
    from qneuro.sfq.xor import evaluate_xor

    setting, trials, seed, target = _sfq_parts(args)
    data = evaluate_xor(setting, trials=trials, seed=seed, target=target).to_dict()
    return {
        "correct": data["correct"],
        "margin": data["margin"],
        "worst_case_margin": data["worst_case_margin"],
        "lowest_trial_accuracy": min(row["trial_accuracy"] for row in data["truth_table"]),
        "energy_per_inference_j": data["energy_per_inference_j"],
        "wall_s": data["wall_s"],
    }


# -- vqe ---------------------------------------------------------------------------------

_VQE_DEFAULTS = {
    "problem": "H2-2q",
    "layers": 1,
    "noise": "ideal",
    "optimizer": "adam-spsa",
    "budget": 500,
    "seed": 0,
    "shots": None,
}


def _vqe_parts(args: dict) -> dict:
    from qneuro.chem import names
    from qneuro.noise import NoiseProfile
    from qneuro.optim import OPTIMIZERS

    unknown = sorted(set(args) - set(_VQE_DEFAULTS))
    if unknown:
        raise ValueError(f"unknown vqe arguments {unknown}; allowed: {sorted(_VQE_DEFAULTS)}")
    values = {**_VQE_DEFAULTS, **args}
    checks.one_of("problem", values["problem"], names())
    checks.integer("layers", values["layers"], low=1, high=100)
    checks.one_of("optimizer", values["optimizer"], OPTIMIZERS)
    checks.integer("budget", values["budget"], low=1, high=10**7)
    checks.seed("seed", values["seed"])
    checks.integer("shots", values["shots"], low=1, high=2**53, optional=True)
    NoiseProfile.preset(values["noise"])  # refuses an unknown preset, naming the allowed
    return values


def _vqe_run(args: dict, folder: Path) -> dict:
    from qneuro import chem, vqe

    values = _vqe_parts(args)
    problem = chem.load(values["problem"])
    ansatz = vqe.hardware_efficient_ansatz(problem.num_qubits, values["layers"])
    started = time.perf_counter()
    result = vqe.run(
        problem,
        ansatz,
        noise=values["noise"],
        shots=values["shots"],
        optimizer=values["optimizer"],
        budget=values["budget"],
        seed=values["seed"],
    )
    return {
        "energy": result.energy,
        "noiseless_energy": result.noiseless_energy,
        "error": result.error,
        "within_chemical_accuracy": abs(result.error) <= vqe.CHEMICAL_ACCURACY,
        "evaluations": result.optimization.nfev,
        "wall_s": time.perf_counter() - started,
    }


JOBS: dict[str, JobKind] = {
    job.name: job
    for job in (
        JobKind(
            "qas-train",
            "architecture-search training runs (qneuro qas train)",
            _qas_check,
            _qas_run,
            outputs=(
                "solved",
                "best_noiseless_error",
                "best_error",
                "gates",
                "cnots",
                "params",
                "depth",
                "episodes",
                "timesteps",
                "wall_s",
                "episodes_to_solve",
                "timesteps_to_solve",
                "wall_s_to_solve",
                "qasm",
            ),
            columns=(
                "solved",
                "best_noiseless_error",
                "gates",
                "cnots",
                "params",
                "episodes",
                "timesteps",
                "wall_s_to_solve",
                "wall_s",
            ),
            score="best_noiseless_error",
            lower_is_better=True,
            summary=(
                Summary("solved", "solved", "rate"),
                Summary("time to solve (s, median)", "wall_s_to_solve", "median"),
                Summary("best error (Ha)", "best_noiseless_error", "min"),
                Summary("gates (median)", "gates", "median"),
            ),
        ),
        JobKind(
            "hlop-run",
            "continual-learning runs of the spiking network (qneuro hlop run)",
            _hlop_parts,
            _hlop_run,
            outputs=("acc", "bwt", "wall_s", "accuracy_matrix"),
            columns=("acc", "bwt", "wall_s"),
            score="acc",
            lower_is_better=False,
            summary=(
                Summary("ACC (mean)", "acc", "mean"),
                Summary("BWT (mean)", "bwt", "mean"),
                Summary("ACC (min)", "acc", "min"),
            ),
        ),
        JobKind(
            "sfq-xor",
            "SFQ XOR truth tables at chosen bias currents (qneuro sfq xor)",
            _sfq_parts,
            _sfq_run,
            outputs=_SFQ_OUTPUTS,
            columns=_SFQ_OUTPUTS,
            score="worst_case_margin",
            lower_is_better=False,
            summary=(
                Summary("correct", "correct", "rate"),
                Summary("worst-case margin (mean)", "worst_case_margin", "mean"),
                Summary("margin (mean)", "margin", "mean"),
            ),
        ),
        JobKind(
            "vqe",
            "VQE runs of a hardware-efficient ansatz (qneuro.vqe.run)",
            _vqe_parts,
            _vqe_run,
            outputs=(
                "energy",
                "noiseless_energy",
                "error",
                "within_chemical_accuracy",
                "evaluations",
                "wall_s",
            ),
            columns=("error", "energy", "within_chemical_accuracy", "evaluations", "wall_s"),
            score="error",
            lower_is_better=True,
            summary=(
                Summary("within chemical accuracy", "within_chemical_accuracy", "rate"),
                Summary("error (Ha, median)", "error", "median"),
                Summary("error (Ha, min)", "error", "min"),
            ),
        ),
    )
}


def job(kind: str) -> JobKind:
    """The :class:`JobKind` named ``kind``; a ValueError names the allowed kinds."""
    if kind not in JOBS:
        raise ValueError(f"kind={kind!r}; allowed: {', '.join(JOBS)}")
    return JOBS[kind]
