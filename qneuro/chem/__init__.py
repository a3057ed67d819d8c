"""Molecular VQE problems: bundled qubit Hamiltonians with exact reference energies."""
