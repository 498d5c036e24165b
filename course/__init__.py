"""Support code for the digit-recognizer course: lesson list, data, stubs and the grader."""
