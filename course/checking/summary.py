"""What a learner reads at the end of a lesson's checks: the count, where they are stuck, what to do next."""

from __future__ import annotations

import re
from collections import Counter

from course.checking.explain import VERBOSE_NOTE

FAILED = ("failed", "error", "timeout")


def summary_lines(
    lesson, results: list[dict], all_passed: bool, lesson_file: str, verbose: bool, watching: bool = False
) -> list[str]:
    """The summary line (first), then the next step and a question for the first stuck TODO.

    After an error it says how to see the traceback, unless ``verbose`` already shows them.

    With hidden checks the public and hidden counts are told apart, so the
    summary never reads "all passed" while a hidden check fails.
    """
    public = Counter(result["status"] for result in results if not result["hidden"])
    hidden = Counter(result["status"] for result in results if result["hidden"])
    if hidden:
        lines = [
            f"{lesson.label}: public checks {public['passed']}/{public.total()} · "
            f"hidden checks {hidden['passed']}/{hidden.total()}"
        ]
    else:
        lines = [f"{lesson.label}: {public['passed']}/{public.total()} checks passed"]
    if all_passed:
        return [*lines, f"Next: {next_step(lesson)}"]
    stuck = next((result for result in results if result["status"] in FAILED), None)
    if stuck is not None:
        lines.append(stuck_line(lesson, stuck, cleared(results)))
    if watching:
        lines.append(f"Next: edit {lesson_file} and save it; it is graded again straight away.")
    else:
        lines.append(f"Next: edit {lesson_file}, then run `make check-lesson{lesson.id}` again.")
    if (public + hidden)["error"] and not verbose:
        lines.append(VERBOSE_NOTE)
    return lines


def cleared(results: list[dict]) -> set:
    """The TODOs whose own checks (those of that TODO alone) all passed: not the one to blame for a shared check."""
    own: dict = {}
    for result in results:
        if len(result.get("todos") or []) == 1:
            own.setdefault(result["todos"][0], []).append(result["status"] == "passed")
    return {todo for todo, passed in own.items() if all(passed)}


def stuck_line(lesson, stuck: dict, done: set = frozenset()) -> str:
    """Where to look next, aimed at the first failing check: its TODO, and its own hint or the TODO's closest one.

    A check whose message carries a hint is pointed at (that hint was written for that failure); otherwise the
    TODO's hint that shares the most words with the check's name and message is asked, never one about another
    part of the TODO. A check of two TODOs names the one whose function the message names (an error raised in
    ``probabilities``, or "probabilities(image) should..."), else the first whose own checks did not all pass
    (``done``: those that did), else its last (what builds on the earlier one). Without hints (or a TODO), the
    lesson's own question.
    """
    from course.lesson_files import lesson_hints

    todos = stuck.get("todos") or []
    try:
        hints = [hint for hint in lesson_hints(lesson) if hint.todo in todos]
    except (OSError, ValueError):  # no lessons/.hints.json in this copy
        hints = []
    if not hints:
        return f"Stuck? {lesson.hint} (`make hint-lesson{lesson.id}` gives a hint)"
    has_hint = any(line.startswith("hint:") for line in str(stuck.get("message", "")).splitlines())
    if len(todos) > 2:  # a check of the whole lesson (and what came before): no one TODO to blame
        where = "Start from the hint under the first ✗ above" if has_hint else lesson.hint
        return f"Stuck? {where} (`make hint-lesson{lesson.id}` gives hints for every TODO)"
    message = str(stuck.get("message", ""))
    # A check of two TODOs: the one whose function the message names (an error in probabilities() is TODO 6's).
    named = [
        hint
        for hint in hints
        if re.search(rf"\b{re.escape(hint.function)}\(|\bin {re.escape(hint.function)}\b", message)
    ]
    todo = (named or [hint for hint in hints if hint.todo not in done] or hints[-1:])[0].todo
    function = next(hint.function for hint in hints if hint.todo == todo)
    more = f"`make hint-lesson{lesson.id} TODO={todo}` gives more hints"
    if has_hint:
        return f"Stuck on TODO {todo} in {function}()? Start from the hint under the first ✗ above ({more})."
    said = _words(f"{stuck.get('name', '')} {message}")
    closest = max((hint for hint in hints if hint.todo == todo), key=lambda hint: len(_words(hint.text) & said))
    return f"Stuck on TODO {todo} in {function}()? {closest.text} ({more})"


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z_]{4,}", text.lower()))


def next_step(lesson) -> str:
    """The lesson after this one, with its README (or the words for the end of the course)."""
    from course.lessons import all_lessons, course_info

    later = [other for other in all_lessons() if other.id > lesson.id]
    if later:
        return f"lesson {later[0].id}, {later[0].title}: lessons/{later[0].dir}/README.md"
    return "that was the last lesson. `make progress` shows every lesson's state; " + course_info()["course"][
        "finished"
    ].replace("All lessons pass. Run", "once all pass, run", 1)
