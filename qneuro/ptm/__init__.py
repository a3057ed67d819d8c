"""Exact noisy simulation in the Pauli-transfer-matrix (Pauli-Liouville) representation.

An n-qubit state is its Pauli vector ``r_P = Tr(P rho)`` (``4**n`` reals, little-endian
Pauli index, see :mod:`qneuro.ptm.pauli`); gates and channels are real PTMs
(:mod:`qneuro.ptm.gates`, :mod:`qneuro.ptm.channels`); :class:`PTMSimulator` runs qiskit
circuits with a noise profile and returns expectation values of ``SparsePauliOp`` s.
"""

from . import channels
from .gates import SUPPORTED_GATES
from .pauli import density_to_pauli, pauli_index, pauli_label, pauli_to_density, zero_state
from .program import CompiledCircuit, NoiseSource
from .simulator import PTMSimulator

__all__ = [
    "SUPPORTED_GATES",
    "CompiledCircuit",
    "NoiseSource",
    "PTMSimulator",
    "channels",
    "density_to_pauli",
    "pauli_index",
    "pauli_label",
    "pauli_to_density",
    "zero_state",
]
