"""Bad input to the core commands and APIs: one clear error naming the value, never a result.

CLI cases (``ptm``, ``noise``, ``chem``, ``sfq``, ``hlop``, ``demo``) run ``qneuro.cli.main``
in-process: exit status 2, one stderr line ``qneuro: error: ...`` naming the bad value,
no traceback, nothing on stdout. API cases raise the documented exception type with a
message naming the bad value. Every case fails before any long work starts.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.quantum_info import SparsePauliOp

from qneuro import vqe
from qneuro.chem import Problem
from qneuro.cli import main
from qneuro.files import UnsafePathError
from qneuro.noise import Calibration, NoiseProfile
from qneuro.optim import get_optimizer
from qneuro.ptm import PTMSimulator, StatevectorCircuit
from qneuro.qasm import QasmError

#: qiskit itself warns while building an operator with an infinite coefficient.
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")

HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'

#: QASM files written into the working directory of every CLI case.
QASM_FILES = {
    "bell.qasm": HEADER + "qreg q[2];\nh q[0];\ncx q[0],q[1];\n",
    "passwd.qasm": 'OPENQASM 2.0;\ninclude "/etc/passwd";\nqreg q[1];\n',
    "local.qasm": 'OPENQASM 2.0;\ninclude "local.inc";\nqreg q[1];\nsecret q[0];\n',
    "wide.qasm": HEADER + "qreg q[1000];\nh q[0];\n",
    "huge_angle.qasm": HEADER + "qreg q[1];\nrx(1e400) q[0];\n",
    "fourteen.qasm": HEADER + "qreg q[14];\nh q[0];\ncx q[0],q[13];\n",
}

ZZ = ["--observable", "ZZ"]

#: (id, argv, text the one error line must contain)
CLI_CASES = [
    # ptm expectation: what the QASM file may do
    (
        "include-etc-passwd",
        ["ptm", "expectation", "passwd.qasm", "--observable", "Z"],
        "include of '/etc/passwd' refused",
    ),
    (
        "include-relative-file",
        ["ptm", "expectation", "local.qasm", "--observable", "Z"],
        "include of 'local.inc' refused",
    ),
    (
        "qasm-dev-zero",
        ["ptm", "expectation", "/dev/zero", "--observable", "Z"],
        "/dev/zero is not a regular file",
    ),
    ("qasm-folder", ["ptm", "expectation", "folder", "--observable", "Z"], "folder is a folder"),
    (
        "qasm-missing",
        ["ptm", "expectation", "missing.qasm", "--observable", "Z"],
        "missing.qasm does not exist",
    ),
    (
        "qasm-1000-qubits",
        ["ptm", "expectation", "wide.qasm", "--observable", "Z"],
        "wide.qasm has 1000 qubits; allowed: at most 31",
    ),
    (
        "qasm-rx-1e400",
        ["ptm", "expectation", "huge_angle.qasm", "--observable", "Z"],
        "instruction 0 (rx) has angle inf",
    ),
    (
        "14-qubits-noisy-over-budget",
        [
            "ptm",
            "expectation",
            "fourteen.qasm",
            "--observable",
            "Z" * 14,
            "--noise",
            "depolarizing-0.01-0.01",
        ],
        "evolving 14 qubits with batch 1 on Pauli vectors needs",
    ),
    # ptm expectation: options
    (
        "observable-nan",
        ["ptm", "expectation", "bell.qasm", "--observable", "ZZ:nan"],
        "coefficient 'nan' is nan",
    ),
    (
        "observable-inf",
        ["ptm", "expectation", "bell.qasm", "--observable", "ZZ:1,XX:inf"],
        "'XX:inf': coefficient 'inf' is inf",
    ),
    (
        "observable-1e400",
        ["ptm", "expectation", "bell.qasm", "--observable", "ZZ:1e400"],
        "coefficient '1e400' is inf",
    ),
    (
        "observable-label",
        ["ptm", "expectation", "bell.qasm", "--observable", "ZQ"],
        "'ZQ': label must use I, X, Y, Z",
    ),
    (
        "observable-width",
        ["ptm", "expectation", "bell.qasm", "--observable", "ZZZ"],
        "observable acts on 3 qubits",
    ),
    (
        "observable-overflow",
        ["ptm", "expectation", "bell.qasm", "--observable", "ZZ:1,ZZ:1e308,ZZ:1e308"],
        "coefficients sum (in magnitude) beyond",
    ),
    (
        "shots-huge",
        ["ptm", "expectation", "bell.qasm", *ZZ, "--shots", "99999999999999999999"],
        "shots=99999999999999999999; allowed: None (exact) or an integer in 1..",
    ),
    ("shots-zero", ["ptm", "expectation", "bell.qasm", *ZZ, "--shots", "0"], "shots=0"),
    ("shots-negative", ["ptm", "expectation", "bell.qasm", *ZZ, "--shots", "-5"], "shots=-5"),
    (
        "shots-not-int",
        ["ptm", "expectation", "bell.qasm", *ZZ, "--shots", "abc"],
        "invalid int value: 'abc'",
    ),
    (
        "seed-negative",
        ["ptm", "expectation", "bell.qasm", *ZZ, "--shots", "10", "--seed", "-1"],
        "seed=-1",
    ),
    (
        "noise-unknown",
        ["ptm", "expectation", "bell.qasm", *ZZ, "--noise", "nope"],
        "unknown noise preset 'nope'",
    ),
    (
        "noise-nan",
        ["ptm", "expectation", "bell.qasm", *ZZ, "--noise", "depolarizing-nan-0.01"],
        "depolarizing parameter nan",
    ),
    (
        "noise-above-one",
        ["ptm", "expectation", "bell.qasm", *ZZ, "--noise", "depolarizing-0.01-2"],
        "depolarizing parameter 2.0",
    ),
    (
        "engine-unknown",
        ["ptm", "expectation", "bell.qasm", *ZZ, "--engine", "gpu"],
        "invalid choice: 'gpu'",
    ),
    (
        "memory-zero",
        ["ptm", "expectation", "bell.qasm", *ZZ, "--memory-gib", "0"],
        "--memory-gib: '0'",
    ),
    (
        "memory-nan",
        ["ptm", "expectation", "bell.qasm", *ZZ, "--memory-gib", "nan"],
        "--memory-gib: 'nan'",
    ),
    # noise
    (
        "noise-snapshot-out-file",
        ["noise", "snapshot", "--out", "afile"],
        "--out afile: afile is a file",
    ),
    (
        "noise-snapshot-out-under-file",
        ["noise", "snapshot", "--out", "afile/sub"],
        "--out afile/sub: afile is a file",
    ),
    ("noise-command-unknown", ["noise", "fetch"], "invalid choice: 'fetch'"),
    # chem
    ("chem-build-out-file", ["chem", "build", "--out", "afile"], "--out afile: afile is a file"),
    (
        "chem-check-out-under-file",
        ["chem", "build", "--check", "--out", "afile/sub"],
        "--out afile/sub: afile is a file",
    ),
    ("chem-command-unknown", ["chem", "solve"], "invalid choice: 'solve'"),
    # sfq
    ("sfq-trials-zero", ["sfq", "xor", "--trials", "0"], "--trials 0"),
    ("sfq-characterize-trials-zero", ["sfq", "characterize", "--trials", "0"], "--trials 0"),
    (
        "sfq-characterize-ramp-negative",
        ["sfq", "characterize", "--ramp-trials", "-3"],
        "--ramp-trials -3",
    ),
    (
        "sfq-characterize-temperature-nan",
        ["sfq", "characterize", "--temperature", "nan"],
        "--temperature nan",
    ),
    ("sfq-train-trials-negative", ["sfq", "train", "--trials", "-3"], "--trials -3"),
    ("sfq-seed-negative", ["sfq", "xor", "--trials", "2", "--seed", "-1"], "seed=-1"),
    (
        "sfq-plot-folder",
        ["sfq", "xor", "--trials", "2", "--plot", "folder"],
        "--plot folder is a folder",
    ),
    ("sfq-plot-empty", ["sfq", "xor", "--trials", "2", "--plot", ""], "--plot is empty"),
    (
        "sfq-plot-format",
        ["sfq", "xor", "--trials", "2", "--plot", "raster.xyz"],
        "format '.xyz' is not supported",
    ),
    (
        "sfq-plot-under-file",
        ["sfq", "sweep", "--trials", "2", "--plot", "afile/heat.png"],
        "folder afile is a file",
    ),
    ("sfq-grid-nan", ["sfq", "sweep", "--trials", "2", "--exc", "nan:100:5"], "'nan:100:5'"),
    ("sfq-grid-inf", ["sfq", "sweep", "--trials", "2", "--inh", "95:inf:5"], "'95:inf:5'"),
    ("sfq-grid-shape", ["sfq", "sweep", "--trials", "2", "--exc", "1:2"], "LO:HI:STEP"),
    ("sfq-source-unknown", ["sfq", "xor", "--source", "laser"], "invalid choice: 'laser'"),
    # hlop
    (
        "hlop-tasks-zero",
        ["hlop", "run", "--tasks", "0"],
        "n_tasks must be a positive integer, got 0",
    ),
    (
        "hlop-epochs-negative",
        ["hlop", "run", "--epochs", "-2"],
        "epochs_per_task must be a positive integer, got -2",
    ),
    (
        "hlop-seed-negative",
        ["hlop", "run", "--seed", "-1"],
        "seed=-1; allowed: an integer in 0..4,294,967,295",
    ),
    (
        "hlop-split-tasks",
        ["hlop", "run", "--stream", "split-digits", "--tasks", "9"],
        "split-digits has 1 to 5 tasks, got 9",
    ),
    (
        "hlop-plot-folder",
        ["hlop", "run", "--tasks", "1", "--plot", "folder"],
        "--plot folder is a folder",
    ),
    (
        "hlop-plot-missing-folder",
        ["hlop", "run", "--tasks", "1", "--plot", "nowhere/acc.png"],
        "folder nowhere does not exist",
    ),
    ("hlop-method-unknown", ["hlop", "run", "--method", "magic"], "invalid choice: 'magic'"),
    # demo and the top level
    ("demo-option-unknown", ["demo", "--fast"], "unrecognized arguments: --fast"),
    ("demo-argument-extra", ["demo", "now"], "unrecognized arguments: now"),
    ("command-unknown", ["simulate"], "invalid choice: 'simulate'"),
]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A working directory with the QASM files, a file ``afile``, a folder ``folder``, and
    ``local.inc`` next to them (a relative include must not read it)."""
    for name, text in QASM_FILES.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "local.inc").write_text("gate secret a { x a; }\n")
    (tmp_path / "afile").write_text("a file, not a folder\n")
    (tmp_path / "folder").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    "argv, message", [case[1:] for case in CLI_CASES], ids=[case[0] for case in CLI_CASES]
)
def test_cli_refuses_with_one_line(workdir, capsys, argv, message):
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert "Traceback" not in captured.err
    assert len(lines) == 1 and lines[0].startswith("qneuro: error: "), captured.err
    assert message in lines[0], lines[0]
    assert not captured.out
    # included files are never read: their content never reaches the message
    assert "root" not in lines[0] and "secret a" not in lines[0]
    assert sorted(p.name for p in workdir.iterdir()) == sorted(
        [*QASM_FILES, "local.inc", "afile", "folder"]
    ), "a refused command left files behind"


