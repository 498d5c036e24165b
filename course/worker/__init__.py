"""What runs beside the learner's code, in the worker process: nothing here decides a grade.

The checks' process (``course.checking``) starts a worker and asks it, over a
pipe, to import the learner's lesson file and to run its functions; every
answer is data (``course.channel``). The learner's code can rewrite anything
in this process, so everything here is a convenience for honest code, never a
defence: the defences are the separate process, the sandbox around it, and the
checks that decide on their own side.

* ``serve``: the worker's loop: requests in, answers (data or references) out,
  with what the code printed, the learner's own file and line of an error, what
  a call did to the data it was given, and a heartbeat of the line being run.
* ``inputs``: what the checks give the learner's functions, made here by name
  (a small Keras model, a folder, a wrapper that tells a stand-in of each call).
* ``proxies``: the checks' stand-ins as the learner's code sees them: every call
  is answered by the checks, over the channel.
* ``template``: a process that imported the heavy libraries once and forks each worker.
* ``clock``: the clock the learner's code reads, moved only by the checks.
* ``yardsticks``: what a judge (a worker that never imports the learner's file)
  measures for the checks: converted models, pictures, saved models.
* ``portray``: figures and histories described as data.
* ``standins``: the course's own earlier lessons, so each lesson is graded on its own.
* ``answers``, ``models``: what goes back (errors, printed text), Keras inputs.
* ``audit``: an audit hook that names the line of a write outside the sandbox's
  folder, a network connection or a program started (grading only).

For the checks' side (``course.checking.spawn`` starts ``serve``) and for
nothing else; lesson files never import from here.
"""
