"""The layout maps envs/ and generators/ to qneuro.envs and qneuro.generators."""

import importlib
import pathlib
import re
import tomllib

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
    forbidden = (
        "qneuro.cli",
        "qneuro.demo",
        "qneuro.envs",
        "qneuro.generators",
        "qneuro.rl",
        "qneuro.sfq",
        "qneuro.hlop",
    )
    for package in ("ptm", "noise", "chem", "optim"):
        for path in (core / package).rglob("*.py"):
            for name in imports(path):
                assert not name.startswith(forbidden), f"{path} imports {name}"
    for path in (core / "ptm").rglob("*.py"):
        for name in imports(path):
            assert not name.startswith(("qneuro.noise", "..noise")), f"{path} imports {name}"


def test_pyproject_lists_every_package():
    root = pathlib.Path(qneuro.__file__).resolve().parent.parent
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = set()
    for name, folder in config["package-dir"].items():
        for init in (root / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(root / folder)
            found.add(".".join((name, *relative.parts)))
    assert found <= listed, f"packages missing from pyproject.toml: {sorted(found - listed)}"


def test_pillars_do_not_import_each_other():
    root = pathlib.Path(qneuro.__file__).resolve().parent.parent
    pillars = {
        "envs": root / "envs",
        "generators": root / "generators",
        "sfq": root / "qneuro" / "sfq",
        "hlop": root / "qneuro" / "hlop",
    }
    for pillar, folder in pillars.items():
        others = tuple(f"qneuro.{other}" for other in pillars if other != pillar)
        for path in folder.rglob("*.py"):
            for name in imports(path):
                assert not name.startswith((*others, "qneuro.rl", "qneuro.cli")), (
                    f"{path} imports {name}"
                )


def test_only_the_cli_imports_the_sweep_layer():
    root = pathlib.Path(qneuro.__file__).resolve().parent.parent
    sweep = root / "qneuro" / "sweep"
    for path in [
        *(root / "qneuro").rglob("*.py"),
        *(root / "envs").rglob("*.py"),
        *(root / "generators").rglob("*.py"),
    ]:
        if path == root / "qneuro" / "cli.py" or sweep in path.parents:
            continue
        for name in imports(path):
            assert not name.startswith("qneuro.sweep"), f"{path} imports {name}"
    for name in imports(root / "qneuro" / "cluster.py"):
        raise AssertionError(f"qneuro/cluster.py imports {name}")  # Ray only
