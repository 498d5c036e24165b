"""Mutation testing of the checks: do they tell right code from plausibly wrong code?

A check that passes the reference solution and fails the stub can still let
wrong code through. ``make mutants`` measures how much: it takes each lesson's
solution, changes one small thing inside one of its TODO regions (a mutant:
``<`` for ``<=``, ``rows[-1] + 1`` for ``rows[-1]``, two arguments swapped,
a keyword argument dropped, the wrong variable returned, ...), and grades the
changed file with that lesson's checks, exactly as ``make check-lessonN`` would
(a process per mutant, the lesson's time limits). A mutant is

* **killed** when at least one check fails, **timed out** when the checks ran
  past their limit (both count as caught);
* **survived** when every check passes: wrong code the checks cannot see;
* **equivalent** when the change does not change behaviour at all (a figure a
  little larger, a keyword that repeats the default). Those are listed, each
  with a reason, in ``checks/mutants.toml`` after a person has read them, and
  are left out of the score.

The mutation score of a lesson is caught / (mutants - equivalent).

Why not mutmut or cosmic-ray? Both mutate whole modules, not marked regions of
one file; mutmut 3 runs the tests in forked children of one process (which
TensorFlow does not survive) through trampolines in a ``mutants/`` copy, and
cosmic-ray writes each mutant over the file in place, one at a time. Grading a
copied tree with the course's own runner is simpler, parallel, and tests the
checks exactly as learners meet them. The operators below follow theirs.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import tomllib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from course import stubs
from course.lessons import CHECKS_DIR, ROOT, SOLUTIONS_DIR, all_lessons, display_path, get_lesson

REVIEWED = CHECKS_DIR / "mutants.toml"
OUTPUT = ROOT / "outputs" / "mutants"

# Plausible slips between names that look alike (a mutant swaps one for the other).
SWAPS = {
    "min": "max", "max": "min", "argmin": "argmax", "argmax": "argmin", "sum": "mean", "mean": "sum",
    "median": "mean", "any": "all", "all": "any", "floor": "ceil", "ceil": "floor",
    "MaxFilter": "MinFilter", "MinFilter": "MaxFilter", "rows": "columns", "columns": "rows",
    "float32": "float64", "relu": "sigmoid", "softmax": "sigmoid", "x_train": "x_test", "y_train": "y_test",
    "x_test": "x_train", "y_test": "y_train", "loss": "accuracy", "accuracy": "loss", "val_loss": "loss",
    "val_accuracy": "accuracy", "train": "validation", "validation": "train", "predicted": "true", "true": "predicted",
    "categorical_crossentropy": "mean_squared_error",
}  # fmt: skip
COMPARE_SWAPS = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}  # fmt: skip
BINOP_SWAPS = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult, ast.BitOr: ast.BitAnd, ast.BitAnd: ast.BitOr,
}  # fmt: skip
ATOMS = (ast.Name, ast.Constant, ast.Attribute, ast.Call, ast.Subscript, ast.List, ast.Tuple, ast.Dict, ast.Set)


@dataclass(frozen=True)
class Mutant:
    """One small change to a solution, inside one TODO region."""

    lesson: int
    todo: int
    function: str
    line: int
    operator: str
    before: str  # the original code of the changed node
    after: str  # what it became
    source: str = field(repr=False)  # the whole mutated file
    occurrence: int = 0  # the same change earlier in the same function: 0 for the first

    @property
    def id(self) -> str:
        """Stable across runs and unrelated edits: the lesson, the TODO and a hash of the change."""
        key = f"{self.function}\0{self.operator}\0{self.before}\0{self.after}\0{self.occurrence}"
        return f"L{self.lesson}-T{self.todo}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"

    @property
    def description(self) -> str:
        return f"line {self.line}, {self.function}(): `{_short(self.before)}` → `{_short(self.after)}` ({self.operator})"


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------
# Generating mutants


def _variants(node: ast.AST, names_returned: list[str], defaults: dict[str, ast.expr]) -> list[tuple[str, ast.AST | None]]:
    """The mutations of one node: (operator name, replacement node or None to drop a statement).

    ``names_returned`` are the variables the function assigns (for "returned another variable");
    ``defaults`` its parameters' default values (for "ignored argument": the default used instead).
    """
    out: list[tuple[str, ast.AST | None]] = []

    def changed(operator: str, **fields):
        clone = copy.deepcopy(node)
        for name, value in fields.items():
            setattr(clone, name, value)
        out.append((operator, clone))

    if isinstance(node, ast.BinOp):
        swap = BINOP_SWAPS.get(type(node.op))
        if swap:
            changed("operator", op=swap())
        if isinstance(node.op, (ast.Sub, ast.Div, ast.FloorDiv)):
            changed("swapped operands", left=copy.deepcopy(node.right), right=copy.deepcopy(node.left))
        for side, other in (("right", node.left), ("left", node.right)):
            operand = getattr(node, side)
            if isinstance(operand, ast.Constant) and operand.value == 1 and isinstance(node.op, (ast.Add, ast.Sub)):
                out.append(("off by one", copy.deepcopy(other)))
    elif isinstance(node, ast.Compare) and len(node.ops) == 1:
        swap = COMPARE_SWAPS.get(type(node.ops[0]))
        if swap:
            changed("comparison", ops=[swap()])
    elif isinstance(node, ast.BoolOp):
        changed("boolean operator", op=ast.Or() if isinstance(node.op, ast.And) else ast.And())
        for value in node.values:
            out.append(("dropped condition", copy.deepcopy(value)))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
        out.append(("dropped " + ("not" if isinstance(node.op, ast.Not) else "minus"), copy.deepcopy(node.operand)))
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            changed("boolean", value=not value)
        elif isinstance(value, int):
            changed("number", value=value + 1)
            changed("number", value=value - 1 if value else 2)
        elif isinstance(value, float):
            changed("number", value=value + 1.0)
            changed("number", value=value / 2 if value else 0.5)
        elif isinstance(value, str) and value in SWAPS:
            changed("name swap", value=SWAPS[value])
    elif isinstance(node, ast.Attribute) and node.attr in SWAPS:
        changed("name swap", attr=SWAPS[node.attr])
    elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        if node.id in SWAPS:
            changed("name swap", id=SWAPS[node.id])
        if node.id in defaults:
            out.append(("ignored argument", copy.deepcopy(defaults[node.id])))
    elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Name) and isinstance(node.ctx, ast.Load):
        changed("index off by one", slice=ast.BinOp(copy.deepcopy(node.slice), ast.Add(), ast.Constant(1)))
    elif isinstance(node, ast.Slice):
        for bound in ("lower", "upper"):
            value = getattr(node, bound)
            if value is not None:
                for op in (ast.Add(), ast.Sub()):
                    changed("slice off by one", **{bound: ast.BinOp(copy.deepcopy(value), op, ast.Constant(1))})
                changed("slice bound dropped", **{bound: None})
    elif isinstance(node, ast.Call):
        if len(node.args) >= 2 and not any(isinstance(arg, ast.Starred) for arg in node.args[:2]):
            changed("swapped arguments", args=[copy.deepcopy(node.args[1]), copy.deepcopy(node.args[0]), *copy.deepcopy(node.args[2:])])
        if len(node.args) >= 2:
            changed("dropped argument", args=copy.deepcopy(node.args[:-1]))
        for index, keyword in enumerate(node.keywords):
            if keyword.arg is not None:
                changed(f"dropped keyword {keyword.arg}=", keywords=[k for i, k in enumerate(copy.deepcopy(node.keywords)) if i != index])
    elif isinstance(node, ast.Tuple) and len(node.elts) == 2 and isinstance(node.ctx, ast.Load):
        changed("swapped pair", elts=[copy.deepcopy(node.elts[1]), copy.deepcopy(node.elts[0])])
    elif isinstance(node, ast.If):
        changed("negated condition", test=ast.UnaryOp(ast.Not(), copy.deepcopy(node.test)))
        out.append(("dropped if", None))
    elif isinstance(node, ast.Return) and isinstance(node.value, ast.Name):
        for name in names_returned:
            if name != node.value.id:
                changed("returned another variable", value=ast.Name(name, ast.Load()))
    elif isinstance(node, (ast.Expr, ast.Assign, ast.AugAssign, ast.For, ast.With, ast.Raise)):
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            out.append(("dropped statement", None))
    return out


class _Source:
    """A file's text with byte offsets, to splice a replacement for one node."""

    def __init__(self, text: str):
        self.text = text
        self.lines = text.encode().splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))
        self.data = text.encode()

    def span(self, node: ast.AST) -> tuple[int, int]:
        return self.starts[node.lineno - 1] + node.col_offset, self.starts[node.end_lineno - 1] + node.end_col_offset

    def segment(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.data[start:end].decode()

    def replace(self, node: ast.AST, text: str) -> str:
        start, end = self.span(node)
        return (self.data[:start] + text.encode() + self.data[end:]).decode()


def _in_fstring(tree: ast.AST) -> set[int]:
    """ids of nodes inside f-strings (their positions are unreliable, and messages are not behaviour)."""
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            inside.update(id(child) for child in ast.walk(node))
    return inside


def _replacement_text(node: ast.AST, replacement: ast.AST | None) -> str:
    if replacement is None:
        return "pass"
    text = ast.unparse(ast.fix_missing_locations(replacement))
    if isinstance(replacement, ast.expr) and not isinstance(replacement, ATOMS):
        return f"({text})"
    return text


def mutants_of(lesson_id: int, source: str | None = None) -> list[Mutant]:
    """Every mutant of lesson ``lesson_id``'s solution, inside its TODO regions only, in source order."""
    lesson = get_lesson(lesson_id)
    path = lesson.stub_path(SOLUTIONS_DIR)
    source = path.read_text() if source is None else source
    tree = ast.parse(source)
    todos = stubs.parse(source, display_path(path))
    text = _Source(source)
    skip = _in_fstring(tree)
    functions = {id(child): node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) for child in ast.walk(node)}
    defaults = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            arguments = node.args.posonlyargs + node.args.args
            pairs = zip(arguments[len(arguments) - len(node.args.defaults) :], node.args.defaults)
            pairs = [*pairs, *((a, d) for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults) if d is not None)]
            defaults[node.name] = {argument.arg: default for argument, default in pairs}
    returned = {
        node.name: sorted({t.id for child in ast.walk(node) if isinstance(child, ast.Assign) for t in child.targets if isinstance(t, ast.Name)})
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
    }
    found: dict[str, Mutant] = {}
    seen: Counter = Counter()
    original = ast.dump(tree)
    nodes = sorted((node for node in ast.walk(tree) if hasattr(node, "lineno")), key=lambda node: (node.lineno, node.col_offset))
    for node in nodes:
        line, end = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        if line is None or id(node) in skip:
            continue
        todo = next((todo for todo in todos if todo.start < line and end < todo.end), None)
        if todo is None:
            continue
        function = functions.get(id(node), "<module>")
        for operator, replacement in _variants(node, returned.get(function, []), defaults.get(function, {})):
            before = text.segment(node)
            after = _replacement_text(node, replacement)
            mutated = text.replace(node, after)
            try:
                mutated_tree = ast.parse(mutated)
                compile(mutated_tree, str(path), "exec")
            except SyntaxError:
                continue
            if ast.dump(mutated_tree) == original:
                continue
            if mutated in {mutant.source for mutant in found.values()}:
                continue  # the same file reached by another route
            key = (function, operator, before, after)
            mutant = Mutant(lesson.id, todo.number, function, line, operator, before, after, mutated, seen[key])
            seen[key] += 1
            found[mutant.id] = mutant
    return sorted(found.values(), key=lambda mutant: (mutant.line, mutant.id))


