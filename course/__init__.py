"""The course's own code, grouped by who uses it (the README's Layout section draws the same map).

Packages:

* ``checking/``: checking a learner's code. ``checks/`` import ``expect``,
  ``describe`` and ``import_lesson`` from ``course.checking``; the pytest plugin
  and the runner behind ``make check-lessonN`` live there too.
* ``learner/``: the learner's commands: progress, watch, hints, reset, run,
  the notebooks of ``make lab``.
* ``grading/``: instructors' grading: check sets, submissions, the sandbox,
  scoring, reports, gradebook, GitHub Classroom, Gradescope.
* ``authoring/``: for whoever makes the course: stubs generated from the
  solutions, mutation testing of the checks.
* ``bench/``: ``make bench-*``, the made-up classes they grade, the test-server
  harness and the red team's attacks (for benchmarks and the project's tests).
* ``cli/``: the one command line behind the Makefile (``python -m course``).

Modules, flat, the digit recognizer's own machinery:

* ``lessons``: the lesson list (lessons.toml) and the folders of a tree.
* ``lesson_files``: lessons/.stubs.json and .hints.json (make stubs writes them).
* ``helpers``: **the one module lesson files import** (the tamper scan flags
  any other ``course`` import in a learner's file).
* ``data`` (MNIST, offline first), ``pendigits`` (UCI's pen digits),
  ``drawings`` and ``handwriting`` (digits drawn the way the canvas draws them),
  ``pipeline`` (``make train``), ``model_file`` (where the trained model
  lives, loading it), ``calibration`` (honest confidence),
  ``finetune`` (``make finetune``), ``pictures`` (filters, feature maps, the
  course map), ``serve`` and ``feedback`` (``make serve``, the app's
  corrections), ``quiet`` and ``outputs`` (small shared helpers).
"""
