"""The README and docs/ hold: links resolve, commands parse, cheap snippets run."""

import pathlib
import re
import shlex

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]

#: README snippets too slow for the suite, by a phrase they contain, and why.
SLOW_SNIPPETS = {
    "run_continual(": "ten HLOP tasks take minutes (tests/hlop runs the same code small)",
    "TrainConfig(env=": "3,000 training steps (tests/rl trains the same way, shorter)",
}


def blocks(page: pathlib.Path, languages: tuple[str, ...]) -> list[str]:
    """The fenced code blocks of ``page`` whose language is one of ``languages``."""
    pattern = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
    return [m.group(2) for m in pattern.finditer(page.read_text()) if m.group(1) in languages]


def commands(page: pathlib.Path, program: str) -> list[str]:
    """Command lines of shell blocks that start with ``program`` (continuations joined)."""
    found = []
    for block in blocks(page, ("sh", "bash", "console")):
        text = block.replace("\\\n", " ")
        for line in text.splitlines():
            words = line.split()
            while words and ("=" in words[0] or words[0] == "nohup"):  # VAR=value, nohup
                words = words[1:]
            if words and words[0].endswith(program):
                found.append(" ".join(words))
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_links_resolve(page):
    for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
        if target.startswith(("http://", "https://", "#")):
            continue
        path = (page.parent / target.split("#")[0]).resolve()
        assert path.exists(), f"{page.name} links to {target}, which does not exist"


def test_every_qneuro_command_parses():
    from qneuro.cli import _parser
    from qneuro.commands import UsageError

    parser = _parser()
    seen = 0
    for page in PAGES:
        for line in commands(page, "qneuro"):
            synopsis = re.sub(r"\s\[--[^\]]*\]", "", line)  # optional parts of a usage line
            args = shlex.split(synopsis, comments=True)[1:]
            if args[-1:] == ["&"]:
                args = args[:-1]
            args = [a.split("|")[0] if a[:1].isalnum() else a for a in args]  # A|B: first
            try:
                parser.parse_args(args)
            except UsageError as exc:
                raise AssertionError(f"{page.name}: `{line}` does not parse") from exc
            seen += 1
    assert seen > 20


def test_every_benchmark_command_names_a_script_and_its_options():
    seen = 0
    for page in PAGES:
        for line in commands(page, "python"):
            words = shlex.split(line, comments=True)
            scripts = [w for w in words if w.endswith(".py")]
            if not scripts or not scripts[0].startswith(("benchmarks/", "examples/")):
                continue
            script = ROOT / scripts[0]
            assert script.exists(), f"{page.name}: `{line}` runs a missing script"
            source = script.read_text()
            for option in (w.split("=")[0] for w in words if w.startswith("--")):
                assert f'"{option}"' in source, f"{page.name}: {script.name} has no {option}"
            seen += 1
    assert seen > 10


def _snippets():
    out = []
    for i, code in enumerate(blocks(ROOT / "README.md", ("python",))):
        slow = next((why for phrase, why in SLOW_SNIPPETS.items() if phrase in code), None)
        marks = [pytest.mark.skip(reason=slow)] if slow else []
        out.append(pytest.param(code, id=f"readme-{i}", marks=marks))
    return out


@pytest.mark.parametrize("code", _snippets())
def test_readme_python_snippet_runs(code, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {"__name__": "readme"})  # noqa: S102