def test_the_standard_include_never_reads_the_working_directory(workdir, capsys):
    (workdir / "qelib1.inc").write_text("gate cx a,b { }\n")  # a decoy: cx does nothing
    assert main(["ptm", "expectation", "bell.qasm", "--observable", "ZZ", "--json"]) == 0
    value = json.loads(capsys.readouterr().out.splitlines()[-1])["expectation"]
    assert value == pytest.approx(1.0)  # the decoy would give 0


# -- the public API ----------------------------------------------------------------------


def _bell() -> QuantumCircuit:
    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    return circuit


def _rotation() -> QuantumCircuit:
    circuit = QuantumCircuit(1)
    circuit.rx(Parameter("t"), 0)
    return circuit


def _bound_angle(angle: float) -> QuantumCircuit:
    circuit = QuantumCircuit(1)
    circuit.rx(angle, 0)
    return circuit


def _h2_energy():
    from qneuro import chem

    return vqe.Energy(chem.load("H2-2q"), vqe.hardware_efficient_ansatz(2, layers=1))


def _h2_run(**options):
    from qneuro import chem

    options = {"budget": 20, **options}
    return vqe.run(chem.load("H2-2q"), vqe.hardware_efficient_ansatz(2, 1), **options)


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def _calibration(**changes) -> dict:
    data = {
        "name": "dev",
        "t1": [1e-4, 1e-4],
        "t2": [1e-4, 1e-4],
        "readout": [[0.01, 0.02], None],
        "gates": [["cx", [0, 1], 0.01, 3e-7]],
    }
    return {**data, **changes}


