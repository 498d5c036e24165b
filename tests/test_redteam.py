"""Red team: submissions that try to forge a grade, spoil a classmate's, or take what the machine has.

One class holds every attack in course/bench/attacks.py, a complete classmate
and an untouched-stub classmate, graded on lessons 1-3 with the example hidden
checks, two at a time, as `make grade-all` grades. Each attack must earn only
what its honest part earns, the classmates keep their honest grades, the class
finishes with its gradebook, nothing outside the grader's scratch is written,
every sandbox stays within its memory, and no report claims more than the
points say. A second set of tests hands the checks forged values (an array
that lies, a huge one, a pickle, a model with code in it) through `make check`.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from course.bench import attack_code, attacks, sample_class
from course.bench.limits import shared_entries
from course.grading import integrity, isolation
from course.lessons import ROOT, SOLUTIONS_DIR, get_lesson

HIDDEN_EXAMPLE = ROOT / "checks" / "hidden_example"
MEMORY_MB = 3072


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    assert isolation.level() == "bwrap", (
        f"the red-team tests need bubblewrap: {isolation.why_not_isolated()} (.ci/run installs it)"
    )
    folder = tmp_path_factory.mktemp("redteam")
    escape = folder / "outside" / "escaped.txt"
    escape.parent.mkdir()
    for kind in (*attacks.ATTACKS, "hidden_inputs_in_an_error"):
        attacks.build(kind, folder / "class" / kind, escape_target=escape)
    sample_class.make_submission("complete", folder / "class" / "zz-complete")
    sample_class.make_submission("stub", folder / "class" / "zz-stub")
    out = folder / "out"
    before = shared_entries()
    completed = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "grade-all",
            f"SUBMISSIONS={folder / 'class'}",
            "LESSONS=1,2,3",
            f"HIDDEN_CHECKS={HIDDEN_EXAMPLE}",
            f"OUT={out}",
            "TIME_LIMIT=20",
            "JOBS=2",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    attacks.remove_deep(folder / "class" / "deep_folders")  # pytest's own clean-up would recurse too deep for it
    assert completed.returncode == 0, completed.stdout + completed.stderr
    grades = {grade["submission"]: grade for grade in json.loads((out / "gradebook.json").read_text())["grades"]}
    return grades, out, escape, shared_entries() - before


@pytest.mark.parametrize("kind", attacks.ATTACKS)
def test_an_attack_earns_only_its_honest_part(graded, kind):
    grades = graded[0]
    scores = {lesson["id"]: lesson["score"] for lesson in grades[kind]["lessons"]}
    for lesson_id, points in attacks.EXPECTED[kind].items():
        assert scores[lesson_id] == points, (kind, lesson_id, scores, grades[kind]["reasons"], grades[kind]["notes"])


def test_classmates_keep_their_honest_grades(graded):
    grades = graded[0]
    assert grades["zz-complete"]["score"] == grades["zz-complete"]["max_score"] == 35, grades["zz-complete"]["reasons"]
    assert grades["zz-complete"]["status"] == "complete"
    assert grades["zz-stub"]["score"] == 0


def test_the_class_finishes_whatever_a_submission_holds(graded):
    """Folders 1,200 deep, a 100,000-deep expression, a link named in bytes that are not UTF-8: each a line."""
    grades, out = graded[0], graded[1]
    assert set(attacks.ATTACKS) <= set(grades)
    assert any("nested deeper than" in note for note in grades["deep_folders"]["notes"])
    assert any("nested too deeply for Python to read" in reason for reason in grades["deep_expression"]["reasons"])
    (note,) = [note for note in grades["odd_link_name"]["notes"] if "a link" in note]
    assert "\ufffd" in note  # the bytes that are not UTF-8, shown as replacement characters
    assert "\ufffd" in (out / "submissions" / "odd_link_name" / "report.txt").read_text()
    assert (out / "gradebook.csv").is_file() and (out / "scores.png").is_file()


def test_what_happened_is_named(graded):
    grades = graded[0]
    assert any("links are never followed" in note for note in grades["symlinks_to_solutions"]["notes"])
    assert any("links are never followed" in note for note in grades["big_links_in_its_checks"]["notes"])
    for kind in ("holds_memory", "memfd_hog"):
        assert any(f"ran out of its {MEMORY_MB:,} MB of memory" in reason for reason in grades[kind]["reasons"]), kind
    assert any("used up its 20 s of computing" in reason for reason in grades["c_loop_at_import"]["reasons"])


def test_code_that_reaches_for_the_checks_finds_nothing_to_forge(graded):
    """No-op'ing the checks, forging results at exit, rewriting everything gc, frames and pipes can reach: the
    worker holds no check and no verdict, so each scores what the stub scores, 0, in every lesson."""
    grades = graded[0]
    for kind in ("no_ops_the_checks", "forges_results_at_exit", "forges_everything"):
        assert grades[kind]["score"] == 0, (kind, grades[kind]["reasons"])
        assert not any("tampering" in reason for reason in grades[kind]["reasons"]), grades[kind]["reasons"]


def test_every_sandbox_stays_within_its_memory(graded):
    """Memory is counted by cgroup (tmpfs, /dev/shm and memfd included): no sandbox ever held more than its limit."""
    grades = graded[0]
    peaks = [lesson["peak_memory_mb"] for grade in grades.values() for lesson in grade["lessons"]]
    measured = [peak for peak in peaks if peak is not None]
    assert measured, "no cgroup measured the runs' memory"
    assert max(measured) <= MEMORY_MB, max(measured)
    assert grades["zz-complete"]["limits"], "the report says which limits held"


def test_nothing_outside_the_scratch_is_written(graded):
    escape, leftovers = graded[2], graded[3]
    assert not escape.exists(), "a submission wrote outside its sandbox"
    assert not [entry for entry in escape.parent.iterdir() if entry.name != "big-file.bin"]
    assert not leftovers, f"left in the machine's shared folders: {leftovers}"
    assert not Path("/tmp/pickled-by-a-learner").exists()
    assert integrity.modified_files() == [], "grading changed the course's own files"
    assert not list((ROOT / "checks").glob("pytest.py")) and not list((ROOT / "course").rglob("pytest.py"))


def test_hidden_checks_and_classmates_stay_out_of_reach(graded):
    """No worker sees a check, public or hidden; what the hidden run says reaches no learner."""
    grades, out = graded[0], graded[1]
    checks = grades["reads_hidden_checks"]["lessons"][0]["checks"]
    assert checks and all(check["status"] == "passed" for check in checks), checks
    for name in ("results.json", "report.txt"):
        text = (out / "submissions" / "reads_hidden_checks" / name).read_text()
        assert "HIDDEN CHECKS FOUND" not in text and "def test_" not in text, text[:500]
    assert grades["copies_a_classmate"]["lessons"][0]["score"] == 0


def test_a_hidden_runs_error_carries_nothing_the_learners_code_chose(graded):
    """An error raised in a hidden check (its text and name: the check's own inputs) reaches no learner: the
    report, results.json and the grade's reasons show its builtin type and line only."""
    grades, out = graded[0], graded[1]
    hidden = [check for check in grades["hidden_inputs_in_an_error"]["lessons"][0]["checks"] if check["hidden"]]
    assert any(check["status"] != "passed" for check in hidden), hidden  # the hidden check did fail
    for name in ("results.json", "report.txt"):
        text = (out / "submissions" / "hidden_inputs_in_an_error" / name).read_text()
        assert "SECRET-INPUTS" not in text and "[1, 1, 2]" not in text, text[:2000]
    reasons = " ".join(grades["hidden_inputs_in_an_error"]["reasons"])
    assert "SECRET-INPUTS" not in reasons, reasons


def test_output_is_capped(graded):
    grades, out = graded[0], graded[1]
    results = out / "submissions" / "huge_message" / "results.json"
    assert results.stat().st_size < 200_000, results.stat().st_size
    assert all(
        len(check["message"]) <= 2000 for lesson in grades["huge_message"]["lessons"] for check in lesson["checks"]
    )


def test_reports_tell_the_truth(graded):
    grades, out = graded[0], graded[1]
    for name, grade in grades.items():
        report = (out / "submissions" / name / "report.txt").read_text()
        if grade["score"] < grade["max_score"]:
            assert "All checks passed" not in report, (name, report)
        if grade["reasons"]:
            assert grade["status"] == "broken" and "Problems:" in report, (name, report)


def test_a_thread_that_never_ends_does_not_hold_the_slot(graded):
    """The lesson's processes are stopped a few seconds after the checks' last line, not at the wall-clock limit."""
    grade = graded[0]["immortal_thread"]
    assert grade["score"] == grade["max_score"] - 15  # lessons 1 and 2 complete, lesson 3 a stub
    assert all(lesson["seconds"] < 60 for lesson in grade["lessons"]), [
        lesson["seconds"] for lesson in grade["lessons"]
    ]


# ---------------------------------------------------------------------------
# Forged values: what the learner's code hands back never runs and never lies here


@pytest.fixture(scope="module")
def forged(tmp_path_factory):
    """The solutions, with four lesson files that hand the checks forged values."""
    tree = shutil.copytree(SOLUTIONS_DIR, tmp_path_factory.mktemp("forged") / "tree")
    for lesson_id, code in (
        (1, attack_code.LYING_ARRAY),
        (2, attack_code.HUGE_ARRAY),
        (4, attack_code.LAMBDA_MODEL),
        (5, attack_code.PICKLE_ON_THE_WIRE),
    ):
        path = get_lesson(lesson_id).file_in(tree)
        path.write_text(path.read_text() + "\n" + code)
    return tree


def failures(result, lesson_id):
    return {
        check["name"]: check["message"] for check in result.results[lesson_id]["checks"] if check["status"] != "passed"
    }


def test_an_array_with_a_lying_eq_is_read_for_its_numbers(make, forged):
    result = make("check-lesson1", f"TARGET={forged}")
    messages = failures(result, 1)  # every check of class_counts, and only those
    assert messages and all("class_counts()" in name for name in messages), messages
    told = [message for message in messages.values() if "wrong counts for the training labels" in message]
    assert told and "found [0, 0, 0, 0" in told[0], messages


def test_a_huge_array_is_refused_with_a_message(make, forged):
    result = make("check-lesson2", f"TARGET={forged}")
    messages = failures(result, 2)
    assert "images reshaped to (N, 28, 28, 1)" in messages
    assert (
        "cannot go to the checks: more than 768 MB of data in one message"
        in messages["images reshaped to (N, 28, 28, 1)"]
    )


def test_a_pickle_is_refused_and_never_runs(make, forged):
    result = make("check-lesson5", f"TARGET={forged}")
    messages = failures(result, 5)
    assert any("an array of Python objects (a pickle) is refused" in message for message in messages.values()), messages
    assert not Path("/tmp/pickled-by-a-learner").exists(), "a pickle from the learner's code ran"


def test_a_model_file_with_a_lambda_layer_is_refused(make, forged):
    result = make("check-lesson4", f"TARGET={forged}")
    messages = failures(result, 4)
    assert list(messages) == ["the saved file reloads and gives identical predictions"], messages
    assert "holds code (a Lambda layer or a class of your own)" in next(iter(messages.values()))


# ---------------------------------------------------------------------------
# The judge's instruments: what the learner's file can reach in its own worker changes no verdict


def test_replacing_the_workers_helpers_earns_nothing(tmp_path, make):
    """Every lesson's stub, with code that replaces every helper the checks once called in its worker by a liar,
    reads the stand-ins' own answers and borrows the course's conversion and training: 0 points, as the stub."""
    attacks.build("forges_the_yardsticks", tmp_path / "tree")
    result = make("grade", f"TARGET={tmp_path / 'tree'}", f"OUT={tmp_path / 'out'}", "HIDDEN_CHECKS=", timeout=900)
    grade = json.loads((tmp_path / "out" / "grade.json").read_text())
    assert grade["score"] == 0, result.output
    assert not grade["reasons"], grade["reasons"]  # nothing the scan flags: only the judge stops it


def test_a_forged_heartbeat_does_not_hide_the_cpu_used(tmp_path, make):
    """class_counts() computes for seconds while a thread writes heartbeats saying the worker used no CPU: the
    checks read the worker's CPU from the kernel, and its checks run out of time."""
    attacks.build("forged_heartbeat", tmp_path / "tree")
    result = make("check-lesson1", f"TARGET={tmp_path / 'tree'}", env={"COURSE_TIMEOUT_S": "3"}, timeout=600)
    statuses = {check["name"]: check["status"] for check in result.results[1]["checks"]}
    counted = [name for name in statuses if "class_counts()" in name]
    assert counted and all(statuses[name] == "timeout" for name in counted), statuses


def test_no_isolation_means_no_untrusted_grading(tmp_path, make):
    """Without bubblewrap, grade-all refuses unless the instructor says TRUST=1; the reason is given."""
    sample_class.make_submission("stub", tmp_path / "class" / "someone")
    grade_all = ("grade-all", f"SUBMISSIONS={tmp_path / 'class'}", "LESSONS=1", f"OUT={tmp_path / 'out'}")
    refused = make(*grade_all, env={"COURSE_ISOLATION": "none"}, timeout=300)
    assert refused.returncode != 0 and "cannot be isolated" in refused.output
    assert "TRUST=1" in refused.output
    trusted = make(*grade_all, "TRUST=1", env={"COURSE_ISOLATION": "none"}, timeout=300)
    assert trusted.returncode == 0, trusted.output
