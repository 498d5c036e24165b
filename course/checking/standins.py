"""Stand-ins the checks hand to the learner's code: objects that live here, and answer every call from here.

A check that needs to see how the learner's code uses something (a stage to
time, a model to predict with, a callback, a function to count) makes a
``StandIn`` here and passes it on like any other argument. The learner's code
gets a proxy in the worker: its attributes are the plain data the stand-in
shows (``attributes``), and each call of one of its ``methods`` comes back
here, over the channel, while the check waits for its own call to finish. The
stand-in decides the answer (``Answer``): the value returned, the time the
call takes on the worker's clock (``wall`` and ``cpu`` seconds: the clock
moves by exactly that, whatever the machine is doing), or an input the worker
builds (``Make``). What the stand-in records (its calls, their arguments) stays
here, where the learner's code cannot read or change it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Make:
    """An input the worker builds and returns in place of a value (``course.worker.inputs.<name>``)."""

    name: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


@dataclass
class Answer:
    """What one call of a stand-in gives back: a value (or an input to ``make``), and how long it took."""

    value: object = None
    wall: float = 0.0  # seconds the worker's clock moves on
    cpu: float | None = None  # seconds of it spent computing (None: all of it)
    make: Make | None = None


class StandIn:
    """Subclass and define ``answer``; ``kind`` is "object" or "keras_callback" (a keras.callbacks.Callback)."""

    kind = "object"
    methods: tuple[str, ...] = ("__call__",)

    @property
    def attributes(self) -> dict:
        """Plain data the learner's code may read as attributes (never an answer the check expects)."""
        return {}

    def answer(self, method: str, args: tuple, kwargs: dict) -> Answer:
        raise NotImplementedError


class Calls(StandIn):
    """Counts its calls and keeps their arguments (as the worker summed them up: arrays as shape and dtype)."""

    def __init__(self, value=None):
        self.value = value
        self.calls: list[tuple[tuple, dict]] = []

    def answer(self, method, args, kwargs):
        self.calls.append((args, kwargs))
        return Answer(self.value)


class RecordingModel(StandIn):
    """Stands in for a Keras model: answers one fixed row for every image, and keeps how predict was called."""

    methods = ("predict",)

    def __init__(self, row):
        self.row = np.asarray(row, "float32")
        self.calls: list[dict] = []

    def answer(self, method, args, kwargs):
        images = args[0] if args else kwargs.get("x")
        batch_size = kwargs.get("batch_size", args[1] if len(args) > 1 else None)
        verbose = kwargs.get("verbose", args[2] if len(args) > 2 else "auto")
        self.calls.append({"shape": tuple(np.shape(images)), "batch_size": batch_size, "verbose": verbose})
        return Answer(np.tile(self.row, (len(images), 1)))


def answer_call(standins: dict, reply: dict, blobs: list, encoder):
    """The checks' answer to one call of a stand-in: (the header to send back, the encoder holding its blobs).
    Whatever the worker sent is data, checked here; a stand-in that cannot be called is refused, not obeyed."""
    from course.channel import ChannelError, Decoder, Encoder

    standin = standins.get(reply.get("callback"))
    method = str(reply.get("method", ""))
    try:
        if standin is None or method not in standin.methods:
            raise LookupError("a call of a stand-in the checks did not hand over")
        arguments = Decoder(blobs).decode(reply.get("arguments"))
        answer = standin.answer(method, tuple(arguments.get("args", ())), dict(arguments.get("kwargs", {})))
        answer = answer if isinstance(answer, Answer) else Answer(answer)
        header = {"ok": True, "value": encoder.encode(answer.value), "wall": answer.wall, "cpu": answer.cpu}
        if answer.make is not None:
            header["make"] = {
                "name": answer.make.name,
                "arguments": encoder.encode({"args": answer.make.args, "kwargs": answer.make.kwargs}),
            }
    except (ChannelError, LookupError, TypeError, ValueError, AttributeError) as error:
        encoder, header = Encoder(), {"ok": False, "error": f"{type(error).__name__}: {error}"[:500]}
    return header, encoder
