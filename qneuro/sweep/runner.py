"""Run a sweep's trials on Ray Tune: ``run_sweep(spec, out) -> SweepResult``.

The sweep folder ``out`` holds ``sweep.json`` (the spec), ``trials/NNNN/`` (one folder per
trial: the job's files, ``result.json`` when it finished, ``error.txt`` when it failed),
the results files of :mod:`qneuro.sweep.report` and ``ray/`` (Ray Tune's own records).

Each trial runs in a Ray worker that reserves ``cpus_per_trial`` CPUs and limits numpy's,
BLAS's and torch's threads to them. A trial's exception is caught, written to its
``error.txt`` and reported as a failed row; the other trials go on. A worker lost with
its node is restarted elsewhere (twice at most), resuming from the trial's files.

A killed sweep (Ctrl-C, a lost driver) continues with ``resume=True``: a trial that has
its ``result.json`` (written for the same arguments) is not run again; the others run,
and ``qas-train`` trials resume from their run folder's last checkpoint (nothing doubled:
see :mod:`qneuro.rl.trainer`). Failed trials run again. The sweep must be the one the
folder was started with, axes in the same order (resources may change).

On a cluster, ``out`` must be a folder every node sees at the same path (a shared file
system, as Ray Tune's own storage needs); the rows come back to the driver through Ray.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

from qneuro import checks, files

from . import report
from .jobs import job
from .spec import SweepSpec, Trial

SWEEP_FILE = "sweep.json"
RESULT_FILE = "result.json"
ERROR_FILE = "error.txt"
TRIALS_FOLDER = "trials"

#: Seconds between rewrites of the results files while trials run.
RESULTS_EVERY_S = 2.0

#: Times Ray restarts a trial whose worker died (a lost node), resuming from its files.
MAX_RESTARTS = 2


@dataclass
class SweepResult:
    """A sweep's outcome.

    Attributes:
        out: the sweep folder.
        kind: the job kind.
        rows: one row per trial, in grid order (see :mod:`qneuro.sweep.report`).
        summary: the per-group summary.
        counts: trials per state (finished, failed, running, pending).
        interrupted: trials are left (the sweep was stopped); resume it.
        ran: trials this session ran (finished or failed now, not read back).
        wall_s: this session's wall time.
    """

    out: str
    kind: str
    rows: list
    summary: list
    counts: dict
    interrupted: bool
    ran: int
    wall_s: float

    def to_json(self) -> dict:
        """JSON-ready dict (the command's ``--json`` line)."""
        return asdict(self)


def run_trial(kind: str, args: dict, folder: str | Path) -> dict:
    """Run one trial in ``folder`` (created); its row: ``status`` and the job's values.

    ``result.json`` records the trial's arguments and row when it finished. A folder that
    has one already finished: its row is returned and nothing runs (a ``result.json``
    written for other arguments is a failed trial: the folder belongs to another grid).
    An exception is caught: the row says ``failed`` with the error, ``error.txt`` holds
    the traceback.
    """
    started = time.perf_counter()
    try:
        folder = files.output_folder(folder, what="trial folder")
        finished = finished_row(folder, args)
        if finished is not None:
            return finished
        files.remove_temporaries(folder)
        row = {"status": "finished", **job(kind).run(args, folder)}
    except Exception as exc:  # reported as a failed trial; the sweep goes on
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        row = {"status": "failed", "error": f"{type(exc).__name__}: {message}".rstrip(": ")}
        with contextlib.suppress(OSError):
            files.atomic_write_text(Path(folder) / ERROR_FILE, traceback.format_exc())
    row["trial_wall_s"] = round(time.perf_counter() - started, 3)
    if row["status"] == "finished":
        files.atomic_write_json(Path(folder) / RESULT_FILE, {"args": args, "row": row})
    return row


def finished_row(folder: Path, args: dict) -> dict | None:
    """The row in ``folder/result.json`` (None without one); other arguments: ValueError."""
    path = files.inside(folder, RESULT_FILE, what="trial result")
    if not path.exists():
        return None
    data = checks.read_json_object(path, what="trial result")
    row = data.get("row")
    if data.get("args") != _as_json(args) or not isinstance(row, dict):
        raise ValueError(f"{path} holds the result of other arguments (another sweep's trial)")
    return row


def _as_json(value):
    """``value`` as it reads back from JSON (tuples become lists)."""
    return json.loads(json.dumps(value))


def _trainable(tune):
    """Ray Tune's trainable for one trial (a class made here: Ray is optional).

    A class trainable runs in its worker's main thread (a function trainable would run in
    a thread, where brian2 cannot be imported: it installs a signal handler).
    """

    class Trial(tune.Trainable):
        def setup(self, config, *, sweep_dir: str, kind: str, trials: dict, threads: int):
            self.sweep_dir, self.kind, self.trials, self.threads = sweep_dir, kind, trials, threads
            self.reset_config(config)

        def reset_config(self, new_config) -> bool:  # a reused worker takes the next trial
            self.name = new_config["trial"]
            self.folder = Path(self.sweep_dir) / TRIALS_FOLDER / self.name
            self.args = self.trials[self.name]
            return True

        def step(self):
            import ray
            import torch
            from threadpoolctl import threadpool_limits

            torch.set_num_threads(self.threads)
            with threadpool_limits(self.threads):
                row = run_trial(self.kind, self.args, self.folder)
            row["node"] = ray.get_runtime_context().get_node_id()
            return {"row": json.dumps(row), "done": True}

        def save_checkpoint(self, checkpoint_dir):  # the trial's own files are its state
            return None

        def load_checkpoint(self, checkpoint):
            pass

    return Trial


def run_sweep(
    spec: SweepSpec,
    out: str | Path,
    *,
    resume: bool = False,
    address: str | None = None,
    num_cpus: int | None = None,
    cpus_per_trial: int | None = None,
    max_concurrent: int | None = None,
    progress: bool = True,
    plot: bool = True,
    echo=print,
) -> SweepResult:
    """Run (or resume) the sweep ``spec`` in the folder ``out`` on Ray.

    Args:
        spec: the sweep.
        out: the sweep folder (created).
        resume: continue the sweep in ``out`` (required when it holds one).
        address: Ray to use: None (a local Ray, started and stopped here), ``auto``,
            or ``HOST:PORT`` (see :mod:`qneuro.cluster`).
        num_cpus: CPUs of the local Ray (default: this machine's).
        cpus_per_trial: CPUs (and threads) per trial (default: the spec's).
        max_concurrent: trials at once (default: the spec's, else as the CPUs allow).
        progress: show the live table (a progress bar with counts and the best trial).
        plot: write ``summary.png``.
        echo: ``echo(str)`` prints a line (one per finished or failed trial).

    Raises:
        ValueError: a trial's arguments are bad (the message names the trial), ``out``
            holds another sweep, or holds this one without ``resume``.
    """
    from qneuro.cluster import check_address, require_ray

    started = time.perf_counter()
    kind = job(spec.kind)
    cpus = checks.integer("cpus_per_trial", cpus_per_trial, low=1, high=1024, optional=True)
    cpus = cpus or spec.cpus_per_trial
    concurrent = (
        checks.integer("max_concurrent", max_concurrent, low=1, high=10**5, optional=True)
        or spec.max_concurrent
    )
    checks.integer("num_cpus", num_cpus, low=1, high=1 << 16, optional=True)
    check_address(address)
    if num_cpus is not None and address is not None:
        raise ValueError(f"num_cpus={num_cpus} sizes a local Ray; not with an address")
    trials = spec.trials()
    for trial in trials:
        try:
            kind.check(trial.args)
        except ValueError as exc:
            raise ValueError(f"trial {trial.name} ({_axes_text(trial)}): {exc}") from None
    require_ray()  # the extra, before anything is written
    out = files.output_folder(out).absolute()  # trials run in other working directories
    with files.FolderLock(out):
        _check_earlier_sweep(out, spec, resume)
        rows = _initial_rows(out, trials)
        todo = [t for t in trials if rows[t.name]["status"] != "finished"]
        ran = 0
        if not todo:
            files.atomic_write_json(out / SWEEP_FILE, spec.to_dict())  # e.g. trials copied in
        else:
            ran = _run_on_ray(
                out,
                spec,
                trials,
                todo,
                rows,
                address=address,
                num_cpus=num_cpus,
                cpus=cpus,
                concurrent=concurrent,
                progress=progress,
                echo=echo,
            )
        ordered = [rows[t.name] for t in trials]
        for row in ordered:
            if row["status"] == "running":
                row["status"] = "pending"
        summary = report.write_results(out, spec, kind, ordered)
        if plot:
            report.plot_summary(out / "summary.png", spec, kind, summary)
    counts = {state: sum(r["status"] == state for r in ordered) for state in report.STATES}
    return SweepResult(
        str(out),
        spec.kind,
        ordered,
        summary,
        counts,
        interrupted=counts["pending"] > 0,
        ran=ran,
        wall_s=round(time.perf_counter() - started, 3),
    )


def _axes_text(trial: Trial) -> str:
    return " ".join(f"{k}={report.axis_text(v)}" for k, v in trial.axes.items()) or "no axes"


def _check_earlier_sweep(out: Path, spec: SweepSpec, resume: bool) -> None:
    path = files.inside(out, SWEEP_FILE, what="sweep file")
    if not path.exists():
        return
    if not resume:
        raise ValueError(
            f"{out} already holds a sweep; resume it (--resume) or choose another --out"
        )
    saved = checks.read_json_object(path, what="sweep file")
    now = _as_json(spec.to_dict())
    differ = [key for key in ("kind", "fixed", "grid") if saved.get(key) != now[key]]
    if "grid" not in differ and list(saved["grid"]) != list(now["grid"]):
        differ.append("grid")  # the axis order numbers the trials
    if differ:
        raise ValueError(
            f"{out} holds a sweep whose {', '.join(differ)} differ from this "
            "one; resume it with its own sweep file or choose another --out"
        )


def _initial_rows(out: Path, trials: list[Trial]) -> dict[str, dict]:
    """Each trial's row: pending, or finished with the row of its ``result.json``."""
    rows = {}
    for trial in trials:
        rows[trial.name] = {"trial": trial.name, **trial.axes, "status": "pending"}
        folder = files.inside(out, Path(TRIALS_FOLDER) / trial.name, what="trial folder")
        if folder.is_dir():
            finished = finished_row(folder, trial.args)
            if finished is not None:
                rows[trial.name].update(finished)
    return rows


def _run_on_ray(
    out: Path,
    spec: SweepSpec,
    trials: list[Trial],
    todo: list[Trial],
    rows: dict,
    *,
    address,
    num_cpus,
    cpus,
    concurrent,
    progress,
    echo,
) -> int:
    """Run ``todo`` on Ray Tune, updating ``rows`` and the results files as trials end."""
    from tqdm.auto import tqdm

    from qneuro.cluster import ray_session

    storage = files.inside(out, "ray", what="Ray Tune storage")  # no link followed
    with ray_session(address, num_cpus) as ray:
        from ray import tune

        largest = max(
            (node["Resources"].get("CPU", 0) for node in ray.nodes() if node.get("Alive")),
            default=0,
        )
        if cpus > largest:
            raise ValueError(
                f"cpus_per_trial={cpus} exceeds the {largest:g} CPUs of the largest Ray node"
            )
        files.remove_temporaries(out)
        files.atomic_write_json(out / SWEEP_FILE, spec.to_dict())  # once Ray is there
        bar = tqdm(
            total=len(trials),
            desc=f"sweep {spec.kind}",
            unit="trial",
            disable=not progress,
            initial=len(trials) - len(todo),
        )
        live = _LiveTable(out, spec, trials, rows, bar, echo)
        trainable = tune.with_parameters(
            _trainable(tune),
            sweep_dir=str(out),
            kind=spec.kind,
            trials={t.name: t.args for t in todo},
            threads=cpus,
        )
        tuner = tune.Tuner(
            tune.with_resources(trainable, {"cpu": cpus}),
            param_space={"trial": tune.grid_search([t.name for t in todo])},
            tune_config=tune.TuneConfig(
                max_concurrent_trials=concurrent,
                reuse_actors=True,
                trial_dirname_creator=_trial_dirname,
            ),
            run_config=tune.RunConfig(
                name=time.strftime("session-%Y%m%d-%H%M%S"),
                storage_path=str(storage),
                verbose=0,
                callbacks=[_callback(tune, live)],
                failure_config=tune.FailureConfig(max_failures=MAX_RESTARTS),
            ),
        )
        quiet = logging.getLogger("ray.tune")
        level = quiet.level
        quiet.setLevel(logging.CRITICAL)
        try:
            tuner.fit()
        finally:
            quiet.setLevel(level)
            bar.close()
            live.dirty, live.written = True, -float("inf")
            live.refresh()  # the results files as they stand, whatever stopped Tune
        return live.ran


def _trial_dirname(trial) -> str:
    return f"trial-{trial.config['trial']}"


class _LiveTable:
    """The driver's view of the trials: rows, counts, best so far; files kept current."""

    def __init__(self, out: Path, spec: SweepSpec, trials, rows: dict, bar, echo) -> None:
        self.out, self.spec, self.trials, self.rows = out, spec, trials, rows
        self.job = job(spec.kind)
        self.bar, self.echo = bar, echo
        self.ran = 0
        self.written = -float("inf")
        self.dirty = True
        self.refresh()

    def started(self, name: str) -> None:
        self.rows[name]["status"] = "running"
        self.dirty = True
        self.refresh()

    def ended(self, name: str, row: dict) -> None:
        self.rows[name].update(row)
        self.ran += 1
        self.bar.update(1)
        trial = self.rows[name]
        axes = " ".join(f"{k}={report.axis_text(trial[k])}" for k in self.spec.grid)
        if row["status"] == "failed":
            line = f"trial {name} ({axes}) failed: {row.get('error')}"
        else:
            shown = ", ".join(f"{c} {report.format_value(row.get(c))}" for c in self.job.columns)
            line = f"trial {name} ({axes}): {shown}"
        (self.bar.write if not self.bar.disable else self.echo)(line)
        self.dirty = True
        self.refresh()

    def refresh(self) -> None:
        """Update the progress line and, at most every few seconds, the results files.

        Tune calls it on every step of its loop too, so a change waits no longer than
        :data:`RESULTS_EVERY_S` (each trial's ``result.json`` is what resuming relies on).
        """
        ordered = [self.rows[t.name] for t in self.trials]
        now = time.monotonic()
        if self.dirty and now - self.written >= RESULTS_EVERY_S:
            report.write_results(self.out, self.spec, self.job, ordered)
            self.written, self.dirty = now, False
        counts = {s: sum(r["status"] == s for r in ordered) for s in report.STATES}
        best = self.best(ordered)
        postfix = f"running {counts['running']}, failed {counts['failed']}"
        if best is not None:
            postfix += (
                f", best {self.job.score} {report.format_value(best[self.job.score])} "
                f"(trial {best['trial']})"
            )
        self.bar.set_postfix_str(postfix)

    def best(self, rows: list[dict]) -> dict | None:
        scored = [
            r
            for r in rows
            if r["status"] == "finished" and isinstance(r.get(self.job.score), int | float)
        ]
        if not scored:
            return None
        score = self.job.score
        if self.job.lower_is_better:
            return min(scored, key=lambda r: abs(r[score]))
        return max(scored, key=lambda r: r[score])


def _callback(tune, live: _LiveTable):
    """A Ray Tune callback feeding ``live`` (a class made here: Ray is optional)."""

    class LiveTableCallback(tune.Callback):
        def on_trial_start(self, iteration, trials, trial, **info):
            live.started(trial.config["trial"])

        def on_trial_complete(self, iteration, trials, trial, **info):
            result = trial.last_result or {}
            row = (
                json.loads(result["row"])
                if "row" in result
                else {"status": "failed", "error": "the trial returned no result"}
            )
            live.ended(trial.config["trial"], row)

        def on_trial_error(self, iteration, trials, trial, **info):
            live.ended(trial.config["trial"], {"status": "failed", "error": _ray_error(trial)})

        def on_step_end(self, iteration, trials, **info):
            live.refresh()

    return LiveTableCallback()


def _ray_error(trial) -> str:
    """The last line of a trial's Ray error (a worker that died, a lost node)."""
    path = getattr(trial, "error_file", None)
    with contextlib.suppress(OSError, TypeError):
        lines = [line for line in Path(path).read_text().splitlines() if line.strip()]
        if lines:
            return lines[-1].strip()[:500]
    return "the trial's Ray worker failed"
