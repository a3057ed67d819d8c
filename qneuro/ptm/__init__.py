"""Exact noisy simulation in the Pauli-transfer-matrix (Pauli-Liouville) representation.

An n-qubit state is its Pauli vector ``r_P = Tr(P rho)`` (``4**n`` reals, little-endian
Pauli index, see :mod:`qneuro.ptm.pauli`); gates and channels are real PTMs
(:mod:`qneuro.ptm.gates`, :mod:`qneuro.ptm.channels`). Circuits are lowered to a
:class:`Program` and compiled for the PTM engine (:class:`CompiledCircuit`, any noise) or,
when their gates are ideal, the statevector engine (:class:`StatevectorCircuit`,
``2**n`` amplitudes). :class:`PTMSimulator` picks the engine and returns expectation
values of ``SparsePauliOp`` s; :mod:`qneuro.ptm.sweep` gives the exact energy along one
rotation angle for coordinate optimisers.
"""

from . import channels
from .gates import SUPPORTED_GATES
from .liouville import CompiledCircuit
from .pauli import density_to_pauli, pauli_index, pauli_label, pauli_to_density, zero_state
from .program import Instruction, NoiseSource, Program
from .simulator import ENGINES, PTMSimulator
from .statevector import StatevectorCircuit

__all__ = [
    "ENGINES",
    "SUPPORTED_GATES",
    "CompiledCircuit",
    "Instruction",
    "NoiseSource",
    "PTMSimulator",
    "Program",
    "StatevectorCircuit",
    "channels",
    "density_to_pauli",
    "pauli_index",
    "pauli_label",
    "pauli_to_density",
    "zero_state",
]
