"""The house plan holds: small modules, packages that say what they are for, one command line, no format escapes."""

import ast
import subprocess
import sys

import pytest

from course.lessons import ROOT

MAX_LINES = 300
COURSE = ROOT / "course"
ESCAPES = ("sk" + "ip", "o" + "ff")  # spelled apart, so this file does not find itself
PACKAGES = sorted(path.parent for path in COURSE.rglob("__init__.py"))


def test_every_course_module_is_at_most_300_lines():
    """A module a newcomer can read in one sitting; past that it is two modules."""
    long = {
        str(path.relative_to(ROOT)): count
        for path in sorted(COURSE.rglob("*.py"))
        if (count := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


@pytest.mark.parametrize("package", PACKAGES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_package_says_what_it_is_for(package):
    """Each package's docstring names its purpose and who may import it (or which command uses it)."""
    docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
    assert docstring and len(docstring.splitlines()) >= 3, f"{package.relative_to(ROOT)}/__init__.py needs a docstring"
    assert any(word in docstring for word in ("import", "make ", "command")), docstring


def test_nothing_asks_the_formatter_to_look_away():
    """No comment asks ruff format to look away (skip, off) in the course's code, checks, solutions or tests."""
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("course", "checks", "solutions", "lessons", "tests")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if any(f"fmt: {word}" in line for word in ESCAPES)
    ]
    assert not found, found


def test_one_command_line():
    """Only course/__main__.py runs as a program: no other module has its own argparse entry point."""
    others = [
        str(path.relative_to(ROOT))
        for path in sorted(COURSE.rglob("*.py"))
        if path.name != "__main__.py" and path.parent.name != "cli"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr == "ArgumentParser"
    ]
    assert not others, f"argparse outside course/cli/: {others}"
    main = (COURSE / "__main__.py").read_text()
    assert len([line for line in main.splitlines() if line.strip()]) <= 3


def test_the_help_lists_commands_by_who_runs_them():
    """`python -m course --help` groups the commands: learners, instructors, course makers."""
    shown = subprocess.run(
        [sys.executable, "-m", "course", "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    groups = [shown.index(group) for group in ("learners:", "instructors and app users:", "course makers:")]
    assert groups == sorted(groups)
    for command in ("check", "progress", "grade-all", "gradescope", "stubs", "mutants", "bench-grade", "train"):
        assert f"\n  {command} " in shown, command


def test_the_readme_layout_names_every_course_module():
    """README's Layout section is the map: every module and package of course/ is on it, and nothing else."""
    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout") :]
    layout = layout[: layout.index("\n## ")] if "\n## " in layout else layout
    drawn = layout[layout.index("course/") :]
    missing = [
        str(path.relative_to(ROOT))
        for path in sorted(COURSE.rglob("*.py"))
        if path.name not in ("__init__.py", "__main__.py") and path.name not in drawn
    ]
    assert not missing, f"modules missing from README's Layout: {missing}"
    for package in PACKAGES[1:]:
        assert f"{package.name}/" in drawn, package


def test_every_expect_in_the_checks_has_one_argument_per_line():
    """Checks are what instructors copy: condition, what, expected=, found=, hint= each on a line of its own."""
    crowded = []
    for path in sorted((ROOT / "checks").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "expect":
                starts = [argument.lineno for argument in [*node.args, *node.keywords]]
                if len(starts) > 1 and len(set(starts)) < len(starts):
                    crowded.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not crowded, crowded


# Who may import whom inside course/: the rules the package docstrings state, in one table.
# "flat" is every module directly in course/ (the recognizer's machinery and shared helpers).
MAY_IMPORT = {
    "flat": {"flat"},
    "checking": {"flat", "checking"},
    "worker": {"flat", "worker"},
    "learner": {"flat", "checking", "learner"},
    "grading": {"flat", "checking", "grading"},
    "authoring": {"flat", "checking", "grading", "authoring"},
    "handout": {"flat", "grading", "authoring", "handout"},
    "bench": {"flat", "checking", "worker", "learner", "grading", "authoring", "bench"},
    "cli": {"flat", "checking", "worker", "learner", "grading", "authoring", "handout", "bench", "cli"},
}


def _part(module: str) -> str | None:
    """The part of course/ a dotted module name belongs to (None: not the course's)."""
    parts = module.split(".")
    if parts[0] != "course":
        return None
    if len(parts) == 1 or parts[1] not in MAY_IMPORT:
        return "flat"
    return parts[1]


def _imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "course":
                yield from ((f"course.{alias.name}", node.lineno) for alias in node.names)
            else:
                yield node.module, node.lineno


def test_the_import_rules_hold():
    """checking never imports grading or the worker; the worker imports no grader; learner commands no grading."""
    broken = []
    for path in sorted(COURSE.rglob("*.py")):
        relative = path.relative_to(COURSE)
        importer = relative.parts[0] if len(relative.parts) > 1 else "cli" if path.name == "__main__.py" else "flat"
        for module, line in _imports(path):
            imported = _part(module)
            if imported is not None and imported not in MAY_IMPORT[importer]:
                broken.append(f"course/{relative}:{line} ({importer}) imports {module}")
    assert not broken, "\n".join(broken)


def _module_name(path) -> str:
    relative = path.relative_to(COURSE.parent).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def _loads(path):
    """What ``path`` imports, lazily too, and what it loads by name (``importlib.import_module("course.x")``)."""
    yield from (module for module, _line in _imports(path))
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("course."):
            yield from (f"{node.module}.{alias.name}" for alias in node.names)  # a module of a package, by name
        named = isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)  # "course.x"
        loads = named and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
        if loads and str(node.args[0].value).startswith("course."):
            yield node.args[0].value
        computed = isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.JoinedStr)
        if computed and getattr(node.func, "attr", "") == "import_module":
            prefix = node.args[0].values[0]  # f"course.cli.{name}": any module of that package
            if isinstance(prefix, ast.Constant) and str(prefix.value).startswith("course."):
                folder = COURSE.parent / str(prefix.value).rstrip(".").replace(".", "/")
                yield from (_module_name(module) for module in folder.glob("*.py") if module.name != "__init__.py")


def test_no_import_circles():
    """No module of course/ imports (or loads by name) one that imports it back, however far round."""
    modules = {_module_name(path): path for path in COURSE.rglob("*.py") if path.name != "__main__.py"}
    edges = {}
    for name, path in modules.items():
        targets = set()
        for module in _loads(path):
            while module and module not in modules:  # `from course.x import name` where name is not a module
                module = module.rpartition(".")[0]
            package = name if path.name == "__init__.py" else name.rpartition(".")[0]
            if module and module != name and not package.startswith(module):  # a package's face is no arrow back
                targets.add(module)
        edges[name] = targets
    circles, done = [], set()

    def visit(name, trail):
        if name in trail:
            circles.append(" -> ".join([*trail[trail.index(name) :], name]))
            return
        if name in done:
            return
        for target in sorted(edges.get(name, ())):
            visit(target, [*trail, name])
        done.add(name)

    for name in sorted(edges):
        visit(name, [])
    assert not circles, "\n".join(circles)


def test_checks_and_lessons_import_only_what_they_may():
    """Checks use course.checking and the course's data helpers; lesson files use course.helpers alone."""
    broken = []
    for folder, allowed in (("checks", {"flat", "checking"}), ("solutions", set()), ("lessons", set())):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for module, line in _imports(path):
                lesson_file = folder != "checks"
                if lesson_file and module.startswith("course") and module != "course.helpers":
                    broken.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
                if not lesson_file and _part(module) not in (None, *allowed):
                    broken.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not broken, "\n".join(broken)
