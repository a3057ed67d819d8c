from __future__ import annotations

import argparse
import json

from qneuro.chem.cli import add_commands


def _run(argv):
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers())
    args = parser.parse_args(argv)
    args.run(args)


def test_chem_list_table_and_json(capsys):
    _run(["chem", "list", "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].split()[:3] == ["name", "qubits", "terms"]
    assert any(line.startswith("LiH-4q") and "parity (two-qubit)" in line for line in out)
    rows = json.loads(out[-1])["problems"]
    h2 = next(row for row in rows if row["name"] == "H2-2q")
    assert h2["qubits"] == 2 and abs(h2["exact_energy"] + 1.13727) < 5e-6
    assert len(rows) == 7
