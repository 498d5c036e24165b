"""What a learner reads at the end of a lesson's checks: the count, where they are stuck, what to do next."""

from __future__ import annotations

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
        lines.append(stuck_line(lesson, stuck["todos"]))
    if watching:
        lines.append(f"Next: edit {lesson_file} and save it; it is graded again straight away.")
    else:
        lines.append(f"Next: edit {lesson_file}, then run `make check-lesson{lesson.id}` again.")
    if (public + hidden)["error"] and not verbose:
        lines.append(VERBOSE_NOTE)
    return lines


def stuck_line(lesson, todos: list[int]) -> str:
    """A question to think about, for the TODO of the first failing check (the lesson's own question otherwise)."""
    from course.lesson_files import lesson_hints

    try:
        hints = [hint for hint in lesson_hints(lesson) if hint.todo in todos]
    except (OSError, ValueError):  # no lessons/.hints.json in this copy
        hints = []
    if not hints:
        return f"Stuck? {lesson.hint} (`make hint-lesson{lesson.id}` gives a hint)"
    first = hints[0]
    return (
        f"Stuck on TODO {first.todo} in {first.function}()? {first.text} "
        f"(`make hint-lesson{lesson.id} TODO={first.todo}` gives more hints)"
    )


def next_step(lesson) -> str:
    """The lesson after this one, with its README (or the words for the end of the course)."""
    from course.lessons import all_lessons, course_info

    later = [other for other in all_lessons() if other.id > lesson.id]
    if later:
        return f"lesson {later[0].id}, {later[0].title}: lessons/{later[0].dir}/README.md"
    return course_info()["course"]["finished"]
