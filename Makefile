# The course's commands. Lessons are listed once, in lessons/lessons.toml;
# the pattern rules below work for every lesson that file names.
#
#   make setup                  create .venv with the pinned packages
#   make check-lessonN          grade your code for lesson N   (TARGET=dir: a folder laid out like lessons/)
#   make check                  grade every lesson
#   make run-lessonN            run lesson N's file and see what it prints
#   make progress               a table of every lesson's checks, and what to do next
#   make hint-lessonN [TODO=n]  one more hint for lesson N (or its TODO n); each run shows the next
#   make watch                  re-grade your first unfinished lesson every time you save
#   make reset-lessonN          put lesson N's file back as it was (asks first, keeps a .bak)
#   make lab                    JupyterLab with one notebook per lesson (an optional extra install; check(N) grades in place)
#   make app                    the web app at http://127.0.0.1:5000 (trains a model first if none)
#   make serve [PORT=8000]      the app for real use: gunicorn behind nginx (a buffering proxy)
#   make train                  train the model on all of MNIST: the code in solutions/ if there is one, else yours
#                               (TARGET=lessons: yours; EPOCHS=2: a quick try)
#   make finetune               fine-tune the model on the corrections the app's users stored (kept only if MNIST holds)
#   make data                   say where MNIST is (downloads it once if there is no local copy)
#   make grade [TARGET=...]     points per check and lesson, as the grader gives them: Gradescope results.json + a report
#
# ---- for instructors and course makers (make release leaves this block out of learners' copies) ----
#   make release DEST=dir       the learners' repository: stubs, public checks, no solutions/ (PLATFORM=classroom50 or gradescope: how they hand in)
#   make classroom50            the Classroom 50 autograder bundle (dist/classroom50/: autograder.py + the grader)
#   make gradescope             build dist/autograder.zip for Gradescope (setup.sh, run_autograder, MNIST, hidden checks)
#   make grade-all SUBMISSIONS=dir/   grade a whole class in parallel: gradebook CSV/JSON, histogram
#   make class-report [OUT=dir] one page of where the class is stuck (after grade-all; outputs/grades by default)
#   make manifest               record the grading files' hashes after changing a check
#   make stubs [FORCE=1]        regenerate lessons/ from solutions/
#   make bench-train            the reference model against the keras-io recipe, side by side
#   make bench-handwriting      unseen writers' pen digits drawn on the canvas: MNIST-only model vs the reference
#   make bench-app              load test of `make serve` against a naive model.predict handler
#   make bench-grade            grade 40 generated submissions: submissions per minute
#   make bench-limits           which limits hold at each isolation level, with and without cgroups (measured)
#   make mutants [LESSONS=1,2]  mutation testing of the checks: AST mutants and the learner-bug catalogue, a score
#                               per lesson (MUTANTS=sample: the fixed sample; MUTANTS=learner: the catalogue only;
#                               MUTANTS=heldout: the catalogue's held-out half only;
#                               MUTANTS=L5-T5-9c3cfc95,L4-B03,...: only those)
#   make lint                   ruff: lint and format check of the course's code (FIX=1: fix what it can)
#   make course-map             draw the top README's course map (images/course_map.png)
#   make readme-figures [ONLY=name]  measure the lessons' README figures on the reference, rewrite their blocks
#   make test                   make lint, then the project's own test suite (what CI runs)
# ---- end of the block ----

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TARGET ?= lessons
# `make train` and `make app` use the reference solutions unless TARGET is given
# (a learner's copy, made by `make release`, has no solutions/: there they use lessons/).
PIPELINE_TARGET := $(if $(filter command line environment,$(origin TARGET)),$(TARGET),$(if $(wildcard solutions/.),solutions,lessons))
STAMP := $(VENV)/.installed

# Offline-first data: on the course's own machines MNIST sits beside the checkout.
ifeq ($(MNIST_NPZ),)
  SHARED_MNIST := $(wildcard ../shared/data/mnist.npz)
  ifneq ($(SHARED_MNIST),)
    export MNIST_NPZ := $(abspath $(SHARED_MNIST))
  endif
endif

ifeq ($(PENDIGITS),)
  SHARED_PENDIGITS := $(wildcard ../shared/data/pendigits-orig.tra)
  ifneq ($(SHARED_PENDIGITS),)
    export PENDIGITS := $(abspath $(SHARED_PENDIGITS))
  endif
endif

# TensorFlow's start-up chatter (oneDNN notices, CPU feature lists) only confuses learners.
export TF_CPP_MIN_LOG_LEVEL ?= 3

# A failed check is the learner's news, told in the checker's own words: make then ends quietly
# with a non-zero status (141) instead of adding "make: *** [Makefile:NN: check-lesson2] Error 1".
# (GNU make prints that line for every failed recipe; ending make with SIGPIPE is the one way
# round it, and shells print nothing for SIGPIPE.)
QUIET_FAILURE = || { status=$$?; kill -PIPE $$PPID; exit $$status; }

PORT ?= 5000
WORKERS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: setup check progress watch help train app serve model finetune lab grade manifest-check data
.DEFAULT_GOAL := help

help:
	@sed -n '1,/^$$/p' Makefile | sed -n 's/^#//p'

setup: $(STAMP)

$(STAMP): requirements.txt requirements-lock.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c requirements-lock.txt
	@touch $@
	@echo "✓ .venv is ready (Python packages pinned in requirements.txt)"

check-lesson%: $(STAMP)
	@$(PY) -m course check $* --target $(TARGET) $(QUIET_FAILURE)

check: $(STAMP)
	@$(PY) -m course check all --target $(TARGET) $(QUIET_FAILURE)

