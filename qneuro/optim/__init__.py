"""Optimisers for noisy variational energies: SPSA, Adam-SPSA, scipy wrappers."""
