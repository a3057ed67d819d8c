"""Pulse-level single-flux-quantum (SFQ) cells and rate-coded networks in Brian2.

Cells carry their delays, junction counts and switching energies (:mod:`.cells`,
:mod:`.synapse`, :mod:`.soma`); :mod:`.network` builds feed-forward networks from a
compact spec and runs many independent copies in one brian2 run; :mod:`.xor` is the
rate-coded XOR with its evaluation, sweep and training; :mod:`.measures` and
:mod:`.plots` report margins, confidence intervals, rasters and heatmaps. Parameters
from the literature and the modelling assumptions are listed in :mod:`.constants`.

Importing this package changes no global brian2 preference: the code generation target
is chosen per object at run time.
"""

from __future__ import annotations

from .cells import JTL, ClockSource, DCSFQSource, Merger, Splitter, switching_energy
from .constants import PHI0
from .measures import binomial_ci, classification_margin, mean_ci, worst_case_margin
from .network import NetworkSpec, Projection, Simulation, simulate
from .soma import Soma
from .synapse import ErfCurve, StochasticSynapse, SwitchingCurve, TanhCurve
from .xor import (
    DEFAULT_XOR_SETTING,
    XOR_LABELS,
    XOR_PATTERNS,
    XorResult,
    XorSetting,
    evaluate_xor,
    sweep_xor,
    train_xor,
    xor_network,
)

__all__ = [
    "PHI0",
    "JTL",
    "ClockSource",
    "DCSFQSource",
    "Merger",
    "Splitter",
    "switching_energy",
    "binomial_ci",
    "classification_margin",
    "mean_ci",
    "worst_case_margin",
    "NetworkSpec",
    "Projection",
    "Simulation",
    "simulate",
    "Soma",
    "ErfCurve",
    "StochasticSynapse",
    "SwitchingCurve",
    "TanhCurve",
    "DEFAULT_XOR_SETTING",
    "XOR_LABELS",
    "XOR_PATTERNS",
    "XorResult",
    "XorSetting",
    "evaluate_xor",
    "sweep_xor",
    "train_xor",
    "xor_network",
]