def _problem_json(**changes) -> dict:
    data = Problem.from_operator(SparsePauliOp(["ZZ", "XI"], [1.0, 0.5])).to_json()
    return {**data, **changes}


NAN, INF = math.nan, math.inf

#: (id, call(tmp_path), exception type, text the message must contain)
API_CASES = [
    (
        "simulator-coefficient-nan",
        lambda _: PTMSimulator().expectation(_bell(), SparsePauliOp(["ZZ"], [NAN])),
        ValueError,
        "observable term ZZ has coefficient nan",
    ),
    (
        "simulator-coefficient-inf-ptm",
        lambda _: PTMSimulator(engine="ptm").expectation(
            _bell(), SparsePauliOp(["XX", "ZZ"], [1, INF])
        ),
        ValueError,
        "observable term ZZ has coefficient inf",
    ),
    (
        "simulator-coefficient-nan-sampled",
        lambda _: PTMSimulator(shots=10, shot_model="sampled").expectation(
            _bell(), SparsePauliOp(["ZZ"], [NAN])
        ),
        ValueError,
        "coefficient nan",
    ),
    (
        "simulator-coefficients-overflow",
        lambda _: PTMSimulator().expectation(_bell(), SparsePauliOp(["ZZ", "XX"], [1e308, 1e308])),
        ValueError,
        "coefficients sum (in magnitude) beyond",
    ),
    (
        "simulator-parameter-bool",
        lambda _: PTMSimulator().expectation(_rotation(), SparsePauliOp("Z"), [True]),
        ValueError,
        "parameter_values are booleans",
    ),
    (
        "simulator-parameter-nan",
        lambda _: PTMSimulator().expectation(_rotation(), SparsePauliOp("Z"), [NAN]),
        ValueError,
        "parameter_values[0, 0] is nan",
    ),
    (
        "simulator-parameter-inf-in-batch",
        lambda _: PTMSimulator(engine="ptm").expectation(
            _rotation(), SparsePauliOp("Z"), [[0.1], [INF]]
        ),
        ValueError,
        "parameter_values[1, 0] is inf",
    ),
    (
        "statevector-circuit-parameter-nan",
        lambda _: StatevectorCircuit(_rotation()).evolve([NAN]),
        ValueError,
        "parameter_values[0, 0] is nan",
    ),
    (
        "simulator-bound-angle-nan",
        lambda _: PTMSimulator().expectation(_bound_angle(NAN), SparsePauliOp("Z")),
        ValueError,
        "rx on qubits (0,): angle is nan",
    ),
    (
        "simulator-1000-qubits",
        lambda _: PTMSimulator().compile(QuantumCircuit(1000)),
        ValueError,
        "1000 qubits; allowed: at most 31",
    ),
    ("simulator-seed-negative", lambda _: PTMSimulator(seed=-1), ValueError, "seed=-1"),
    (
        "simulator-budget-zero",
        lambda _: PTMSimulator(memory_budget=0),
        ValueError,
        "memory_budget=0",
    ),
    (
        "simulator-budget-nan",
        lambda _: PTMSimulator(memory_budget=NAN),
        ValueError,
        "memory_budget=nan",
    ),
    ("simulator-shots-zero", lambda _: PTMSimulator(shots=0), ValueError, "shots=0"),
    (
        "simulator-shot-model",
        lambda _: PTMSimulator(shot_model="exact"),
        ValueError,
        "shot_model='exact'",
    ),
    (
        "noise-depolarizing-nan",
        lambda _: NoiseProfile.depolarizing(NAN, 0.01),
        ValueError,
        "depolarizing parameter nan",
    ),
    (
        "noise-depolarizing-negative",
        lambda _: NoiseProfile.depolarizing(0.01, -0.1),
        ValueError,
        "depolarizing parameter -0.1",
    ),
    (
        "noise-depolarizing-text",
        lambda _: NoiseProfile.depolarizing("0.1", 0.01),
        TypeError,
        "'0.1'",
    ),
    (
        "noise-preset-probability",
        lambda _: NoiseProfile.preset("depolarizing-0.01-7"),
        ValueError,
        "depolarizing parameter 7.0",
    ),
    (
        "noise-preset-unknown",
        lambda _: NoiseProfile.preset("mumbai-min"),
        ValueError,
        "unknown noise preset 'mumbai-min'",
    ),
    (
        "noise-readout-nan",
        lambda _: NoiseProfile().add_readout(NAN, 0.0),
        ValueError,
        "p(1|0) = nan",
    ),
    (
        "calibration-bad-json",
        lambda tmp: Calibration.load(_write(tmp, "cal.json", "{oops")),
        ValueError,
        "cal.json is not valid JSON: Expecting property name",
    ),
    (
        "calibration-dev-zero",
        lambda _: Calibration.load("/dev/zero"),
        UnsafePathError,
        "/dev/zero is not a regular file",
    ),
    (
        "calibration-negative-t1",
        lambda _: Calibration.from_json(_calibration(t1=[-1.0, 1e-4])),
        ValueError,
        "t1[0] is -1.0",
    ),
    (
        "calibration-readout-above-one",
        lambda _: Calibration.from_json(_calibration(readout=[[0.01, 1.5], None])),
        ValueError,
        "readout[0] is 1.5",
    ),
    (
        "calibration-gate-qubit",
        lambda _: Calibration.from_json(_calibration(gates=[["cx", [0, 5], 0.01, 3e-7]])),
        ValueError,
        "gates[0]: qubits [0, 5]",
    ),
    (
        "calibration-missing-field",
        lambda _: Calibration.from_json({k: v for k, v in _calibration().items() if k != "t2"}),
        ValueError,
        "lacks the field 't2'",
    ),
    (
        "problem-bad-json",
        lambda tmp: Problem.load(_write(tmp, "p.json", "[1, 2")),
        ValueError,
        "p.json is not valid JSON: Expecting",
    ),
    ("problem-folder", lambda tmp: Problem.load(tmp), UnsafePathError, "is a folder"),
    (
        "problem-term-shape",
        lambda _: Problem.from_json(_problem_json(pauli_terms=[["ZZ"]])),
        ValueError,
        "pauli_terms[0] must be [label, coefficient], got ['ZZ']",
    ),
    (
        "problem-coefficient-nan",
        lambda _: Problem.from_json(_problem_json(pauli_terms=[["ZZ", NAN]])),
        ValueError,
        "coefficient of ZZ must be finite",
    ),
    (
        "problem-operator-nan",
        lambda _: Problem.from_operator(SparsePauliOp(["ZZ"], [NAN])),
        ValueError,
        "observable term ZZ has coefficient nan",
    ),
    (
        "energy-theta-nan",
        lambda _: _h2_energy()(np.r_[0.1, 0.2, 0.3, NAN, np.zeros(4)]),
        ValueError,
        "theta[3] is nan",
    ),
    (
        "energy-hamiltonian-inf",
        lambda _: vqe.Energy(SparsePauliOp(["ZZ"], [INF]), vqe.hardware_efficient_ansatz(2, 1)),
        ValueError,
        "coefficient inf",
    ),
    ("vqe-x0-nan", lambda _: _h2_run(x0=[0.0] * 7 + [NAN]), ValueError, "x0[7] is nan"),
    ("vqe-gain-inf", lambda _: _h2_run(a=INF), ValueError, "a=inf"),
    ("vqe-budget-zero", lambda _: _h2_run(budget=0), ValueError, "budget=0"),
    ("vqe-seed-negative", lambda _: _h2_run(seed=-1), ValueError, "seed=-1"),
    (
        "ansatz-layers-nan",
        lambda _: vqe.hardware_efficient_ansatz(2, NAN),
        ValueError,
        "layers=nan",
    ),
    ("optimizer-gamma-nan", lambda _: get_optimizer("spsa", gamma=NAN), ValueError, "gamma=nan"),
    (
        "optimizer-stability-negative",
        lambda _: get_optimizer("spsa", stability=-1),
        ValueError,
        "stability=-1",
    ),
    ("optimizer-tol-negative", lambda _: get_optimizer("cobyla", tol=-1.0), ValueError, "tol=-1.0"),
    (
        "optimizer-rhobeg-nan",
        lambda _: get_optimizer("nelder-mead", rhobeg=NAN),
        ValueError,
        "rhobeg=nan",
    ),
]


