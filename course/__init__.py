"""The course's own code, grouped by who uses it (the README's Layout section draws the same map).

Packages:

* ``checking/``: checking a learner's code, from the trusted side. ``checks/``
  import ``expect``, ``import_lesson``, ``given`` ... from ``course.checking``;
  the pytest plugin and the runner behind ``make check-lessonN`` live there too.
* ``worker/``: what runs beside the learner's code, in the worker process that
  alone imports a lesson file; it decides nothing.
* ``learner/``: the learner's commands: progress, watch, hints, reset, run,
  the notebooks of ``make lab``.
* ``grading/``: instructors' grading: check sets, submissions, the sandbox,
  scoring, reports, gradebook, GitHub Classroom, Gradescope.
* ``handout/``: for instructors handing the course out: the learners' copy
  (``make release``) and Classroom 50's autograder bundle (``make classroom50``).
* ``authoring/``: for whoever makes the course: stubs generated from the
  solutions, mutation testing of the checks.
* ``bench/``: ``make bench-*``, the made-up classes they grade, the test-server
  harness and the red team's attacks (for benchmarks and the project's tests).
* ``cli/``: the one command line behind the Makefile (``python -m course``).

Learners' copies (``make release``) hold all but ``handout/``, ``authoring/`` and
``bench/`` (and their commands): ``course.grading.shipping`` lists what they keep.

Modules, flat, the digit recognizer's own machinery:

* ``lessons``: the lesson list (lessons.toml), the folders of a tree, the
  class's hidden-checks setting.
* ``lesson_files``: lessons/.stubs.json, .originals.json and .hints.json (make stubs writes them).
* ``channel`` and ``npy``: the channel between the checks and the worker: data only.
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
