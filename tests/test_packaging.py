"""The layout maps envs/ and generators/ to qneuro.envs and qneuro.generators."""

import importlib
import pathlib
import re

import qneuro


def test_top_level_folders_install_under_qneuro():
    root = pathlib.Path(qneuro.__file__).resolve().parent.parent
    for name, folder in (("qneuro.envs", "envs"), ("qneuro.generators", "generators")):
        module = importlib.import_module(name)
        assert pathlib.Path(module.__file__).resolve().parent == root / folder
        assert module.__doc__


def imports(path: pathlib.Path) -> set[str]:
    pattern = r"^\s*(?:from|import)\s+(qneuro[\w.]*|\.+[\w.]*)"
    return set(re.findall(pattern, path.read_text(), flags=re.MULTILINE))


def test_core_does_not_import_pillars_or_cli():
    core = pathlib.Path(qneuro.__file__).resolve().parent
    forbidden = ("qneuro.cli", "qneuro.envs", "qneuro.generators", "qneuro.demo")
    for package in ("ptm", "noise"):
        for path in (core / package).rglob("*.py"):
            for name in imports(path):
                assert not name.startswith(forbidden), f"{path} imports {name}"
    for path in (core / "ptm").rglob("*.py"):
        for name in imports(path):
            assert not name.startswith(("qneuro.noise", "..noise")), f"{path} imports {name}"