# ---------------------------------------------------------------------------
# The reviewed list: equivalent mutants and the fixed sample


def reviewed() -> dict:
    """checks/mutants.toml: {"equivalent": {id: reason}, "sample": [ids]}."""
    try:
        data = tomllib.loads(REVIEWED.read_text())
    except FileNotFoundError:
        return {"equivalent": {}, "sample": []}
    equivalent = {entry["id"]: entry["reason"] for entry in data.get("equivalent", [])}
    return {"equivalent": equivalent, "sample": list(data.get("sample", {}).get("ids", []))}


# ---------------------------------------------------------------------------
# Running the checks against a mutant


@dataclass
class Outcome:
    mutant: Mutant
    status: str  # killed, timed out, survived, equivalent
    seconds: float
    caught_by: str = ""  # the first check that failed


def run_mutant(mutant: Mutant, workdir: Path, threads: int | None = None) -> Outcome:
    """Grade a copy of solutions/ with this mutant in place, stopping at the first failed check."""
    from course.runner import check_environment, process_limit, pytest_command, run_process

    lesson = get_lesson(mutant.lesson)
    tree = workdir / "tree"
    shutil.copytree(SOLUTIONS_DIR, tree, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.h5", "*.bak"))
    lesson.stub_path(tree).write_text(mutant.source)
    results = workdir / "results.json"
    outputs = workdir / "outputs"
    outputs.mkdir()
    extra = {"COURSE_OUTPUTS": str(outputs), "NO_COLOR": "1", "MPLCONFIGDIR": str(workdir / "mpl")}
    if threads:
        extra.update(TF_NUM_INTRAOP_THREADS=str(threads), TF_NUM_INTEROP_THREADS="1", OMP_NUM_THREADS=str(threads))
    command = pytest_command(lesson, [lesson.checks_path], results_file=results, extra=("-x", "--basetemp", str(workdir / "pytest")))
    started = time.monotonic()
    status = run_process(command, check_environment(tree, extra), process_limit(lesson), quiet=True, cwd=workdir)
    seconds = time.monotonic() - started
    if status is None:
        return Outcome(mutant, "timed out", seconds, "the whole lesson's time limit")
    try:
        checks = json.loads(results.read_text())["checks"]
    except (OSError, ValueError, KeyError):
        return Outcome(mutant, "killed", seconds, f"the checks' process ended early (exit status {status})")
    failed = next((check for check in checks if check["status"] != "passed"), None)
    if failed is None and status == 0:
        return Outcome(mutant, "survived", seconds)
    if failed is None:
        return Outcome(mutant, "killed", seconds, f"exit status {status}")
    return Outcome(mutant, "timed out" if failed["status"] == "timeout" else "killed", seconds, failed["name"])


def clean_run_problems(lessons, jobs: int | None = None) -> list[str]:
    """Grade the unchanged solutions first, as mutation testers do: a check that fails there would "kill" every mutant."""
    lesson_ids = [lesson.id for lesson in lessons]
    originals = [Mutant(lesson_id, 0, "", 0, "none", "", "", get_lesson(lesson_id).stub_path(SOLUTIONS_DIR).read_text()) for lesson_id in lesson_ids]
    problems = []
    with tempfile.TemporaryDirectory(prefix="course-mutants-clean-") as scratch, ThreadPoolExecutor(max_workers=max(1, jobs or os.cpu_count() or 1)) as pool:
        folders = [Path(scratch) / str(lesson_id) for lesson_id in lesson_ids]
        for folder in folders:
            folder.mkdir()
        for outcome in pool.map(run_mutant, originals, folders):
            if outcome.status != "survived":
                problems.append(f"lesson {outcome.mutant.lesson}: {outcome.caught_by or outcome.status}")
    return problems


def run_all(mutants: list[Mutant], jobs: int | None = None, progress: bool = True) -> list[Outcome]:
    """Grade every mutant, ``jobs`` at a time; equivalent ones (checks/mutants.toml) are not run."""
    from tqdm import tqdm

    equivalent = reviewed()["equivalent"]
    jobs = max(1, jobs or os.cpu_count() or 1)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    outcomes = [Outcome(mutant, "equivalent", 0.0) for mutant in mutants if mutant.id in equivalent]
    to_run = [mutant for mutant in mutants if mutant.id not in equivalent]
    with tempfile.TemporaryDirectory(prefix="course-mutants-") as scratch:
        bar = tqdm(total=len(to_run), unit="mutant", disable=not (progress and sys.stderr.isatty()), dynamic_ncols=True)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {}
            for number, mutant in enumerate(to_run):
                folder = Path(scratch) / f"{number:04d}"
                folder.mkdir()
                futures[pool.submit(run_mutant, mutant, folder, threads)] = folder
            for future in as_completed(futures):
                outcome = future.result()
                outcomes.append(outcome)
                shutil.rmtree(futures[future], ignore_errors=True)
                if outcome.status == "survived":
                    bar.write(f"  survived: {outcome.mutant.id}  {outcome.mutant.description}")
                bar.update()
        bar.close()
    return sorted(outcomes, key=lambda outcome: (outcome.mutant.lesson, outcome.mutant.line, outcome.mutant.id))


# ---------------------------------------------------------------------------
# Reporting


def score(outcomes: list[Outcome]) -> dict:
    counts = Counter(outcome.status for outcome in outcomes)
    counted = len(outcomes) - counts["equivalent"]
    caught = counts["killed"] + counts["timed out"]
    return {
        "mutants": len(outcomes),
        "equivalent": counts["equivalent"],
        "killed": counts["killed"],
        "timed_out": counts["timed out"],
        "survived": counts["survived"],
        "score": round(100 * caught / counted, 1) if counted else 100.0,
    }


def diff_of(mutant: Mutant) -> str:
    import difflib

    lesson = get_lesson(mutant.lesson)
    path = f"solutions/{lesson.dir}/{lesson.stub}"
    original = lesson.stub_path(SOLUTIONS_DIR).read_text().splitlines(keepends=True)
    changed = mutant.source.splitlines(keepends=True)
    header = f"# {mutant.id}: {mutant.description}\n"
    return header + "".join(difflib.unified_diff(original, changed, path, f"{path} (mutant {mutant.id})", n=2))


def write_report(outcomes: list[Outcome], out: Path = OUTPUT) -> dict:
    """Per-lesson scores to summary.json, and each survivor as a diff under out/lessonNN/."""
    out.mkdir(parents=True, exist_ok=True)
    summary = {}
    for lesson in all_lessons():
        mine = [outcome for outcome in outcomes if outcome.mutant.lesson == lesson.id]
        if not mine:
            continue
        folder = out / f"lesson{lesson.id:02d}"
        shutil.rmtree(folder, ignore_errors=True)
        survivors = [outcome.mutant for outcome in mine if outcome.status == "survived"]
        for mutant in survivors:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{mutant.id}.diff").write_text(diff_of(mutant))
        summary[lesson.id] = {
            **score(mine),
            "survivors": [{"id": m.id, "description": m.description} for m in survivors],
            "operators": dict(Counter(outcome.mutant.operator.split(" ")[0] for outcome in mine)),
        }
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    return summary


def print_report(summary: dict, out: Path = OUTPUT) -> None:
    header = ("Lesson", "Mutants", "Equivalent", "Killed", "Timed out", "Survived", "Score")
    rows = [
        (f"{lesson_id} · {get_lesson(lesson_id).title}", str(s["mutants"]), str(s["equivalent"]), str(s["killed"]),
         str(s["timed_out"]), str(s["survived"]), f"{s['score']:.1f}%")
        for lesson_id, s in summary.items()
    ]  # fmt: skip
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
    for row in [header, tuple("-" * width for width in widths), *rows]:
        print("  " + "  ".join(cell.ljust(width) if column == 0 else cell.rjust(width) for column, (cell, width) in enumerate(zip(row, widths))))
    survivors = sum(s["survived"] for s in summary.values())
    if survivors:
        print(f"\n{survivors} survivor(s), each saved as a diff under {display_path(out)}/lessonNN/:")
        for lesson_id, s in summary.items():
            for survivor in s["survivors"]:
                print(f"  {survivor['id']}  {survivor['description']}")
        print("Review each one: a check that catches it, or an entry in checks/mutants.toml if it changes nothing.")


THRESHOLD = 90.0  # the score every lesson must reach


def main(
    lesson_ids: list[int] | None = None, sample: bool = False, jobs: int | None = None, progress: bool = True, ids: list[str] | None = None
) -> int:
    """``make mutants``: generate, grade, report. Exit status 0 when every lesson scores >= THRESHOLD.

    With ``sample`` only the fixed sample of checks/mutants.toml runs (``ids``: only those mutants),
    and every one of them must be caught.
    """
    if ids:
        lesson_ids = sorted({int(mutant_id[1:].split("-")[0]) for mutant_id in ids})
    lessons = [lesson for lesson in all_lessons() if lesson_ids is None or lesson.id in lesson_ids]
    mutants = [mutant for lesson in lessons for mutant in mutants_of(lesson.id)]
    known = {mutant.id for mutant in mutants}
    review = reviewed()
    stale = [mutant_id for mutant_id in review["equivalent"] if mutant_id not in known and int(mutant_id[1:].split("-")[0]) in {l.id for l in lessons}]
    if sample or ids:
        sample = True
        wanted = ids or [mutant_id for mutant_id in review["sample"] if int(mutant_id[1:].split("-")[0]) in {l.id for l in lessons}]
        missing = [mutant_id for mutant_id in wanted if mutant_id not in known]
        if missing:
            print(f"✗ these mutants do not exist (any more): {', '.join(missing)}")
            return 1
        mutants = [mutant for mutant in mutants if mutant.id in wanted]
        print(f"Mutation testing, {'the mutants asked for' if ids else 'fixed sample'}: {len(mutants)} mutants of lessons {', '.join(str(l.id) for l in lessons)}")
    else:
        print(f"Mutation testing: {len(mutants)} mutants of the solutions' TODO regions, "
              f"each graded like `make check-lessonN` ({jobs or os.cpu_count()} at a time)")  # fmt: skip
    started = time.monotonic()
    broken = clean_run_problems(lessons, jobs)
    if broken:
        print("✗ The checks do not pass on the solutions themselves, so no mutant can be judged:")
        for problem in broken:
            print(f"  {problem}")
        print("Run `make check TARGET=solutions` to see why (is MNIST where the course looks? `make data`).")
        return 1
    outcomes = run_all(mutants, jobs, progress)
    if sample:
        escaped = [outcome for outcome in outcomes if outcome.status == "survived"]
        for outcome in outcomes:
            mark = "✗ survived" if outcome.status == "survived" else f"✓ {outcome.status}"
            print(f"  {mark:12} {outcome.mutant.id}  {outcome.mutant.description}" + (f"  [{outcome.caught_by}]" if outcome.caught_by else ""))
        print(f"{len(outcomes) - len(escaped)}/{len(outcomes)} {'' if ids else 'sample '}mutants caught in {time.monotonic() - started:.0f} s.")
        return 1 if escaped else 0
    summary = write_report(outcomes)
    print()
    print_report(summary)
    if stale:
        print(f"\nchecks/mutants.toml lists equivalents that no longer exist (remove them): {', '.join(stale)}")
    low = [lesson_id for lesson_id, s in summary.items() if s["score"] < THRESHOLD]
    print(f"\nTook {time.monotonic() - started:.0f} s. Report: {display_path(OUTPUT / 'summary.json')}")
    if low:
        print(f"✗ below {THRESHOLD:g}%: lesson {', '.join(map(str, low))}")
    else:
        print(f"✓ every lesson scores at least {THRESHOLD:g}%")
    return 1 if low or stale else 0
