"""``python -m course <command>``: the one command line behind the Makefile (course/cli/)."""

from course.cli import main

raise SystemExit(main())
