"""NumPy arrays as .npy bytes for the channel (``course.channel``): written without a copy, read without trust.

``array_parts`` gives an array's .npy header and its own memory (contiguous
arrays are not copied); ``array_from`` parses the header itself, checks that
the shape and dtype match the bytes that came before allocating anything, and
refuses object arrays (a pickle in disguise).
"""

from __future__ import annotations

import ast
import io
import math
import struct

import numpy as np

NPY_MAGIC = b"\x93NUMPY"


class ArrayError(ValueError):
    """Bytes that are not an array the channel accepts."""


def array_parts(array: np.ndarray) -> list:
    """An array as .npy: its header's bytes, then its own memory (no copy when it is contiguous already)."""
    array = np.asarray(array)
    if not array.flags.c_contiguous:
        array = array.copy(order="C")  # (np.ascontiguousarray would turn a 0-d array into shape (1,))
    if array.dtype.hasobject:
        raise ArrayError("an array of Python objects cannot cross (only numbers, bools and fixed-size text)")
    header = io.BytesIO()
    np.lib.format.write_array_header_2_0(header, np.lib.format.header_data_from_array_1_0(array))
    try:
        body = memoryview(array).cast("B")
    except (TypeError, ValueError):  # a dtype the buffer protocol cannot show (datetimes, ...)
        body = array.tobytes()
    return [header.getvalue(), body]


def array_from(blob: bytes | memoryview) -> np.ndarray:
    """A plain ndarray from .npy bytes; the header is checked against the data before any memory is taken."""
    data = memoryview(blob)
    if bytes(data[:6]) != NPY_MAGIC or len(data) < 10:
        raise ArrayError("an array that is not in .npy format")
    major = data[6]
    if major == 1:
        (size,), start = struct.unpack("<H", data[8:10]), 10
    elif major in (2, 3):
        (size,), start = struct.unpack("<I", data[8:12]), 12
    else:
        raise ArrayError(f"an .npy array of an unknown version ({major})")
    if size > 10_000 or start + size > len(data):
        raise ArrayError("an .npy header that is too long")
    try:
        header = ast.literal_eval(bytes(data[start : start + size]).decode("latin1"))
        dtype = np.dtype(np.lib.format.descr_to_dtype(header["descr"]))
        shape = tuple(int(n) for n in header["shape"])
        fortran = bool(header["fortran_order"])
    except (ValueError, SyntaxError, KeyError, TypeError) as error:
        raise ArrayError(f"an .npy header that cannot be read ({error})") from None
    if dtype.hasobject:
        raise ArrayError("an array of Python objects (a pickle) is refused")
    if any(n < 0 for n in shape) or len(shape) > 32:
        raise ArrayError("an array with an impossible shape")
    count = math.prod(shape)
    body = data[start + size :]
    if count * dtype.itemsize != len(body):
        raise ArrayError(f"an array whose header says {shape} {dtype} but whose data has {len(body):,} bytes")
    array = np.frombuffer(body, dtype=dtype, count=count)
    if not array.flags.writeable:
        array = array.copy()  # read-only bytes: a copy the checks may change
    return array.reshape(shape, order="F" if fortran else "C")
