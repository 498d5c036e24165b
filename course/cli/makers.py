"""Commands for whoever makes the course: stubs, mutation testing, the course map, benchmarks."""

from __future__ import annotations

from course.cli.registry import BENCH_GRADE, MAKERS, MUTANTS, STUBS, comma_list, command, lesson_ids, option
from course.lessons import ROOT


@command(MAKERS, "stubs", "regenerate lessons/ from solutions/ (make stubs [FORCE=1])", *STUBS)
def stubs(args):
    from course.authoring.stubs import stubs_command

    return stubs_command(force=args.force, check=args.check, gutted=args.gutted)


@command(MAKERS, "mutants", "mutation testing of the checks: a score per lesson (make mutants)", *MUTANTS)
def mutants(args):
    from course.authoring.mutants import main

    return main(
        lesson_ids(args.lessons),
        sample=args.sample,
        jobs=args.jobs,
        progress=not args.quiet,
        ids=args.ids,
        learner_only=args.learner_bugs or args.held_out,
        halves=("held out",) if args.held_out else ("tuned", "held out"),
    )


@command(MAKERS, "course-map", "draw the top README's course map (images/course_map.png)")
def course_map(args):
    from course.pictures import course_map

    return course_map(ROOT / "images" / "course_map.png")


@command(MAKERS, "bench-train", "the reference model against the keras-io recipe (make bench-train)")
def bench_train(args):
    from course.bench.train import main

    return main()


@command(MAKERS, "bench-app", "load test of make serve against a naive handler (make bench-app)")
def bench_app(args):
    from course.bench.app import main

    return main()


@command(MAKERS, "bench-grade", "grade a made-up class: submissions per minute (make bench-grade)", *BENCH_GRADE)
def bench_grade(args):
    from course.bench.grade import main

    return main(args.submissions, args.baseline, args.jobs, isolation_cost_too=not args.no_isolation)


@command(
    MAKERS, "bench-limits", "which limits hold at each isolation level, with and without cgroups (make bench-limits)"
)
def bench_limits(args):
    from course.bench.limits import main

    return main()


@command(MAKERS, "bench-handwriting", "unseen writers' pen digits: MNIST-only vs reference (make bench-handwriting)")
def bench_handwriting(args):
    from course.bench.handwriting import main

    return main()


@command(
    MAKERS,
    "readme-figures",
    "measure the lessons' README figures on the reference and rewrite their blocks (make readme-figures)",
    option("--only", type=comma_list, default=None, help="only these blocks, e.g. lesson4-experiments"),
)
def readme_figures(args):
    from course.bench.figures import readme_figures

    return readme_figures(args.only)
