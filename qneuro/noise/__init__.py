"""Noise profiles for the PTM simulator: channels per gate and qubit, readout, presets.

Build from qiskit-aer ``NoiseModel`` s, qiskit ``Target`` s and backends (IBM device
calibrations), uniform depolarizing noise, or a preset name such as ``"mumbai-median"``.
"""

from .device import Calibration, GateCalibration, UniformCalibration
from .presets import preset_names
from .profile import ONE_QUBIT_GATES, TWO_QUBIT_GATES, NoiseProfile

__all__ = [
    "ONE_QUBIT_GATES",
    "TWO_QUBIT_GATES",
    "Calibration",
    "GateCalibration",
    "NoiseProfile",
    "UniformCalibration",
    "preset_names",
]
