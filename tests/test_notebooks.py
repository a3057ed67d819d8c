"""Run every example notebook top to bottom, and keep committed notebooks free of outputs."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "examples" / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
KERNEL_NAME = "python3"


def _kernel_manager(tmp_path: Path) -> KernelManager:
    """A kernel manager whose "python3" kernel is this interpreter (the venv's python).

    A private kernelspec keeps a user- or system-wide "python3" spec that points at
    another interpreter from being picked up.
    """
    spec_dir = tmp_path / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (test)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    specs = KernelSpecManager(kernel_dirs=[str(spec_dir.parent)], ensure_native_kernel=False)
    return KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs)


def _execute(nb, folder: Path, tmp_path: Path, monkeypatch) -> None:
    """Run ``nb`` in ``folder``; the kernel is shut down afterwards, pass or fail.

    The client does not stop a kernel whose manager it was given, and a kernel left
    running until pytest exits skips its own clean-up (temporary folders, brian2 logs).
    """
    monkeypatch.setenv("MPLBACKEND", "Agg")
    km = _kernel_manager(tmp_path)
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name=KERNEL_NAME,
        km=km,
        resources={"metadata": {"path": str(folder)}},
    )
    try:
        client.execute()  # raises nbclient.exceptions.CellExecutionError on a failing cell
    finally:
        if client.kc is not None:
            client.kc.stop_channels()
        if km.has_kernel:
            km.shutdown_kernel()


def test_notebooks_found():
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOK_DIR}"


def test_kernel_is_this_interpreter(tmp_path, monkeypatch):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "import os, sys\nprint(sys.executable)\nprint(os.getcwd())\n"
            "print(os.environ.get('MPLBACKEND'))"
        )
    )
    _execute(nb, NOTEBOOK_DIR, tmp_path, monkeypatch)
    executable, cwd, backend = nb.cells[0].outputs[0]["text"].splitlines()
    assert os.path.realpath(executable) == os.path.realpath(sys.executable)
    assert Path(cwd).resolve() == NOTEBOOK_DIR
    assert backend == "Agg"


def test_kernel_stops_after_the_notebook(tmp_path, monkeypatch):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("import os\nprint(os.getpid())"))
    _execute(nb, NOTEBOOK_DIR, tmp_path, monkeypatch)
    pid = int(nb.cells[0].outputs[0]["text"])
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {index} of {path.name} has stale outputs"
            assert cell.execution_count is None, f"cell {index} of {path.name} has a count"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, tmp_path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    _execute(nb, path.parent, tmp_path, monkeypatch)
