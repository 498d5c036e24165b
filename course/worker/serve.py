"""The worker: the one process that imports the learner's lesson file, and runs it when the checks ask.

It is started by the checks' process (``make check``) or by the grader (in a
sandbox, as an unprivileged user), and it decides nothing: it answers
requests that arrive on one pipe and writes the answers to another. A request
names an operation (import the lesson, read an attribute, call something, make
an input the checks need, ...) with its arguments as data; the answer is the
result as data (``channel``), or a reference to an object that stays here (a
model, an app, a function), or the error the learner's code raised, with the
learner's own file and line. What the code printed during the call goes back
with the answer. While a call runs, the learner's code may call the checks'
stand-ins; each call goes back to the checks and waits for their answer
(``proxies``). A third pipe carries a heartbeat: the learner's line being run,
so that a check stopped for its time can say where the code was (the CPU time
it used is read by the checks' side from the kernel, never from here). The
worker's clock is the checks' (``clock``). A judge (``role`` "judge") never
imports the learner's file: it answers only the checks' yardsticks
(``yardsticks``).

Everything here runs beside the learner's code and can be rewritten by it;
that is why nothing here decides a grade.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import threading
from pathlib import Path

from course.channel import ChannelError, Encoder, receive, send
from course.worker.answers import Capped, Objects, error_facts, resolve_class, type_names, watched_call
from course.worker.clock import REAL
from course.worker.proxies import Callbacks

ITERATION_LIMIT = 200_000  # items of one iteration (a dataset's batches, say)
BEAT_SECONDS = 0.2


class Kept:
    """What a call returned, to be kept here and answered by reference (``Ref.kept``)."""

    def __init__(self, value):
        self.value = value


class Worker:
    def __init__(self, requests: int, replies: int, beats: int, target: Path, role: str = "learner"):
        self.requests, self.replies, self.beats = requests, replies, beats
        self.target = target.resolve()
        self.role = role  # "learner": imports the learner's file; "judge": never does, measures for the checks
        self.objects = Objects()
        self.callbacks = Callbacks(self)
        self.busy = False
        self.main_thread = threading.get_ident()
        self.reported_violations = 0
        self.last_call: dict = {}

    # -- encoding what goes back -------------------------------------------
    def fallback(self, encoder: Encoder, value, depth: int):
        from course.worker import portray

        view = portray.view_of(value, encoder, depth)
        if view is not None:
            view["ref"] = self.reference(value)
            return view
        return self.reference(value)

    def reference(self, value) -> dict:
        text = ""
        with contextlib.suppress(Exception):
            text = object.__repr__(value) if type(value).__repr__ is object.__repr__ else repr(value)
        return {
            "$t": "ref",
            "id": self.objects.number(value),
            "mro": type_names(value)[:12],
            "repr": str(text)[:200],
            "callable": callable(value),
        }

    # -- decoding what comes in ----------------------------------------------
    def make(self, tag, item, decoder, depth):
        if tag == "ref":
            return self.objects.get(item.get("id"))
        if tag == "standin":
            return self.callbacks.proxy(item, decoder, depth)
        raise ChannelError(f"a value of an unknown kind ({str(tag)[:20]})")

    # -- the loop --------------------------------------------------------------
    def serve(self) -> None:
        threading.Thread(target=self.beat, daemon=True).start()
        from course.channel import ChannelClosed, Decoder

        while True:
            try:
                header, blobs = receive(self.requests)
            except ChannelClosed:
                return
            op = header.get("op")
            if op == "bye":
                return
            printed = Capped()
            reply: dict
            encoder = Encoder(self.fallback)
            self.busy = True
            self.last_call = {}
            try:
                decoder = Decoder(blobs, self.make)
                arguments = decoder.decode(header.get("arguments", {"$t": "dict", "v": []}))
                with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
                    result = self.run(op, arguments)
                try:
                    value = self.reference(result.value) if isinstance(result, Kept) else encoder.encode(result)
                    reply = {"ok": True, "value": value}
                except ChannelError as error:  # what the code returned cannot cross: say so, as a ValueError
                    encoder = Encoder(self.fallback)
                    reply = {"ok": False, "error": unsendable(error)}
            except BaseException as error:  # the learner's error is the answer
                encoder = Encoder(self.fallback)
                reply = {"ok": False, "error": error_facts(error, self.mine)}
            finally:
                self.busy = False
            reply["printed"] = printed.text()
            reply["violations"] = self.new_violations()
            reply.update(self.last_call)
            try:
                send(self.replies, reply, encoder.blobs)
            except Exception as error:
                send(self.replies, {"ok": False, "error": error_facts(error, self.mine), "printed": printed.text()})

    def run(self, op: str, arguments: dict):
        if self.role == "judge" and op != "release":
            return self.judge(op, arguments)
        if op == "import":
            return self.import_lesson(int(arguments["lesson"]))
        if op == "given":
            from course.worker import inputs

            name = str(arguments["name"])
            if name.startswith("_") or name not in inputs.__all__:
                raise LookupError(f"the checks asked for an unknown input ({name[:40]})")
            return getattr(inputs, name)(*arguments.get("args", ()), **arguments.get("kwargs", {}))
        if op == "release":
            self.objects.release(arguments.get("ids"))
            return None
        target = arguments["ref"]
        if op == "getattr":
            return getattr(target, str(arguments["name"]))
        if op == "call":
            function = getattr(target, str(arguments["name"])) if arguments.get("name") else target
            result, self.last_call = watched_call(function, arguments.get("args", ()), arguments.get("kwargs", {}))
            return Kept(result) if arguments.get("keep") else result
        if op == "getitem":
            return target[arguments["key"]]
        if op == "len":
            return len(target)
        if op == "bool":
            return bool(target)
        if op == "iterate":
            return self.iterate(target)
        if op == "array":
            import numpy as np

            return np.asarray(target)
        if op == "isinstance":
            return isinstance(target, resolve_class(str(arguments["cls"])))
        raise LookupError(f"an unknown request ({str(op)[:20]})")

    def judge(self, op: str, arguments: dict):
        """The judge's one request: a yardstick by name (``course.worker.yardsticks``), on data only."""
        from course.worker import yardsticks

        name = str(arguments.get("name"))
        if op != "judge" or name.startswith("_") or name not in yardsticks.__all__:
            raise LookupError(f"the judge does not do that ({str(op)[:20]} {name[:40]})")
        return getattr(yardsticks, name)(*arguments.get("args", ()), **arguments.get("kwargs", {}))

    def iterate(self, target) -> list:
        items = []
        iterator = iter(target)
        if type_names(target)[0].startswith("tensorflow.") and hasattr(target, "as_numpy_iterator"):
            iterator = target.as_numpy_iterator()  # a tf.data pass, as NumPy arrays
        for item in iterator:
            items.append(item)
            if len(items) > ITERATION_LIMIT:
                raise OverflowError(f"more than {ITERATION_LIMIT:,} items in one pass")
        return items

    def import_lesson(self, lesson_id: int):
        from course.lessons import add_stage_paths, get_lesson
        from course.quiet import import_tensorflow, uses_tensorflow
        from course.worker import standins

        lesson = get_lesson(lesson_id)
        path = lesson.file_in(self.target)
        add_stage_paths(self.target)
        standins.install(lesson)  # earlier lessons it imports: the course's own, so this lesson is graded on its own
        if path.is_file() and uses_tensorflow(path):
            import_tensorflow()  # before the learner's file, so TensorFlow's start-up notices stay hidden
        module = importlib.import_module(lesson.module_name)
        return {"module": module, "file": str(Path(module.__file__).resolve())}

    def mine(self, filename: str) -> bool:
        try:
            Path(filename).resolve().relative_to(self.target)
        except (ValueError, OSError):
            return False
        return True

    def new_violations(self) -> list[dict]:
        from course.worker import audit

        fresh = audit.violations[self.reported_violations : self.reported_violations + 20]
        self.reported_violations = len(audit.violations)
        return [{key: str(value)[:500] for key, value in violation.items()} for violation in fresh]

    # -- the heartbeat ----------------------------------------------------------
    def beat(self) -> None:
        """The learner's line being run, every BEAT_SECONDS (for a time-out's message; the CPU time used is measured
        by the checks' side, from the kernel)."""
        while True:
            REAL["sleep"](BEAT_SECONDS)
            line = f'{{"where": {where_json(self)}}}\n'.encode()
            try:
                os.write(self.beats, line)
            except BlockingIOError:
                continue  # nobody read the last beats: skip this one
            except OSError:
                return


