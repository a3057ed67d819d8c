"""qneuro: quantum and neuromorphic circuit research on a laptop.

Pillars: an exact noisy Pauli-transfer-matrix simulator (:mod:`qneuro.ptm`,
:mod:`qneuro.noise`), Gymnasium environments for quantum architecture search
(:mod:`qneuro.envs`), an OpenQASM circuit generator (:mod:`qneuro.generators`), and
Brian2 neuromorphic models.
"""

__version__ = "0.1.0"