def _sfq_and_hlop_cases():
    """Cases that import brian2 lazily (inside the call)."""

    def xor_setting(**changes):
        from qneuro.sfq import XorSetting

        return XorSetting(**changes)

    def uamp():
        from qneuro.sfq.units import uamp

        return uamp

    def psecond():
        from qneuro.sfq.units import psecond

        return psecond

    def hlop_config(**changes):
        from qneuro.hlop import HLOPConfig

        return HLOPConfig(**changes)

    def evaluate_xor(**options):
        from qneuro.sfq import evaluate_xor

        return evaluate_xor(**options)

    def load_mnist(path):
        from qneuro.hlop import load_mnist

        return load_mnist(path)

    def raster_window_without_unit(tmp_path):
        from qneuro.sfq import evaluate_xor
        from qneuro.sfq.plots import plot_raster

        result = evaluate_xor(trials=1, record=True)
        return plot_raster(result, tmp_path / "raster.png", window=500)

    def molecule(position):
        from qneuro.chem import MoleculeSpec

        return MoleculeSpec((("H", (0.0, 0.0, 0.0)), ("H", position)))

    return [
        (
            "sfq-bias-without-unit",
            lambda _: xor_setting(excitatory_bias=130),
            ValueError,
            "excitatory_bias=130 has no unit",
        ),
        (
            "sfq-bias-wrong-unit",
            lambda _: xor_setting(inhibitory_bias=130 * psecond()),
            ValueError,
            "must have the dimensions of uA",
        ),
        (
            "sfq-bias-nan",
            lambda _: xor_setting(output_bias=NAN * uamp()),
            ValueError,
            "must be finite",
        ),
        (
            "sfq-threshold-zero",
            lambda _: xor_setting(hidden_threshold=0),
            ValueError,
            "hidden_threshold=0",
        ),
        (
            "sfq-threshold-nan",
            lambda _: xor_setting(hidden_threshold=NAN),
            ValueError,
            "hidden_threshold=nan",
        ),
        (
            "sfq-source-kind",
            lambda _: xor_setting(source_kind="laser"),
            ValueError,
            "source_kind='laser'",
        ),
        ("sfq-seed-negative", lambda _: evaluate_xor(trials=1, seed=-1), ValueError, "seed=-1"),
        ("sfq-trials-nan", lambda _: evaluate_xor(trials=NAN), ValueError, "trials=nan"),
        (
            "hlop-learning-rate-inf",
            lambda _: hlop_config(learning_rate=INF),
            ValueError,
            "learning_rate=inf; allowed: a finite number > 0",
        ),
        (
            "hlop-learning-rate-text",
            lambda _: hlop_config(learning_rate="fast"),
            ValueError,
            "learning_rate='fast'; allowed: a finite number > 0",
        ),
        ("hlop-ewc-nan", lambda _: hlop_config(ewc_lambda=NAN), ValueError, "ewc_lambda"),
        (
            "hlop-temperature-negative",
            lambda _: hlop_config(tau_membrane_ms=-1.0),
            ValueError,
            "tau_membrane_ms=-1.0; allowed: a finite number > 0",
        ),
        ("hlop-seed-negative", lambda _: hlop_config(seed=-1), ValueError, "seed=-1"),
        (
            "sfq-plot-window-without-unit",
            raster_window_without_unit,
            ValueError,
            "window=500 has no unit",
        ),
        (
            "chem-atom-position-nan",
            lambda _: molecule((0.0, 0.0, NAN)),
            ValueError,
            "position (0.0, 0.0, nan)",
        ),
        (
            "hlop-mnist-not-npz",
            lambda tmp: load_mnist(_write(tmp, "mnist.npz", "text")),
            ValueError,
            "mnist.npz is not a readable .npz archive",
        ),
    ]


ALL_API_CASES = API_CASES + _sfq_and_hlop_cases()


@pytest.mark.parametrize(
    "call, error, message",
    [case[1:] for case in ALL_API_CASES],
    ids=[case[0] for case in ALL_API_CASES],
)
def test_api_refuses_naming_the_value(tmp_path, call, error, message):
    with pytest.raises(error) as caught:
        call(tmp_path)
    assert message in str(caught.value)


def test_the_suite_is_broad():
    assert len(CLI_CASES) + len(ALL_API_CASES) >= 45
    groups = {argv[0] for _, argv, _ in CLI_CASES}
    assert {"ptm", "noise", "chem", "sfq", "hlop", "demo"} <= groups


def test_qasm_errors_are_value_errors():
    assert issubclass(QasmError, ValueError) and issubclass(UnsafePathError, ValueError)
