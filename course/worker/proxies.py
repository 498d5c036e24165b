"""The worker's side of the checks' stand-ins: proxies whose every call is answered by the checks.

A stand-in arrives as ``{"$t": "standin", ...}``: its number, its kind, the
plain data it shows as attributes and the names of its methods. The proxy
built here holds nothing else: calling a method sends the call back to the
checks (``Callbacks.call``), which answer with the value, the time the call
took (the worker's clock moves by it, ``course.worker.clock``), or an input
to build here. Runs in the worker, beside the learner's code.
"""

from __future__ import annotations

import threading

from course.channel import ChannelError, Decoder, Encoder, receive, send
from course.worker.clock import clock


class StandInRefused(RuntimeError):
    """The checks refused a call of their stand-in (arguments they cannot read, say)."""


def summary(encoder: Encoder, value, depth: int):
    """What is not plain data goes back to the checks as a few words, never as a reference."""
    return encoder.encode(f"<a {type(value).__name__}>", depth)


class Callbacks:
    """Calls of the checks' stand-ins, sent over the worker's own pipes while a request is being answered."""

    def __init__(self, worker):
        self.worker = worker
        self.lock = threading.Lock()
        self.proxies: dict[int, object] = {}

    def call(self, number: int, method: str, args: tuple, kwargs: dict):
        encoder = Encoder(summary)
        payload = encoder.encode({"args": tuple(args), "kwargs": dict(kwargs)})
        with self.lock:
            send(self.worker.replies, {"callback": number, "method": method, "arguments": payload}, encoder.blobs)
            header, blobs = receive(self.worker.requests)
        if header.get("ok") is not True:
            raise StandInRefused(str(header.get("error", "the checks refused this call"))[:500])
        clock.advance(float(header.get("wall") or 0.0), header.get("cpu"))
        value = Decoder(blobs, self.worker.make).decode(header.get("value"))
        make = header.get("make")
        if isinstance(make, dict):
            from course.worker import inputs

            name = str(make.get("name"))
            if name not in inputs.__all__:
                raise ChannelError(f"the checks asked for an unknown input ({name[:40]})")
            extra = Decoder(blobs, self.worker.make).decode(make.get("arguments"))
            value = getattr(inputs, name)(*extra.get("args", ()), **extra.get("kwargs", {}))
        return value

    def proxy(self, item: dict, decoder: Decoder, depth: int):
        number = item.get("id")
        if type(number) is not int:
            raise ChannelError("a stand-in without its number")
        if number not in self.proxies:
            attributes = decoder.decode(item.get("attributes"), depth + 1)
            methods = [str(name) for name in item.get("methods") or []][:20]
            make = _keras_callback if item.get("kind") == "keras_callback" else _object
            self.proxies[number] = make(self, number, attributes if isinstance(attributes, dict) else {}, methods)
        return self.proxies[number]


def _forwarding(callbacks: Callbacks, number: int, name: str):
    def forward(self, *args, **kwargs):
        return callbacks.call(number, name, args, kwargs)

    forward.__name__ = name
    return forward


def _object(callbacks: Callbacks, number: int, attributes: dict, methods: list[str]):
    members = {name: _forwarding(callbacks, number, name) for name in methods}
    cls = type("StandIn", (), {**members, "__repr__": lambda self: "<a stand-in from the checks>"})
    proxy = cls()
    for key, value in attributes.items():
        setattr(proxy, str(key), value)
    return proxy


def _keras_callback(callbacks: Callbacks, number: int, attributes: dict, methods: list[str]):
    from course.quiet import import_tensorflow

    import_tensorflow()
    import keras

    members = {name: _forwarding(callbacks, number, name) for name in methods if name.startswith("on_")}
    proxy = type("StandInCallback", (keras.callbacks.Callback,), members)()
    for key, value in attributes.items():
        setattr(proxy, str(key), value)
    return proxy
