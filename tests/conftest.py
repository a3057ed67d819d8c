"""Shared fixtures: random circuits over the supported gate set and random observables."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp, random_pauli_list

ONE_QUBIT_FIXED = ["id", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "sxdg"]
ONE_QUBIT_ROTATIONS = ["rx", "ry", "rz", "p"]
TWO_QUBIT_FIXED = ["cx", "cz", "swap", "ecr"]
TWO_QUBIT_ROTATIONS = ["rzz", "rxx", "ryy", "rzx"]


def random_gate_circuit(num_qubits: int, num_gates: int, seed: int) -> QuantumCircuit:
    """A random circuit over the supported gate set (bound angles)."""
    rng = np.random.default_rng(seed)
    circuit = QuantumCircuit(num_qubits)
    for _ in range(num_gates):
        two = num_qubits > 1 and rng.random() < 0.4
        if two:
            a, b = (int(q) for q in rng.choice(num_qubits, 2, replace=False))
            name = rng.choice(TWO_QUBIT_FIXED + TWO_QUBIT_ROTATIONS)
            if name in TWO_QUBIT_ROTATIONS:
                getattr(circuit, name)(rng.uniform(-np.pi, np.pi), a, b)
            else:
                getattr(circuit, name)(a, b)
        else:
            q = int(rng.integers(num_qubits))
            name = rng.choice(ONE_QUBIT_FIXED + ONE_QUBIT_ROTATIONS + ["u"])
            if name == "u":
                circuit.u(*rng.uniform(-np.pi, np.pi, 3), q)
            elif name in ONE_QUBIT_ROTATIONS:
                getattr(circuit, name)(rng.uniform(-np.pi, np.pi), q)
            else:
                getattr(circuit, name)(q)
    return circuit


def random_observable(num_qubits: int, terms: int, seed: int) -> SparsePauliOp:
    rng = np.random.default_rng(seed)
    paulis = random_pauli_list(num_qubits, terms, seed=seed, phase=False)
    return SparsePauliOp(paulis, rng.normal(size=terms)).simplify()


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray with 2 CPUs for the module's tests (qneuro uses an initialised Ray)."""
    ray = pytest.importorskip("ray")
    from qneuro.cluster import ray_session

    ray.shutdown()
    with ray_session(num_cpus=2):
        with ray_session() as session:  # already initialised: used as it is
            yield session
    assert not ray.is_initialized()


@pytest.fixture(scope="session", autouse=True)
def ray_temp_dir():
    """Ray's session folders (sockets, logs) in a temporary folder, removed at the end.

    Ray keeps the files of every local cluster under ``$RAY_TMPDIR/ray`` (default
    ``/tmp/ray``, which would collect them run after run). The folder sits directly in
    ``/tmp``: Ray's Unix socket paths are limited to about 107 characters. Subprocesses
    (``ray start``, notebook kernels) inherit the setting.
    """
    folder = tempfile.mkdtemp(prefix="qneuro-ray-", dir="/tmp" if os.path.isdir("/tmp") else None)
    before = os.environ.get("RAY_TMPDIR")
    os.environ["RAY_TMPDIR"] = folder
    try:
        yield folder
    finally:
        ray = sys.modules.get("ray")
        if ray is not None and ray.is_initialized():
            ray.shutdown()
        if before is None:
            os.environ.pop("RAY_TMPDIR", None)
        else:
            os.environ["RAY_TMPDIR"] = before
        shutil.rmtree(folder, ignore_errors=True)
