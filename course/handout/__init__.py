"""Handing the course out, for instructors: ``make release`` and ``make classroom50``.

``release`` writes the learners' repository (stubs, public checks, the course's
code that learners and graders run; never solutions/); ``classroom50`` writes
Classroom 50's autograder bundle. They may import the flat modules,
``course.grading`` (what grading needs, to ship it) and ``course.authoring``
(are the stubs in sync?). Learners' copies leave this package out.
"""
