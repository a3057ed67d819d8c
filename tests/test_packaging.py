"""The layout maps envs/ and generators/ to qneuro.envs and qneuro.generators."""

import ast
import importlib
import pathlib
import tomllib

import qneuro


def test_top_level_folders_install_under_qneuro():
    root = pathlib.Path(qneuro.__file__).resolve().parent.parent
    for name, folder in (("qneuro.envs", "envs"), ("qneuro.generators", "generators")):
        module = importlib.import_module(name)
        assert pathlib.Path(module.__file__).resolve().parent == root / folder
        assert module.__doc__


ROOT = pathlib.Path(qneuro.__file__).resolve().parent.parent
FOLDERS = {
    "qneuro": ROOT / "qneuro",
    "qneuro.envs": ROOT / "envs",
    "qneuro.generators": ROOT / "generators",
}

#: The core every pillar builds on, and the pillars (module-name prefixes).
CORE = (
    "qneuro.ptm",
    "qneuro.noise",
    "qneuro.chem",
    "qneuro.optim",
    "qneuro.vqe",
    "qneuro.files",
    "qneuro.checks",
    "qneuro.qasm",
    "qneuro.commands",
    "qneuro.exports",
)
PILLARS = ("qneuro.envs", "qneuro.rl", "qneuro.generators", "qneuro.sfq", "qneuro.hlop")
#: Entry points and tools above the pillars (``qneuro.cluster``, the Ray connection, imports
#: no qneuro module and may be used anywhere).
TOP = ("qneuro.cli", "qneuro.demo", "qneuro.sweep", "qneuro.__main__")


def _modules() -> dict[str, pathlib.Path]:
    modules = {}
    for package, folder in FOLDERS.items():
        for path in folder.rglob("*.py"):
            parts = [p for p in path.relative_to(folder).with_suffix("").parts if p != "__init__"]
            modules[".".join([package, *parts])] = path
    return modules


MODULES = _modules()


def _within(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def import_graph() -> tuple[dict[str, set[str]], list[tuple[str, str, str]]]:
    """Module -> qneuro modules it imports (function-level imports included), and every
    ``from M import _private`` as ``(importer, M, name)``."""
    graph, private = {}, []
    for module, path in MODULES.items():
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                source = node.module or ""
                if node.level:
                    base = package[: len(package) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                for alias in node.names:
                    full = f"{source}.{alias.name}"
                    targets.add(full if full in MODULES else source)
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        private.append((module, source, alias.name))
        resolved = set()
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != module:
                resolved.add(target)
        graph[module] = resolved
    return graph, private


def test_core_imports_no_pillar_and_the_simulator_no_noise():
    graph, _ = import_graph()
    for module, targets in graph.items():
        if _within(module, CORE):
            bad = {t for t in targets if _within(t, PILLARS + TOP)}
            assert not bad, f"{module} imports {sorted(bad)}"
        if _within(module, ("qneuro.ptm",)):
            bad = {t for t in targets if _within(t, ("qneuro.noise",))}
            assert not bad, f"{module} imports {sorted(bad)}"


def test_pillars_import_no_other_pillar_except_rl_from_envs():
    graph, _ = import_graph()
    allowed = {"qneuro.rl": ("qneuro.envs",)}
    for module, targets in graph.items():
        pillar = next((p for p in PILLARS if _within(module, (p,))), None)
        if pillar is None:
            continue
        others = tuple(p for p in PILLARS if p != pillar and p not in allowed.get(pillar, ()))
        bad = {t for t in targets if _within(t, others + TOP)}
        assert not bad, f"{module} imports {sorted(bad)}"


def test_no_import_cycle():
    graph, _ = import_graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycle = path[path.index(target) :] + [target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_no_private_name_is_imported_from_another_module():
    _, private = import_graph()
    assert not private, [f"{m} imports {name} from {source}" for m, source, name in private]


def test_the_graph_sees_imports_an_import_test_must_catch():
    """The checks above would fail on a pillar import, a cycle and a private import."""
    graph, _ = import_graph()
    assert "qneuro.envs" in graph["qneuro.rl.checkpoint"]  # a function-level import
    assert "qneuro.noise.presets" in graph["qneuro.noise.profile"]  # from . import presets
    assert "qneuro.ptm.sweep" in graph["qneuro.vqe"]


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


def test_only_the_cli_imports_the_sweep_layer_and_cluster_imports_nothing():
    graph, _ = import_graph()
    for module, targets in graph.items():
        if module != "qneuro.cli" and not _within(module, ("qneuro.sweep",)):
            bad = {t for t in targets if _within(t, ("qneuro.sweep",))}
            assert not bad, f"{module} imports {sorted(bad)}"
    assert graph["qneuro.cluster"] == set()  # Ray only


def test_packages_export_their_names_one_way_and_import_torch_and_brian2_late():
    import subprocess
    import sys

    code = (
        "import sys, qneuro.rl, qneuro.sfq, qneuro.generators, qneuro.envs\n"
        "assert 'torch' not in sys.modules and 'brian2' not in sys.modules, 'loaded early'\n"
        "for package in (qneuro.rl, qneuro.sfq, qneuro.generators):\n"
        "    for name in package.__all__:\n"
        "        assert getattr(package, name) is not None, (package.__name__, name)\n"
        "    assert set(package.__all__) <= set(dir(package))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
