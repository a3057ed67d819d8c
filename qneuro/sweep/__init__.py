"""Sweeps: a grid of qneuro jobs (architecture search, HLOP, SFQ, VQE) run on Ray Tune.

    >>> from qneuro.sweep import SweepSpec, run_sweep
    >>> spec = SweepSpec("vqe", fixed={"budget": 200}, grid={"problem": ["H2-2q", "H2-4q"],
    ...                                                       "seed": "0-2"})
    >>> result = run_sweep(spec, "runs/vqe-sweep")  # doctest: +SKIP
    >>> result.summary  # doctest: +SKIP

The sweep file (TOML) is described in :mod:`qneuro.sweep.spec`, the job kinds in
:mod:`qneuro.sweep.jobs`, the run folder and resuming in :mod:`qneuro.sweep.runner`, the
results files in :mod:`qneuro.sweep.report`. Ray is the optional extra ``qneuro[ray]``.
"""

from .jobs import JOBS, JobKind
from .runner import SweepResult, run_sweep, run_trial
from .spec import SweepSpec, Trial

__all__ = ["JOBS", "JobKind", "SweepResult", "SweepSpec", "Trial", "run_sweep", "run_trial"]
