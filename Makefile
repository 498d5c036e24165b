# The course's commands. Lessons are listed once, in lessons/lessons.toml;
# the pattern rules below work for every lesson that file names.
#
#   make setup                  create .venv with the pinned packages
#   make check-lessonN          grade your code for lesson N   (TARGET=solutions: the reference)
#   make check                  grade every lesson
#   make run-lessonN            run lesson N's file and see what it prints
#   make progress               a table of every lesson's checks
#   make train                  train the reference model on all of MNIST (TARGET=lessons: yours)
#   make bench-train            the reference model against the keras-io recipe, side by side
#   make stubs [FORCE=1]        regenerate lessons/ from solutions/ (instructors)
#   make test                   the project's own test suite (what CI runs)

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TARGET ?= lessons
# `make train` and `make app` use the reference solutions unless TARGET is given.
PIPELINE_TARGET := $(if $(filter command line environment,$(origin TARGET)),$(TARGET),solutions)
STAMP := $(VENV)/.installed

# Offline-first data: on the course's own machines MNIST sits beside the checkout.
ifeq ($(MNIST_NPZ),)
  SHARED_MNIST := $(wildcard ../shared/data/mnist.npz)
  ifneq ($(SHARED_MNIST),)
    export MNIST_NPZ := $(abspath $(SHARED_MNIST))
  endif
endif

# TensorFlow's start-up chatter (oneDNN notices, CPU feature lists) only confuses learners.
export TF_CPP_MIN_LOG_LEVEL ?= 3

.PHONY: setup check progress stubs test help train bench-train
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
	@$(PY) -m course check $* --target $(TARGET)

check: $(STAMP)
	@$(PY) -m course check all --target $(TARGET)

run-lesson%: $(STAMP)
	@$(PY) -m course run $* --target $(TARGET)

progress: $(STAMP)
	@$(PY) -m course progress --target $(TARGET)

train: $(STAMP)
	@$(PY) -m course.pipeline --target $(PIPELINE_TARGET)

bench-train: $(STAMP)
	@$(PY) -m course.bench_train

stubs: $(STAMP)
	@$(PY) -m course stubs $(if $(FORCE),--force)

test: $(STAMP)
	@$(PY) -m pytest tests
