"""``qneuro sweep run FILE``, ``qneuro sweep qas ...`` and ``qneuro sweep show DIR``.

``run`` runs a sweep file (:mod:`qneuro.sweep.spec`) on Ray; ``qas`` builds the common
architecture-search sweep from options (environments x seeds); ``show`` prints the
summary of a sweep folder (no Ray needed). ``--resume`` continues a stopped sweep.
"""

from __future__ import annotations

import sys
from pathlib import Path

from qneuro.commands import emit, output_options


def add_commands(commands) -> None:
    """Register the ``sweep`` command group on the top-level ``qneuro`` sub-parsers."""
    from .jobs import JOBS

    sweep = commands.add_parser(
        "sweep",
        help="run a grid of jobs (architecture search, HLOP, SFQ, VQE) on Ray",
        description="Job kinds: " + "; ".join(f"{k}: {j.help}" for k, j in JOBS.items()),
    )
    sub = sweep.add_subparsers(title="commands", metavar="COMMAND")

    run = sub.add_parser("run", help="run (or --resume) the sweep of a TOML file")
    run.add_argument("file", type=Path, help="sweep file (TOML: kind, [fixed], [grid])")
    _run_options(run)
    run.set_defaults(run=_run)

    qas = sub.add_parser("qas", help="architecture-search training runs: environments x seeds")
    qas.add_argument(
        "--env", required=True, help="comma-separated environment IDs (qneuro/QAS-...-v0)"
    )
    qas.add_argument("--seeds", default="0-2", help="seeds, A-B or A,B,C (0-2)")
    qas.add_argument("--timesteps", type=int, default=None, help="steps per run (TrainConfig's)")
    qas.add_argument("--env-kwargs", default=None, help="JSON environment overrides")
    qas.add_argument("--config", default=None, help="JSON TrainConfig fields")
    qas.add_argument(
        "--stop-when-solved",
        action="store_true",
        help="stop each run at its first circuit within chemical accuracy",
    )
    _run_options(qas)
    qas.set_defaults(run=_qas)

    show = sub.add_parser("show", help="the summary table of a sweep folder")
    show.add_argument("dir", type=Path, help="a sweep folder")
    output_options(show)
    show.set_defaults(run=_show)


def _run_options(parser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="sweep folder")
    parser.add_argument("--resume", action="store_true", help="continue the sweep in --out")
    parser.add_argument(
        "--address",
        default=None,
        help="Ray cluster: auto or HOST:PORT (default: a "
        "local Ray started and stopped by the command)",
    )
    parser.add_argument(
        "--num-cpus", type=int, default=None, help="CPUs of the local Ray (default: every core)"
    )
    parser.add_argument(
        "--cpus-per-trial",
        type=int,
        default=None,
        help="CPUs (and threads) per trial (the file's, else 1)",
    )
    parser.add_argument(
        "--max-concurrent",
        type=int,
        default=None,
        help="trials at once (the file's, else as the CPUs allow)",
    )
    parser.add_argument("--no-plot", action="store_true", help="skip summary.png")
    output_options(parser)


def _run(args) -> None:
    from .spec import SweepSpec

    _execute(SweepSpec.load(args.file), args)


def _qas(args) -> None:
    from qneuro import checks

    from .spec import SweepSpec, parse_range

    fixed: dict = {}
    if args.config:
        fixed.update(checks.parse_json_object(args.config, "--config"))
    if args.timesteps is not None:
        fixed["timesteps"] = args.timesteps
    if args.env_kwargs:
        fixed["env_kwargs"] = checks.parse_json_object(args.env_kwargs, "--env-kwargs")
    if args.stop_when_solved:
        fixed["stop_when_solved"] = True
    envs = [e.strip() for e in args.env.split(",") if e.strip()]
    grid = {"env": envs, "seed": parse_range(args.seeds, "--seeds")}
    _execute(SweepSpec("qas-train", fixed=fixed, grid=grid), args)


def _execute(spec, args) -> None:
    from .jobs import job
    from .report import format_table
    from .runner import run_sweep

    try:
        result = run_sweep(
            spec,
            args.out,
            resume=args.resume,
            address=args.address,
            num_cpus=args.num_cpus,
            cpus_per_trial=args.cpus_per_trial,
            max_concurrent=args.max_concurrent,
            progress=not args.quiet,
            plot=not args.no_plot,
        )
    except ImportError as exc:
        raise ValueError(str(exc)) from None
    for line in format_table(spec, job(spec.kind), result.summary):
        print(line)
    counts = ", ".join(f"{n} {state}" for state, n in result.counts.items() if n)
    print(
        f"sweep {result.out}: {counts} ({result.ran} run now, {result.wall_s:.1f} s); "
        f"results.csv, results.json, summary.json" + ("" if args.no_plot else ", summary.png")
    )
    emit(args, result.to_json())
    if result.interrupted:
        print(
            f"qneuro: {result.counts['pending']} trials left; continue with --resume",
            file=sys.stderr,
        )
        raise KeyboardInterrupt


def _show(args) -> None:
    from qneuro import checks, files

    from .jobs import job
    from .report import format_table
    from .runner import SWEEP_FILE
    from .spec import SweepSpec

    spec = SweepSpec.from_dict(
        checks.read_json_object(
            files.inside(args.dir, SWEEP_FILE, what="sweep file"), what="sweep file"
        ),
        where=str(args.dir / SWEEP_FILE),
    )
    summary = checks.read_json_object(files.inside(args.dir, "summary.json"), what="sweep summary")
    groups = summary.get("groups")
    if not isinstance(groups, list):
        raise ValueError(f"{args.dir / 'summary.json'}: 'groups' must be a list")
    for line in format_table(spec, job(spec.kind), groups):
        print(line)
    emit(args, {"kind": spec.kind, "groups": groups})
