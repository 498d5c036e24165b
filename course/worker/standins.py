"""Stand-ins for earlier lessons, so that each lesson is graded on its own.

Lesson 2's file begins with ``from load_data import load_mnist``: it builds on
lesson 1. If the learner's lesson 1 cannot even be imported (a syntax error,
an endless loop at import), importing lesson 2 would fail or hang too, and
lesson 2 would score nothing for lesson 1's mistake. So while lesson N's
checks run, each earlier lesson that later lessons import from is bound to the
course's own version of what they import (``load_data.load_mnist`` is the
course's reference loader). The learner's own earlier files are still what
``make run-lessonN``, ``make train`` and lesson 6's capstone run: the capstone
asks for the real modules (``course.lessons.forget_standins``) because it grades the whole pipeline.
"""

from __future__ import annotations

import sys
import types


def _load_data() -> dict:
    from course.mnist_file import load_mnist

    return {"load_mnist": load_mnist, "NUM_CLASSES": 10}


# module name of an earlier lesson -> what later lessons import from it
STANDINS = {"load_data": _load_data}


def install(lesson) -> list[str]:
    """Bind the stand-ins of the lessons before ``lesson`` (never over a module already imported)."""
    from course.lessons import all_lessons

    installed = []
    for earlier in all_lessons():
        name = earlier.module_name
        if earlier.id < lesson.id and name in STANDINS and name not in sys.modules:
            module = types.ModuleType(
                name, f"The course's stand-in for lesson {earlier.id} ({name}), while lesson {lesson.id} is graded."
            )
            module.__dict__.update(STANDINS[name]())
            module.__course_standin__ = True  # course.lessons.forget_standins looks for this mark
            sys.modules[name] = module
            installed.append(name)
    return installed
