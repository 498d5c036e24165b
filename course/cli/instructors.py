"""Commands for instructors and anyone serving the app: train, serve, finetune, grading, and what graders run.

These travel in learners' copies too (``make release``): learners grade their own work with ``make grade``, and
the graders a platform runs (GitHub Classroom's workflow, Gradescope's run_autograder, Classroom 50's
autograder.py) call the commands here. Building what is handed out lives in ``course/cli/handout.py``.
"""

from __future__ import annotations

from pathlib import Path

from course.cli.registry import (
    CHECK_ONLY,
    GRADING,
    INSTRUCTORS,
    JOBS,
    OUT,
    QUIET,
    RESULTS,
    SERVED_TREE,
    SUBMISSIONS,
    TRAINING,
    TREE,
    UPLOAD,
    command,
    grading_settings,
    option,
    out_folder,
)
from course.lessons import app_tree_name, tree_path


@command(
    INSTRUCTORS, "train", "train and evaluate the model (make train; make model: only if there is none)", *TRAINING
)
def train(args):
    from course.pipeline import train

    target = tree_path(args.target or app_tree_name())
    return train(target, args.epochs, args.seed, args.model_path, if_missing=args.if_missing)


@command(INSTRUCTORS, "serve", "the app for real use: gunicorn behind nginx (make serve)")
def serve(args):
    from course.serve import serve_forever

    return serve_forever()


@command(
    INSTRUCTORS,
    "finetune",
    "teach the model its users' corrections (make finetune)",
    SERVED_TREE,
    option("--epochs", type=int),
)
def finetune(args):
    from course.finetune import finetune_tree

    return finetune_tree(tree_path(args.target or app_tree_name()), epochs=args.epochs)


@command(INSTRUCTORS, "grade", "points per check and lesson of one tree (make grade)", TREE, OUT, RESULTS, *GRADING)
def grade(args):
    from course.grading.grade import grade_tree
    from course.grading.reports import say_grade

    grade = grade_tree(tree_path(args.target), grading_settings(args))
    return say_grade(grade, out_folder(args, "grade"), Path(args.results) if args.results else None)


@command(
    INSTRUCTORS, "grade-all", "grade a class in parallel (make grade-all)", SUBMISSIONS, OUT, JOBS, QUIET, *GRADING
)
def grade_all(args):
    from course.grading.class_grading import grade_all

    grade_all(Path(args.submissions), out_folder(args, "grades"), grading_settings(args), progress=not args.quiet)
    return 0


@command(
    INSTRUCTORS,
    "class-report",
    "one page of where a graded class is stuck (make class-report, after make grade-all)",
    OUT,
)
def class_report(args):
    from course.grading.class_report import write_class_report
    from course.lessons import display_path

    page, data = write_class_report(out_folder(args, "grades"))
    print(f"✓ {display_path(page)} (open it in a browser; the data beside it: {display_path(data)})")
    return 0


@command(INSTRUCTORS, "manifest", "record (--check: verify) the grading files' hashes (make manifest)", CHECK_ONLY)
def manifest(args):
    from course.grading.integrity import check_manifest, record_manifest

    return check_manifest() if args.check else record_manifest()


@command(INSTRUCTORS, "gradescope-check", "on Gradescope: is this autograder ready? (setup.sh runs it)")
def gradescope_check(args):
    from course.grading.gradescope import check_ready

    return check_ready()


@command(INSTRUCTORS, "gradescope-grade", "on Gradescope: grade one upload (run_autograder runs it)", *UPLOAD)
def gradescope_grade(args):
    from course.grading.gradescope import grade_upload

    return grade_upload(Path(args.submission), Path(args.results), grading_settings(args))


@command(
    INSTRUCTORS,
    "classroom50-grade",
    "in Classroom 50's runner: grade a learner's checkout into result.json (the bundle's autograder.py runs it)",
    option("--submission", required=True, help="the learner's checkout"),
    option("--result", required=True, help="where to write result.json"),
)
def classroom50_grade(args):
    from course.grading.classroom50 import grade_checkout

    return grade_checkout(Path(args.submission), Path(args.result), grading_settings(args))
