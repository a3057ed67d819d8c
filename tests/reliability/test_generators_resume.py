"""``qneuro generate`` killed mid-run and resumed: every circuit exactly once, as requested.

The run is a real subprocess killed with SIGKILL once some circuits are on disk (so the
kill can land mid-write); the resumed folder must match an uninterrupted run file for
file, with a manifest that lists every circuit once and nothing else.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from qneuro.cli import main

N = 16
SETTINGS = ["--n", str(N), "--batch-size", "1", "--qubits", "2-4", "--threads", "1", "--quiet"]


def _manifest_files(folder) -> list[str]:
    lines = (folder / "manifest.jsonl").read_text().splitlines()
    return [json.loads(line)["file"] for line in lines]


def _circuits(folder) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.glob("circuit_*.qasm"))}


@pytest.mark.slow
def test_generate_killed_then_resumed_lists_every_circuit_once(tmp_path):
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "qneuro", "generate", "--out", str(out), *SETTINGS]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while process.poll() is None and len(list(out.glob("circuit_*.qasm"))) < 2:
            time.sleep(0.02)
        assert process.poll() is None, "generate ended before it could be killed"
        process.kill()  # SIGKILL: no clean-up runs
    finally:
        process.kill()
        stderr = process.communicate()[1].decode()
    assert "Traceback" not in stderr
    killed_with = len(list(out.glob("circuit_*.qasm")))
    assert 2 <= killed_with < N
    # what a kill can also leave: a torn manifest row and a temporary file
    with open(out / "manifest.jsonl", "a") as manifest:
        manifest.write('{"file": "circuit_0000')
    (out / f".circuit_{N - 1:06d}.qasm.qneuro-k1ll3d.tmp").write_text("half a circ")

    assert main(["generate", "--out", str(out), *SETTINGS]) == 0

    files = _manifest_files(out)
    assert len(files) == len(set(files)) == N
    assert set(files) == set(_circuits(out)) == {f"circuit_{i:06d}.qasm" for i in range(N)}
    assert not list(out.glob(".*.tmp"))
    fresh = tmp_path / "fresh"
    assert main(["generate", "--out", str(fresh), *SETTINGS]) == 0
    assert _circuits(out) == _circuits(fresh)
    rows = {json.dumps(json.loads(line), sort_keys=True) for line in open(out / "manifest.jsonl")}
    fresh_rows = (fresh / "manifest.jsonl").read_text().splitlines()
    assert rows == {json.dumps(json.loads(line), sort_keys=True) for line in fresh_rows}


def test_corpus_build_removes_staging_folders_of_a_killed_build(tmp_path):
    from qneuro.generators.corpus import build_corpus

    out = tmp_path / "corpus"
    stale = tmp_path / ".corpus.qneuro-k1ll3d.tmp"
    (stale / "real").mkdir(parents=True)
    unrelated = tmp_path / ".corpus-notes.tmp"
    unrelated.mkdir()
    build_corpus(out, max_qubits=3, families=["ghz"], seeds=1, progress=False)
    assert not stale.exists() and unrelated.exists()
    assert (out / "manifest.jsonl").is_file() and not list(tmp_path.glob(".corpus.*"))
