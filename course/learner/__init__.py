"""The learner's commands: ``make check-lessonN``, ``progress``, ``watch``, ``hint-lessonN``, ``reset-lessonN``, ...

For the command line (``course.cli``) and notebooks (``lab``). Lesson files
never import from here (the tamper scan flags it); they use ``course.helpers``.

* ``progress``: grading a learner's tree, with results kept until something changes.
* ``run``: a lesson's file run as a script, errors told in plain lines.
* ``hints``, ``reset``, ``watch``: one more hint; a lesson back to its stub; re-grading on save.
* ``notebooks``, ``lab``: ``make lab``'s notebooks and what they call.
"""
