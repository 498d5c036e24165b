"""What a check carries besides its code: its name, points, TODOs, whether it is hidden."""

from __future__ import annotations

HIDDEN_PREFIX = "hidden/"  # hidden checks are graded from a hidden/ folder beside the public ones


def check_name(item) -> str:
    """The first line of the check's docstring, or its function name in words."""
    doc = getattr(item, "obj", None).__doc__ if hasattr(item, "obj") else None
    if doc and doc.strip():
        return doc.strip().splitlines()[0].rstrip(".")
    return item.name.removeprefix("test_").replace("_", " ")


def todos_of(item) -> list[int]:
    """The TODOs a check grades (``@pytest.mark.todo(3)``), to point a stuck learner at the right one."""
    marker = item.get_closest_marker("todo")
    return list(marker.args) if marker else []


def points_of(item) -> float:
    marker = item.get_closest_marker("points")
    return marker.args[0] if marker else 1


def is_hidden(nodeid: str) -> bool:
    """Hidden checks are graded from a ``hidden/`` folder beside the public ones (see course/grading/checkset.py)."""
    return nodeid.startswith(HIDDEN_PREFIX)
