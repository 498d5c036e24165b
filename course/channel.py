"""The channel between the checks and the worker that runs the learner's code: data only, never code.

Both sides speak it; neither trusts what it reads. A message is a JSON header
(its length first) followed by the binary blobs it names (NumPy arrays, bytes).
Values are encoded with tags, and decoding builds only plain data: ``None``,
bools, ints, floats, strings, tuples, lists, dicts, sets, bytes, paths,
``SimpleNamespace``, a few of the course's own records (``RECORDS``), NumPy
arrays and scalars, and the views and references the caller's ``make`` builds
from a tag. There is no pickle and no eval:

* arrays travel as .npy bytes whose header is parsed here and checked against
  the blob's size before anything is allocated; object arrays are refused;
  what arrives is a plain ``ndarray`` (a subclass with a lying ``__eq__`` is
  gone once its bytes have crossed);
* every message has caps: the header's size, the blobs' total, nesting depth
  and the number of items.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import struct
from pathlib import Path, PurePath
from types import SimpleNamespace

import numpy as np

from course.npy import ArrayError, array_from, array_parts

MAX_HEADER = 16 * 1024 * 1024  # bytes of JSON in one message
MAX_BLOBS = 768 * 1024 * 1024  # bytes of arrays and blobs in one message (all 60,000 images as float32 fit)
MAX_DEPTH = 48
MAX_ITEMS = 2_000_000


class ChannelError(Exception):
    """What came over the channel breaks its rules (too big, malformed, a forbidden kind of value)."""


class ChannelClosed(ChannelError):
    """The other side closed the channel (the process ended)."""


# ---------------------------------------------------------------------------
# Records: the course's own small data classes that may cross as data.


def _records() -> dict[str, type]:
    from course.pendigits import PenDigit

    return {"PenDigit": PenDigit}


# ---------------------------------------------------------------------------
# Values


class Encoder:
    """Turns a value into JSON and blobs. ``fallback(value)`` encodes what is not plain data (or raises)."""

    def __init__(self, fallback=None):
        self.blobs: list[list] = []  # each blob: a list of byte-like parts sent one after another
        self.total = 0
        self.items = 0
        self.fallback = fallback

    def blob(self, data) -> int:
        parts = data if isinstance(data, list) else [bytes(data)]
        self.total += sum(memoryview(part).nbytes for part in parts)
        if self.total > MAX_BLOBS:
            raise ChannelError(f"more than {MAX_BLOBS // 2**20} MB of data in one message")
        self.blobs.append(parts)
        return len(self.blobs) - 1

    def encode(self, value, depth: int = 0):
        self.items += 1
        if depth > MAX_DEPTH or self.items > MAX_ITEMS:
            raise ChannelError("a value nested too deeply, or with too many items")
        kind = type(value)
        if value is None or kind in (bool, str):
            return value
        if kind is int:
            return value if abs(value) < 2**63 else {"$t": "bigint", "v": str(value)}
        if kind is float:
            return value if math.isfinite(value) else {"$t": "float", "v": repr(value)}
        if isinstance(value, (np.ndarray, np.generic)):
            try:
                parts = array_parts(np.asarray(value))
            except ArrayError as error:
                raise ChannelError(str(error)) from None
            return {"$t": "array" if isinstance(value, np.ndarray) else "scalar", "b": self.blob(parts)}
        if isinstance(value, (bytes, bytearray, memoryview)):
            return {"$t": "bytes", "b": self.blob(bytes(value))}
        if isinstance(value, bool):
            return bool(value)
        if isinstance(value, int):
            return self.encode(int(value), depth)  # an int subclass crosses as a plain int
        if isinstance(value, float):
            return self.encode(float(value), depth)
        if isinstance(value, str):
            return str.__str__(value)
        if isinstance(value, (tuple, list, set, frozenset)) and not self._is_view(value):
            tag = next(name for name, base in SEQUENCES if isinstance(value, base))
            return {"$t": tag, "v": [self.encode(item, depth + 1) for item in value]}
        if isinstance(value, dict):
            return {
                "$t": "dict",
                "v": [[self.encode(key, depth + 1), self.encode(item, depth + 1)] for key, item in value.items()],
            }
        if isinstance(value, SimpleNamespace):
            return {"$t": "ns", "v": {str(key): self.encode(item, depth + 1) for key, item in vars(value).items()}}
        if isinstance(value, PurePath):
            return {"$t": "path", "v": os.fspath(value)}
        record = type(value).__name__
        if record in _records() and type(value) is _records()[record]:
            fields = {name: self.encode(getattr(value, name), depth + 1) for name in value.__dataclass_fields__}
            return {"$t": "record", "class": record, "v": fields}
        if self.fallback is not None:
            return self.fallback(self, value, depth)
        raise ChannelError(f"a {type(value).__name__} cannot cross the channel")

    @staticmethod
    def _is_view(value) -> bool:
        return False


SEQUENCES = (("tuple", tuple), ("list", list), ("frozenset", frozenset), ("set", set))


class Decoder:
    """Turns JSON and blobs back into values. ``make(tag, item, decoder)`` builds the tags that are not plain data."""

    def __init__(self, blobs: list[bytes], make=None):
        self.blobs = blobs
        self.items = 0
        self.make = make

    def decode(self, item, depth: int = 0):
        self.items += 1
        if depth > MAX_DEPTH or self.items > MAX_ITEMS:
            raise ChannelError("a value nested too deeply, or with too many items")
        if item is None or type(item) in (bool, int, float, str):
            return item
        if type(item) is list:
            raise ChannelError("an untagged list")
        if type(item) is not dict or not isinstance(item.get("$t"), str):
            raise ChannelError("an untagged value")
        tag = item["$t"]
        if tag == "bigint":
            return int(str(item["v"])[:40])
        if tag == "float":
            return float(str(item["v"]))
        if tag in ("array", "scalar", "bytes"):
            blob = self._blob(item)
            if tag == "bytes":
                return bytes(blob)
            try:
                array = array_from(blob)
            except ArrayError as error:
                raise ChannelError(str(error)) from None
            return array[()] if tag == "scalar" else array
        if tag in ("tuple", "list", "set", "frozenset"):
            items = [self.decode(value, depth + 1) for value in self._list(item)]
            return {"tuple": tuple, "list": list, "set": set, "frozenset": frozenset}[tag](items)
        if tag == "dict":
            pairs = self._list(item)
            if not all(type(pair) is list and len(pair) == 2 for pair in pairs):
                raise ChannelError("a dict that is not a list of pairs")
            return {self.decode(key, depth + 1): self.decode(value, depth + 1) for key, value in pairs}
        if tag == "ns":
            fields = item.get("v")
            if type(fields) is not dict:
                raise ChannelError("a namespace without fields")
            return SimpleNamespace(**{str(key): self.decode(value, depth + 1) for key, value in fields.items()})
        if tag == "path":
            return Path(str(item.get("v")))
        if tag == "record":
            cls = _records().get(str(item.get("class")))
            fields = item.get("v")
            if cls is None or type(fields) is not dict or set(fields) != set(cls.__dataclass_fields__):
                raise ChannelError(f"an unknown record ({str(item.get('class'))[:40]})")
            return cls(**{name: self.decode(value, depth + 1) for name, value in fields.items()})
        if self.make is not None:
            return self.make(tag, item, self, depth)
        raise ChannelError(f"a value of an unknown kind ({tag[:20]})")

    def _blob(self, item) -> bytes:
        index = item.get("b")
        if type(index) is not int or not 0 <= index < len(self.blobs):
            raise ChannelError("a reference to data that was not sent")
        return self.blobs[index]

    @staticmethod
    def _list(item) -> list:
        values = item.get("v")
        if type(values) is not list:
            raise ChannelError("a sequence without items")
        return values


# ---------------------------------------------------------------------------
# Framing over file descriptors


def _read_exactly(fd: int, size: int) -> bytearray:
    data = bytearray(size)
    view, done = memoryview(data), 0
    while done < size:
        count = os.readv(fd, [view[done:]])
        if not count:
            raise ChannelClosed("the other side closed the channel")
        done += count
    return data


def widen(*fds: int) -> None:
    """Give pipes a 1 MB buffer (Linux): big arrays then cross in far fewer steps."""
    import fcntl

    for fd in fds:
        with contextlib.suppress(OSError, AttributeError):
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)


def send(fd: int, header: dict, blobs: list = ()) -> None:
    """Write one message: the JSON header (with the blobs' sizes), then the blobs (each one or more parts)."""
    blobs = [blob if isinstance(blob, list) else [blob] for blob in blobs]
    sizes = [sum(memoryview(part).nbytes for part in blob) for blob in blobs]
    text = json.dumps({**header, "blobs": sizes}, separators=(",", ":"), allow_nan=False).encode()
    if len(text) > MAX_HEADER:
        raise ChannelError(f"a message of more than {MAX_HEADER // 2**20} MB of text")
    parts = [struct.pack(">I", len(text)) + text, *(part for blob in blobs for part in blob)]
    for part in parts:
        view = memoryview(part).cast("B")
        while view:
            written = os.write(fd, view[: 1 << 20])
            view = view[written:]


def receive(fd: int, max_blobs: int = MAX_BLOBS) -> tuple[dict, list[bytes]]:
    """Read one message; anything that breaks the caps or the format raises ChannelError."""
    (size,) = struct.unpack(">I", _read_exactly(fd, 4))
    if size > MAX_HEADER:
        raise ChannelError(f"a message of {size:,} bytes of text (at most {MAX_HEADER:,})")
    try:
        header = json.loads(_read_exactly(fd, size))
    except ValueError:
        raise ChannelError("a message that is not JSON") from None
    sizes = header.get("blobs") if type(header) is dict else None
    if type(sizes) is not list or not all(type(n) is int and n >= 0 for n in sizes):
        raise ChannelError("a message without its list of blobs")
    if sum(sizes) > max_blobs:
        raise ChannelError(f"{sum(sizes) // 2**20} MB of data in one message (at most {max_blobs // 2**20} MB)")
    return header, [_read_exactly(fd, n) for n in sizes]
