"""A reference to an object that stays in the learner's worker (``Ref``), and ``is_a`` for such values.

Apart from ``course.checking.remote`` (the worker's pipes) so that the views
(``course.checking.views``) can build on a reference without importing the
pipes that make one: who imports it, the checks' side of the course only.
"""

from __future__ import annotations


class Ref:
    """An object that stays in the worker; what a check does with it is done there."""

    __slots__ = ("__weakref__", "_callable", "_id", "_mro", "_repr", "_worker")

    def __init__(self, worker, number: int, mro: list[str], text: str, is_callable: bool):  # worker: a remote.Worker
        object.__setattr__(self, "_worker", worker)
        object.__setattr__(self, "_id", number)
        object.__setattr__(self, "_mro", mro)
        object.__setattr__(self, "_repr", text)
        object.__setattr__(self, "_callable", is_callable)

    def _ask(self, op: str, **arguments):
        return self._worker.request(op, ref=self, **arguments)

    def __getattr__(self, name: str):
        if name.startswith("__") and name not in ("__name__", "__qualname__", "__doc__", "__file__"):
            raise AttributeError(name)
        return self._ask("getattr", name=name)

    def __setattr__(self, name, value):
        raise AttributeError("the checks do not change your code's objects")

    def __call__(self, *args, **kwargs):
        return self._ask("call", args=args, kwargs=kwargs)

    def __getitem__(self, key):
        return self._ask("getitem", key=key)

    def __len__(self) -> int:
        return int(self._ask("len"))

    def __bool__(self) -> bool:
        return bool(self._ask("bool"))

    def __iter__(self):
        return iter(self._ask("iterate"))

    def __array__(self, dtype=None, copy=None):
        import numpy as np

        array = np.asarray(self._ask("array"))
        return array.astype(dtype) if dtype is not None else array

    def __repr__(self) -> str:
        return self._repr or f"<a {self.type_name} from your code>"

    def __del__(self):
        worker = object.__getattribute__(self, "_worker")
        worker.forget(object.__getattribute__(self, "_id"))

    @property
    def type_name(self) -> str:
        return self._mro[0].rsplit(".", 1)[-1] if self._mro else "object"

    def method(self, name: str, *args, **kwargs):
        """Call the method ``name`` in one request (instead of reading it, then calling it)."""
        return self._ask("call", name=name, args=args, kwargs=kwargs)

    def kept(self, name: str, *args, **kwargs) -> Ref:
        """Call the method ``name`` and keep what it returns in the worker (a reference to it), as a caller that
        stores the answer would: an answer that is a view into memory the next call reuses shows it."""
        return self._ask("call", name=name, args=args, kwargs=kwargs, keep=True)


def is_a(value, cls: str) -> bool:
    """``isinstance(value, <cls>)`` for a public class name (``keras.Model``), for values here or in the worker."""
    if isinstance(value, Ref):
        return bool(value._ask("isinstance", cls=cls))
    short = cls.rsplit(".", 1)[-1]
    return any(klass.__name__ == short for klass in type(value).__mro__)
