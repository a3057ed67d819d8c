"""``qneuro qas train`` and ``qneuro qas eval`` (wired into ``qneuro`` by the main CLI)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from qneuro import checks, files
from qneuro.commands import output_options

from .config import ALGOS, TrainConfig

#: Keys every ``--json`` line of ``qas train`` and ``qas eval`` carries.
JSON_KEYS = (
    "solved",
    "best_error",
    "best_noiseless_error",
    "episodes",
    "timesteps",
    "wall_s",
    "gates",
    "cnots",
    "params",
    "depth",
    "qasm",
)


def add_commands(commands) -> None:
    """Register the ``qas`` command group on the top-level ``qneuro`` sub-parsers.

    Args:
        commands: the ``argparse`` sub-parsers object of ``qneuro``.
    """
    qas = commands.add_parser("qas", help="curriculum RL quantum architecture search")
    qas_commands = qas.add_subparsers(title="commands", metavar="COMMAND")

    train = qas_commands.add_parser(
        "train", help="train an agent on a registered environment (qneuro/QAS-...-v0)"
    )
    train.add_argument(
        "--env",
        default=None,
        help=f"environment ID (default {TrainConfig.env}; see qneuro.envs.env_ids)",
    )
    train.add_argument("--algo", default=None, help=f"one of {', '.join(ALGOS)} (default dqn)")
    train.add_argument(
        "--timesteps",
        type=int,
        default=None,
        help=f"total environment steps (default {TrainConfig.timesteps})",
    )
    train.add_argument("--seed", type=int, default=None, help="seed (default 0)")
    train.add_argument(
        "--out", type=Path, default=None, help=f"run folder (default {TrainConfig.out})"
    )
    train.add_argument(
        "--resume", action="store_true", help="continue the run in --out from its last checkpoint"
    )
    train.add_argument("--n-envs", type=int, default=None, help="parallel environments (1)")
    train.add_argument(
        "--env-kwargs",
        default=None,
        help="JSON environment overrides, e.g. '{\"optimizer_budget\": 60}'",
    )
    train.add_argument(
        "--config", default=None, help="JSON TrainConfig fields, e.g. '{\"net_arch\": [64]}'"
    )
    train.add_argument(
        "--stop-when-solved",
        action="store_true",
        help="stop at the first circuit within chemical accuracy (noiseless)",
    )
    output_options(train)
    train.set_defaults(run=_train)

    evaluate = qas_commands.add_parser(
        "eval", help="replay a trained agent greedily and report its circuit"
    )
    evaluate.add_argument("run_dir", type=Path, help="a run folder written by qas train")
    evaluate.add_argument("--episodes", type=int, default=1, help="greedy episodes (1)")
    evaluate.add_argument(
        "--seed",
        type=int,
        default=None,
        help="environment seed, 0 to 2**32 - 1 (default: the run's)",
    )
    output_options(evaluate)
    evaluate.set_defaults(run=_eval)


def config_from_args(args) -> TrainConfig:
    """The :class:`TrainConfig` a ``qas train`` command line asks for."""
    data: dict = {}
    if args.config:
        data.update(checks.parse_json_object(args.config, "--config"))
    if args.resume and args.out is not None:
        saved = files.inside(args.out, "config.json", what="run configuration")
        if saved.is_file():
            data = {**TrainConfig.load(saved).to_dict(), **data}
    for field, value in (
        ("env", args.env),
        ("algo", args.algo),
        ("timesteps", args.timesteps),
        ("seed", args.seed),
        ("n_envs", args.n_envs),
    ):
        if value is not None:
            data[field] = value
    if args.out is not None:
        data["out"] = str(args.out)
    if args.env_kwargs is not None:
        data["env_kwargs"] = checks.parse_json_object(args.env_kwargs, "--env-kwargs")
    data["resume"] = bool(args.resume)
    if args.stop_when_solved:
        data["stop_when_solved"] = True
    data["progress"] = not getattr(args, "quiet", False)
    return TrainConfig.from_dict(data)


def _train(args) -> None:
    from .trainer import train

    config = config_from_args(args)
    result = train(config).to_json()
    _print_circuit("training", result, result.get("first_solved"))
    if getattr(args, "json", False):
        print(json.dumps(_json_line(result)))


def _eval(args) -> None:
    from .evaluation import evaluate

    report = evaluate(args.run_dir, episodes=args.episodes, seed=args.seed)
    print(report["drawing"])
    _print_circuit("greedy replay", report, None)
    if getattr(args, "json", False):
        print(json.dumps(_json_line({k: v for k, v in report.items() if k != "drawing"})))


def _print_circuit(what: str, result: dict, first_solved: dict | None) -> None:
    if result.get("best_noiseless_error") is None:
        print(f"{what}: no episode finished ({result['timesteps']} steps)")
        return
    verdict = "within" if result["solved"] else "NOT within"
    trained = f"{result['episodes']} episodes, {result['timesteps']} steps"
    if what == "training":
        print(f"training: {result['env']} ({result['algo']}), {trained}, {result['wall_s']:.1f} s")
    else:
        print(
            f"{what} ({result['wall_s']:.1f} s) of the {result['algo']} agent trained on "
            f"{result['env']} for {trained}"
        )
    print(
        f"best circuit: {result['gates']} gates ({result['cnots']} CNOTs, {result['params']} "
        f"parameters, depth {result['depth']}), error {result['best_error']:.2e} Ha, "
        f"noiseless {result['best_noiseless_error']:.2e} Ha: {verdict} chemical accuracy"
    )
    if first_solved:
        print(
            f"first at chemical accuracy: episode {first_solved['episode']}, "
            f"{first_solved['wall_s']:.1f} s"
        )
    if result.get("run_dir"):
        print(f"run folder: {result['run_dir']}")


def _json_line(result: dict) -> dict:
    missing = [k for k in JSON_KEYS if k not in result]
    if missing:
        raise RuntimeError(f"result lacks {missing}")  # a bug, not bad input
    return result


def demo_step(progress: bool, echo) -> dict:
    """Train a short masked-DQN run on QAS-H2-2q and show the circuit it found (< 45 s).

    Args:
        progress: show a progress bar.
        echo: ``echo(str)`` prints a line.

    Returns:
        ``solved``, ``noiseless_error``, ``gates``, ``cnots``, ``params``, ``episodes``,
        ``timesteps``, ``first_solved_episode``, ``wall_s``.
    """
    import tempfile

    from .trainer import train

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="qneuro-qas-demo-") as folder:
        result = train(
            TrainConfig(
                env="qneuro/QAS-H2-2q-v0",
                timesteps=600,
                seed=1,
                out=str(Path(folder) / "run"),
                env_kwargs={"optimizer_budget": 60},
                net_arch=(64, 64),
                learning_starts=200,
                eval_every=25,
                checkpoint_every=0,
                save_replay_buffer=False,
                progress=progress,
            )
        )
    from qiskit import qasm2

    circuit = qasm2.loads(result.qasm) if result.qasm else None
    echo(f"QAS on H2 (2 qubits): {result.episodes} episodes, {result.timesteps} steps")
    if circuit is not None:
        for line in str(circuit.draw("text", fold=-1)).splitlines():
            echo("  " + line)
    if result.best_noiseless_error is not None:
        echo(
            f"found circuit: {result.gates} gates ({result.cnots} CNOT, {result.params} "
            f"parameters), error {result.best_noiseless_error:.1e} Ha "
            f"({'within' if result.solved else 'not within'} chemical accuracy)"
        )
    first = result.first_solved or {}
    return {
        "solved": result.solved,
        "noiseless_error": result.best_noiseless_error,
        "gates": result.gates,
        "cnots": result.cnots,
        "params": result.params,
        "episodes": result.episodes,
        "timesteps": result.timesteps,
        "first_solved_episode": first.get("episode"),
        "wall_s": round(time.perf_counter() - started, 2),
    }