run-lesson%: $(STAMP)
	@$(PY) -m course run $* --target $(TARGET) $(QUIET_FAILURE)

progress: $(STAMP)
	@$(PY) -m course progress --target $(TARGET)

hint-lesson%: $(STAMP)
	@$(PY) -m course hint $* $(if $(TODO),--todo $(TODO)) $(QUIET_FAILURE)

watch: $(STAMP)
	@$(PY) -m course watch --target $(TARGET)

reset-lesson%: $(STAMP)
	@$(PY) -m course reset $* $(if $(YES),--yes) $(QUIET_FAILURE)

# Notebooks: generated from the lessons each time (notebooks/ is a build product); JupyterLab is an extra install.
# Jupyter refuses to run as root (a container, a cloud VM) unless told it may.
lab: $(STAMP)
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-lab.txt -c requirements-lock.txt
	@$(PY) -m course notebooks --target $(TARGET)
	@COURSE_TARGET=$(TARGET) PYTHONPATH=$(CURDIR) $(VENV)/bin/jupyter lab --notebook-dir=notebooks \
		$(if $(filter 0,$(shell id -u)),--allow-root)

model: $(STAMP)
	@$(PY) -m course train --if-missing --target $(PIPELINE_TARGET)

app: model
	@PORT=$(PORT) $(PY) -m course run 6 --target $(PIPELINE_TARGET)

serve: model
	@COURSE_TARGET=$(PIPELINE_TARGET) PORT=$(PORT) WORKERS=$(WORKERS) $(PY) -m course serve

train: $(STAMP)
	@$(PY) -m course train --target $(PIPELINE_TARGET)

finetune: model
	@$(PY) -m course finetune --target $(PIPELINE_TARGET)

data: $(STAMP)
	@$(PY) -m course data

# Grading (INSTRUCTORS.md). LESSONS=1,2 grades only those; HIDDEN_CHECKS=dir adds hidden checks;
# TIME_LIMIT=s: CPU seconds each lesson of a submission may use; DEADLINE=s: wall-clock seconds for a whole
# submission (default 900); JOBS=n grades n submissions at once; OUT=dir for the results;
# TRUST=1 grades even where submissions cannot be sandboxed (no bubblewrap).
GRADE_OPTIONS = $(if $(LESSONS),--lessons $(LESSONS)) $(if $(HIDDEN_CHECKS),--hidden $(HIDDEN_CHECKS)) \
	$(if $(TIME_LIMIT),--time-limit $(TIME_LIMIT)) $(if $(DEADLINE),--deadline $(DEADLINE)) $(if $(OUT),--out $(OUT)) \
	$(if $(TRUST),--trust-submissions)

grade: $(STAMP)
	@$(PY) -m course grade --target $(TARGET) $(GRADE_OPTIONS) $(if $(RESULTS),--results $(RESULTS))

# Are the grading files (checks/, course/) the ones checks/manifest.json records?
manifest-check: $(STAMP)
	@$(PY) -m course manifest --check

# ---- for instructors and course makers (make release leaves this block out of learners' copies) ----
.PHONY: release classroom50 gradescope grade-all class-report manifest stubs bench-train bench-handwriting bench-app \
	bench-grade bench-limits mutants lint course-map readme-figures test

release: $(STAMP)
	@test -n "$(DEST)" || { echo "Usage: make release DEST=path/to/new/folder  [PLATFORM=classroom50|gradescope]"; exit 2; }
	@$(PY) -m course release $(DEST) $(if $(PLATFORM),--platform $(PLATFORM))

classroom50: $(STAMP)
	@$(PY) -m course classroom50 $(if $(DEST),--dest $(DEST))

gradescope: $(STAMP)
	@$(PY) -m course gradescope $(if $(HIDDEN_CHECKS),--hidden $(HIDDEN_CHECKS))

grade-all: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "Usage: make grade-all SUBMISSIONS=path/to/folder  (one folder or .zip per learner)"; exit 2; }
	@$(PY) -m course grade-all $(SUBMISSIONS) $(GRADE_OPTIONS) $(if $(JOBS),--jobs $(JOBS))

class-report: $(STAMP)
	@$(PY) -m course class-report $(if $(OUT),--out $(OUT))

manifest: $(STAMP)
	@$(PY) -m course manifest

stubs: $(STAMP)
	@$(PY) -m course stubs $(if $(FORCE),--force)

bench-train: $(STAMP)
	@$(PY) -m course bench-train

bench-handwriting: $(STAMP)
	@$(PY) -m course bench-handwriting

bench-app: model
	@$(PY) -m course bench-app

bench-grade: $(STAMP)
	@$(PY) -m course bench-grade

bench-limits: $(STAMP)
	@$(PY) -m course bench-limits

mutants: $(STAMP)
	@$(PY) -m course mutants $(if $(LESSONS),--lessons $(LESSONS)) $(if $(filter sample,$(MUTANTS)),--sample) \
		$(if $(filter learner,$(MUTANTS)),--learner-bugs) $(if $(filter heldout,$(MUTANTS)),--held-out) \
		$(if $(filter-out sample learner heldout,$(MUTANTS)),--ids $(MUTANTS)) \
		$(if $(JOBS),--jobs $(JOBS))

lint: $(STAMP)
	@$(VENV)/bin/ruff check $(if $(FIX),--fix) . && $(VENV)/bin/ruff format $(if $(FIX),,--check) .
	@echo "✓ ruff: lint and format clean"

course-map: $(STAMP)
	@$(PY) -m course course-map

readme-figures: $(STAMP)
	@$(PY) -m course readme-figures $(if $(ONLY),--only $(ONLY))

test: lint
	@$(PY) -m pytest tests --durations=20
# ---- end of the block ----
