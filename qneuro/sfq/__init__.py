"""Pulse-level single-flux-quantum (SFQ) cells and rate-coded networks in Brian2.

Cells carry their delays, junction counts and switching energies (:mod:`.cells`,
:mod:`.synapse`, :mod:`.soma`); :mod:`.network` builds feed-forward networks from a
compact spec and runs many independent copies in one brian2 run; :mod:`.junction` is
the circuit-level RCSJ junction with Johnson noise, :mod:`.escape` its thermal-escape
theory and :mod:`.characterize` the Monte-Carlo synapse characterisation against it;
:mod:`.circuit` simulates netlists of junctions and inductors, :mod:`.circuit_cells`
builds the standard cells from them, :mod:`.circuit_characterize` measures them and
:mod:`.circuit_xor` runs the XOR from them beside the pulse level;
:mod:`.calibration` fits the pulse-level synapse to that junction;
:mod:`.xor` is the rate-coded XOR with its evaluation, sweep and training;
:mod:`.digits` a multi-layer classifier of the 8x8 digits trained on a rate model;
:mod:`.measures` and :mod:`.plots` report margins, confidence intervals, rasters and
heatmaps. Parameters from the literature and the modelling assumptions are listed in
:mod:`.constants`.

Importing this package changes no global brian2 preference: the code generation target
is chosen per object at run time.
"""

from __future__ import annotations

from qneuro.exports import lazy_exports

#: Public name -> the module that defines it (imported on first use, so that importing
#: ``qneuro.sfq`` or its CLI does not load brian2).
_EXPORTS = {
    "JTL": "cells",
    "ClockSource": "cells",
    "DCSFQSource": "cells",
    "Merger": "cells",
    "Splitter": "cells",
    "switching_energy": "cells",
    "PHI0": "constants",
    "Calibration": "calibration",
    "calibrate": "calibration",
    "fit_switching_curve": "calibration",
    "load_calibration": "calibration",
    "Circuit": "circuit",
    "CircuitRun": "circuit",
    "simulate_circuit": "circuit",
    "CellParameters": "circuit_cells",
    "CellCharacterization": "circuit_characterize",
    "characterize_cells": "circuit_characterize",
    "LevelComparison": "circuit_xor",
    "compare_levels": "circuit_xor",
    "evaluate_circuit_xor": "circuit_xor",
    "xor_circuit": "circuit_xor",
    "Characterization": "characterize",
    "InputPulse": "characterize",
    "characterize": "characterize",
    "compare_ramp": "characterize",
    "escape_rate": "escape",
    "ramp_distribution": "escape",
    "Junction": "junction",
    "binomial_ci": "measures",
    "classification_margin": "measures",
    "mean_ci": "measures",
    "worst_case_margin": "measures",
    "DigitsNetwork": "digits",
    "DigitsResult": "digits",
    "evaluate_digits": "digits",
    "load_digits_network": "digits",
    "train_digits": "digits",
    "NetworkSpec": "network",
    "Projection": "network",
    "Simulation": "network",
    "simulate": "network",
    "Soma": "soma",
    "ErfCurve": "synapse",
    "StochasticSynapse": "synapse",
    "SwitchingCurve": "synapse",
    "TanhCurve": "synapse",
    "DEFAULT_XOR_SETTING": "xor",
    "POISSON_ROBUST_XOR": "xor",
    "XOR_DESIGNS": "xor",
    "XorDesign": "xor",
    "XOR_LABELS": "xor",
    "XOR_PATTERNS": "xor",
    "XorResult": "xor",
    "XorSetting": "xor",
    "evaluate_xor": "xor",
    "sweep_xor": "xor",
    "train_xor": "xor",
    "xor_network": "xor",
    "xor_synapse": "xor",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


__all__ = [
    "PHI0",
    "Calibration",
    "calibrate",
    "fit_switching_curve",
    "load_calibration",
    "Circuit",
    "CircuitRun",
    "simulate_circuit",
    "CellParameters",
    "CellCharacterization",
    "characterize_cells",
    "LevelComparison",
    "compare_levels",
    "evaluate_circuit_xor",
    "xor_circuit",
    "Characterization",
    "InputPulse",
    "characterize",
    "compare_ramp",
    "escape_rate",
    "ramp_distribution",
    "Junction",
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
    "DigitsNetwork",
    "DigitsResult",
    "evaluate_digits",
    "load_digits_network",
    "train_digits",
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
    "POISSON_ROBUST_XOR",
    "XOR_DESIGNS",
    "XorDesign",
    "XOR_LABELS",
    "XOR_PATTERNS",
    "XorResult",
    "XorSetting",
    "evaluate_xor",
    "sweep_xor",
    "train_xor",
    "xor_network",
    "xor_synapse",
]