def unsendable(error: Exception) -> dict:
    """The error for a value that cannot go to the checks (too big, Python objects in an array, ...)."""
    return {
        "type": "ValueError",
        "mro": ["ValueError", "Exception", "BaseException", "object"],
        "message": f"what your code returned cannot go to the checks: {error}",
        "frames": [],
    }


def where_json(worker: Worker) -> str:
    """The learner's file and line the main thread is running now, as JSON (null when not in the learner's code)."""
    import json

    if not worker.busy:
        return "null"
    frame = sys._current_frames().get(worker.main_thread)
    while frame is not None:
        if worker.mine(frame.f_code.co_filename):
            from course.lessons import display_path

            return json.dumps([display_path(Path(frame.f_code.co_filename)), frame.f_lineno])
        frame = frame.f_back
    return "null"


def main(argv: list[str]) -> None:
    requests, replies, beats, target = int(argv[0]), int(argv[1]), int(argv[2]), Path(argv[3])
    role = argv[4] if len(argv) > 4 else "learner"
    os.set_blocking(beats, False)
    from course.worker import audit, clock

    if role == "learner":
        clock.install()  # the learner's code reads the checks' clock, never the machine's
        audit.install_from_environment()  # grading: the audit hook, before any learner code is imported
    Worker(requests, replies, beats, target, role).serve()
    os._exit(0)  # threads the learner's code started must not keep this process alive


if __name__ == "__main__":
    main(sys.argv[1:])
