"""What a learner reads for each check: ✓ or ✗, its name, and why, told once per root cause.

A failed check shows its message (what was expected, what was found, a hint).
A second failure with the same message says "(the same problem as above)";
a later failure of a TODO that already failed a check above says so in one
line instead of a second explanation: one root cause, one explanation (the
first failing check of a TODO is the one to fix first). ``VERBOSE=1`` shows
everything. The plugin (``course.checking.plugin``) writes the lines.
"""

from __future__ import annotations

import re

SYMBOLS = {"passed": "✓", "failed": "✗", "error": "✗", "timeout": "✗", "todo": "…"}
COLOURS = {"passed": "\033[32m", "failed": "\033[31m", "error": "\033[31m", "timeout": "\033[31m", "todo": "\033[33m"}
PRINTED_LINES = 6  # lines of what the learner's code printed that a failed check shows
# What libraries print on their own (TensorFlow's converter lists its signatures; warnings name their source file):
# not the learner's words, so not shown as "your code printed".
LIBRARY_NOISE = re.compile(
    r"site-packages/|^\* Endpoint '|^\s*warnings\.warn\(|TensorSpec\("
    r"|^Saved artifact at|^(Input|Output) Type:|^Captures:|^\s*Args:"
)


class Telling:
    """The lines for each check, in order; remembers what it has explained already."""

    def __init__(self, verbose: bool = False, colour: bool = False):
        self.verbose, self.colour = verbose, colour
        self.last_message: list[str] | None = None
        self.explained_todos: set[int] = set()  # TODOs whose first failing check was told in full

    def paint(self, status: str, text: str) -> str:
        return f"{COLOURS[status]}{text}\033[0m" if self.colour else text

    def lines(self, name: str, status: str, message: list[str], todos: list[int], printed: list[str]) -> list[str]:
        if status == "todo":
            return [self.paint(status, f"  {SYMBOLS[status]} {name}: {message[0]}")]
        told = [self.paint(status, f"  {SYMBOLS[status]}") + f" {name}"]
        failing = status in ("failed", "error", "timeout")
        if message and message == self.last_message:
            told.append("      (the same problem as above)")
        elif failing and todos and set(todos) <= self.explained_todos and not self.verbose:
            which = f"TODO {todos[0]} already fails" if len(todos) == 1 else f"TODOs {_listed(todos)} already fail"
            told.append(f"      fails too; {which} above: fix that first (VERBOSE=1 shows why this one)")
        else:
            told += [f"      {line}" for line in message]
        if message:
            self.last_message = message
        if failing:
            self.explained_todos.update(todos)
            if printed:
                told += ["      your code printed (the last lines):", *(f"        | {line}" for line in printed)]
        return told


def _listed(numbers: list[int]) -> str:
    """1 and 3; 1, 2 and 3."""
    words = [str(number) for number in numbers]
    return ", ".join(words[:-1]) + " and " + words[-1]


def printed_lines(report) -> list[str]:
    """The last lines the learner's code printed while the check ran (the worker sends them with each answer)."""
    text = getattr(report, "capstdout", "") or ""
    lines = [
        line[:160]
        for line in text.splitlines()
        if line.strip() and "\x1b" not in line and "\r" not in line and not LIBRARY_NOISE.search(line)
    ]
    return lines[-PRINTED_LINES:]
