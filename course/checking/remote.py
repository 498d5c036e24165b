"""The checks' side of the channel: the worker that runs the learner's code, and references to what it holds.

``import_lesson(3)`` gives a ``RemoteModule``; ``lesson.build_model()`` sends
the call to the worker and gives back what the learner's function returned:
plain data (arrays, numbers, tuples, ...) decoded here, or a ``Ref`` to an
object that stays in the worker (a Keras model, a Flask app, a function).
A ``Ref`` forwards what a check does with it (read an attribute, call it,
index it, iterate it, ``np.asarray`` it) to the worker, one request each.

A worker that dies, hangs, floods the channel or sends what the channel
refuses is stopped; the check that called it fails with a sentence saying
which, and the next check gets a fresh worker (``Pool``). References into a
stopped worker are gone: using one says so.
"""

from __future__ import annotations

import itertools
import json
import os
import select
import sys
import threading
import time
import weakref

from course.channel import ChannelClosed, ChannelError, Decoder, Encoder, receive, send
from course.checking.failures import InputChanged, WorkerGone, WorkerRefused, remote_exception
from course.checking.refs import Ref

GENERATIONS = itertools.count(1)


class Worker:
    """One worker process, reached through three pipes (requests, replies, heartbeats)."""

    def __init__(self, process, role: str = "learner"):
        self.process = process  # what the spawner gave: fds, stop(), ended()
        self.role = role
        self.spent = {"import": 0.0, "calls": 0.0}  # wall seconds the checks waited on it, by kind of request
        self.generation = next(GENERATIONS)
        self.dead: str | None = None
        self.refs: weakref.WeakValueDictionary[int, Ref] = weakref.WeakValueDictionary()
        self.released: list[int] = []
        self.standins: dict[int, object] = {}  # the checks' stand-ins this worker's proxies call back
        self.last_call: dict = {}  # what the learner's function did with its arguments, on the last call
        self.where = None
        self.violations: list[dict] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._heartbeats, daemon=True).start()

    # -- heartbeats: the learner's line being run -----------------------------------
    def _heartbeats(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self.process.beats, 4096)
            except OSError:
                return
            if not chunk:
                return
            buffer = (buffer + chunk)[-8192:]
            *lines, buffer = buffer.split(b"\n")
            for line in lines[-1:]:
                try:
                    where = json.loads(line).get("where")
                    self.where = (str(where[0])[:200], int(where[1])) if where else None
                except (ValueError, KeyError, TypeError, AttributeError, IndexError):
                    continue

    # -- requests ---------------------------------------------------------------
    def request(self, op: str, **arguments):
        if self.dead:
            raise WorkerGone(self.dead)
        started = time.monotonic()
        try:
            with self.lock:
                encoder = Encoder(self._encode_here)
                payload = encoder.encode(arguments)
                if self.released:
                    ids, self.released = self.released[:], []
                    release = Encoder().encode({"ids": ids})
                    self._exchange({"op": "release", "arguments": release}, [])
                return self._exchange({"op": op, "arguments": payload}, encoder.blobs)
        finally:
            self.spent["import" if op == "import" else "calls"] += time.monotonic() - started

    def _exchange(self, header: dict, blobs: list[bytes]):
        try:
            send(self.process.requests, header, blobs)
            reply, reply_blobs = self._receive()
            while "callback" in reply:  # the learner's code called a stand-in: it answers from here
                self._answer(reply, reply_blobs)
                reply, reply_blobs = self._receive()
        except ChannelClosed:
            raise self._gone(self.process.ended() or "your code's process ended") from None
        except ChannelError as error:
            raise self._gone(f"your code sent back something the checks refuse: {error}", WorkerRefused) from None
        except BrokenPipeError:
            raise self._gone(self.process.ended() or "your code's process ended") from None
        except BaseException:  # the time limit, Ctrl+C: the reply (if any) is lost, so is the worker
            self.stop("your code's process was stopped while it was still working (an earlier check ran out of time)")
            raise
        printed = reply.get("printed")
        if isinstance(printed, str) and printed:
            sys.stdout.write(printed)
        if isinstance(reply.get("violations"), list):
            self.violations += [item for item in reply["violations"] if isinstance(item, dict)][:20]
        self.last_call = reply.get("call") if isinstance(reply.get("call"), dict) else {}
        changed = self.last_call.get("changed")
        if reply.get("ok") is True and isinstance(changed, list) and changed:
            raise InputChanged(str(self.last_call.get("function", "the function"))[:60], changed)
        try:
            if reply.get("ok") is True:
                return Decoder(reply_blobs, self._make_here).decode(reply.get("value"))
            facts = reply.get("error")
        except ChannelError as error:
            raise self._gone(f"your code sent back something the checks refuse: {error}", WorkerRefused) from None
        raise remote_exception(facts if isinstance(facts, dict) else {"message": "an unreadable error"})

    def _receive(self):
        """The worker's next reply. A worker that ends without closing its pipe (a process it left behind holds the
        pipe open) is gone at once, not when the check's time runs out: asked each second while no reply comes."""
        while not select.select([self.process.replies], [], [], 1.0)[0]:
            if self.process.ended(wait=False):
                raise ChannelClosed("the worker ended")
        return receive(self.process.replies)

    def _answer(self, reply: dict, blobs: list) -> None:
        """One call of a stand-in, answered here (its arguments are data, summed up by the worker)."""
        from course.checking.standins import answer_call

        header, encoder = answer_call(self.standins, reply, blobs, Encoder(self._encode_here))
        send(self.process.requests, header, encoder.blobs)

    def _gone(self, why: str, kind: type[WorkerGone] = WorkerGone) -> WorkerGone:
        self.stop(why)
        return kind(why)

    def stop(self, why: str) -> None:
        if not self.dead:
            self.dead = why
            self.process.stop()

    # -- values: references and views --------------------------------------------
    def _encode_here(self, encoder: Encoder, value, depth: int):
        from course.checking.standins import StandIn
        from course.checking.views import RemotePath

        if isinstance(value, StandIn):
            number = next((key for key, known in self.standins.items() if known is value), len(self.standins) + 1)
            self.standins[number] = value
            attributes = encoder.encode(value.attributes, depth + 1)
            return {
                "$t": "standin",
                "id": number,
                "kind": value.kind,
                "attributes": attributes,
                "methods": value.methods,
            }

        if isinstance(value, Ref):
            if value._worker is not self:
                raise WorkerGone(
                    "a value your code made earlier belonged to a process that was stopped; this check cannot use it"
                )
            return {"$t": "ref", "id": value._id}
        if isinstance(value, RemotePath):
            return {"$t": "path", "v": value.path}
        remote = getattr(value, "_remote", None)
        if isinstance(remote, Ref):
            return self._encode_here(encoder, remote, depth)
        raise ChannelError(f"a {type(value).__name__} cannot be handed to your code")

    def _make_here(self, tag: str, item: dict, decoder: Decoder, depth: int):
        from course.checking import views

        if tag == "ref":
            return self._ref(item)
        if tag in ("figure", "history"):
            description = decoder.decode(item.get("v"), depth + 1)
            ref = self._ref(item["ref"]) if isinstance(item.get("ref"), dict) else None
            return (views.FigureView if tag == "figure" else views.HistoryView)(description, ref)
        raise ChannelError(f"a value of an unknown kind ({tag[:20]})")

    def _ref(self, item: dict) -> Ref:
        number = item.get("id")
        if type(number) is not int:
            raise ChannelError("a reference without its number")
        known = self.refs.get(number)
        if known is not None:
            return known
        mro = [str(name)[:200] for name in item.get("mro") or []][:12]
        kind = Ref
        if any(name.startswith("flask.") and name.endswith(".Flask") for name in mro):
            from course.checking.views import RemoteApp

            kind = RemoteApp
        ref = kind(self, number, mro, str(item.get("repr", ""))[:200], bool(item.get("callable")))
        self.refs[number] = ref
        return ref

    def forget(self, number: int) -> None:
        if not self.dead:
            self.released.append(number)
