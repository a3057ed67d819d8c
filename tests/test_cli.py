import json
import subprocess
import sys

import pytest

from qneuro import __version__
from qneuro.cli import main


def test_help_lists_the_commands(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    for command in ("demo", "ptm", "noise"):
        assert command in out


def test_version():
    result = subprocess.run(
        [sys.executable, "-m", "qneuro", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == f"qneuro {__version__}"


@pytest.fixture
def bell(tmp_path):
    path = tmp_path / "bell.qasm"
    path.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\ncx q[0],q[1];\n')
    return path


def test_expectation_json_last_line(bell, capsys):
    assert main(["ptm", "expectation", str(bell), "--observable", "ZZ:1,XX:1,YY:1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["expectation"] == pytest.approx(1.0 + 1.0 - 1.0)


def test_expectation_engines_agree(bell, capsys):
    values = {}
    for engine in ("auto", "ptm", "statevector"):
        main(
            [
                "ptm",
                "expectation",
                str(bell),
                "--observable",
                "ZZ:1,XI:0.5",
                "--engine",
                engine,
                "--noise",
                "ideal",
                "--json",
            ]
        )
        result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        values[engine] = result["expectation"]
        assert result["engine"] == ("ptm" if engine == "ptm" else "statevector")
    assert values["auto"] == pytest.approx(values["ptm"], abs=1e-12)
    assert (
        main(
            [
                "ptm",
                "expectation",
                str(bell),
                "--observable",
                "ZZ",
                "--noise",
                "mumbai-max",
                "--engine",
                "statevector",
            ]
        )
        == 2
    )
    assert "needs ideal gates" in capsys.readouterr().err


def test_expectation_with_noise_is_lower(bell, capsys):
    main(["ptm", "expectation", str(bell), "--observable", "ZZ", "--noise", "mumbai-max", "--json"])
    value = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["expectation"]
    assert 0.5 < value < 0.99


@pytest.mark.parametrize(
    "args,message",
    [
        (["--observable", "ZQ"], "label must use I, X, Y, Z"),
        (["--observable", "ZZ:x"], "'x' is not a number"),
        (["--observable", "ZZ", "--noise", "nope"], "unknown noise preset 'nope'"),
        (["--observable", "ZZZ"], "acts on 3 qubits"),
    ],
)
def test_bad_input_exits_2_with_one_line(bell, capsys, args, message):
    assert main(["ptm", "expectation", str(bell), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err


def test_bad_qasm_file(tmp_path, capsys):
    path = tmp_path / "bad.qasm"
    path.write_text("OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n")
    assert main(["ptm", "expectation", str(path), "--observable", "Z"]) == 2
    assert "not valid OpenQASM 2" in capsys.readouterr().err
    assert main(["ptm", "expectation", str(tmp_path / "missing.qasm"), "--observable", "Z"]) == 2


def test_noise_list(capsys):
    assert main(["noise", "list", "--json"]) == 0
    names = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["presets"]
    assert "mumbai-median" in names


@pytest.mark.slow
def test_demo_json(capsys):
    assert main(["demo", "--json", "--quiet"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["ptm"]["abs_diff"] < 1e-9
    energies = result["ptm"]["energies"]
    assert energies["ideal"] != energies["mumbai-median"]
    vqe = result["vqe"]
    assert abs(vqe["noiseless_error"]) < 1.6e-3 < vqe["energy"] - vqe["exact_energy"]
