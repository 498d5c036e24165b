"""Mutants of a lesson's solution: one small, plausible slip inside one of its TODO regions.

The operators (``_variants``): ``<`` for ``<=`` and the like, arithmetic
swapped, constants off by one, slices one short, two arguments swapped,
another axis, a statement or keyword dropped, an ignored argument replaced by
its default, the wrong variable returned. Only the TODO regions are mutated:
the given code is the course's, not the learner's. ``course/authoring/mutants.py``
grades the mutants and scores the checks.
"""

from __future__ import annotations

import ast
import copy
import hashlib
from collections import Counter
from dataclasses import dataclass, field

from course.authoring import stubs
from course.lessons import SOLUTIONS_DIR, display_path, get_lesson

# Plausible slips between names that look alike (a mutant swaps one for the other).
_BOTH_WAYS = ("min max", "argmin argmax", "sum mean", "any all", "floor ceil", "MaxFilter MinFilter", "rows columns")
_BOTH_WAYS += ("x_train x_test", "y_train y_test", "loss accuracy", "train validation", "predicted true")
_ONE_WAY = {"median": "mean", "float32": "float64", "relu": "sigmoid", "softmax": "sigmoid", "val_loss": "loss"}
_ONE_WAY |= {"val_accuracy": "accuracy", "categorical_crossentropy": "mean_squared_error"}
SWAPS = {a: b for pair in _BOTH_WAYS for a, b in (pair.split(), pair.split()[::-1])} | _ONE_WAY
COMPARE_SWAPS = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
BINOP_SWAPS = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv,
    ast.Pow: ast.Mult,
    ast.BitOr: ast.BitAnd,
    ast.BitAnd: ast.BitOr,
}
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
    held_out = False  # as a learner bug says it (an AST mutant never comes from the catalogue's held-out half)

    @property
    def id(self) -> str:
        """Stable across runs and unrelated edits: the lesson, the TODO and a hash of the change."""
        key = f"{self.function}\0{self.operator}\0{self.before}\0{self.after}\0{self.occurrence}"
        return f"L{self.lesson}-T{self.todo}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"

    @property
    def description(self) -> str:
        return (
            f"line {self.line}, {self.function}(): `{_short(self.before)}` → `{_short(self.after)}` ({self.operator})"
        )


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------
# Generating mutants


def _variants(
    node: ast.AST, names_returned: list[str], defaults: dict[str, ast.expr]
) -> list[tuple[str, ast.AST | None]]:
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
            changed(
                "swapped arguments",
                args=[copy.deepcopy(node.args[1]), copy.deepcopy(node.args[0]), *copy.deepcopy(node.args[2:])],
            )
        if len(node.args) >= 2:
            changed("dropped argument", args=copy.deepcopy(node.args[:-1]))
        for index, keyword in enumerate(node.keywords):
            if keyword.arg is not None:
                changed(
                    f"dropped keyword {keyword.arg}=",
                    keywords=[k for i, k in enumerate(copy.deepcopy(node.keywords)) if i != index],
                )
    elif isinstance(node, ast.Tuple) and len(node.elts) == 2 and isinstance(node.ctx, ast.Load):
        changed("swapped pair", elts=[copy.deepcopy(node.elts[1]), copy.deepcopy(node.elts[0])])
    elif isinstance(node, ast.If):
        changed("negated condition", test=ast.UnaryOp(ast.Not(), copy.deepcopy(node.test)))
        out.append(("dropped if", None))
    elif isinstance(node, ast.Return) and isinstance(node.value, ast.Name):
        for name in names_returned:
            if name != node.value.id:
                changed("returned another variable", value=ast.Name(name, ast.Load()))
    elif isinstance(node, (ast.Expr, ast.Assign, ast.AugAssign, ast.For, ast.With, ast.Raise)) and not (
        isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    ):  # a statement, not a docstring
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
    path = lesson.file_in(SOLUTIONS_DIR)
    source = path.read_text() if source is None else source
    tree = ast.parse(source)
    todos = stubs.parse(source, display_path(path))
    text = _Source(source)
    skip = _in_fstring(tree)
    functions = {
        id(child): node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) for child in ast.walk(node)
    }
    defaults = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            arguments = node.args.posonlyargs + node.args.args
            pairs = zip(arguments[len(arguments) - len(node.args.defaults) :], node.args.defaults)
            pairs = [*pairs, *((a, d) for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults) if d is not None)]
            defaults[node.name] = {argument.arg: default for argument, default in pairs}
    returned = {
        node.name: sorted(
            {
                t.id
                for child in ast.walk(node)
                if isinstance(child, ast.Assign)
                for t in child.targets
                if isinstance(t, ast.Name)
            }
        )
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
    }
    found: dict[str, Mutant] = {}
    seen: Counter = Counter()
    original = ast.dump(tree)
    nodes = sorted(
        (node for node in ast.walk(tree) if hasattr(node, "lineno")), key=lambda node: (node.lineno, node.col_offset)
    )
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
