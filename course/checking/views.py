"""What the checks read instead of the learner's objects: a figure's description, a history, a path, an app.

* ``FigureView``: the learner's matplotlib Figure, as the worker described it
  (``portray``), read with the calls the checks used on a real figure:
  ``fig.axes``, ``ax.get_title()``, ``ax.get_lines()``, ``line.get_ydata()``,
  ``ax.images[0].get_array()``, ``ax.texts``, ``ax.get_legend()``, ...
* ``HistoryView``: a Keras History's ``history``, ``params`` and ``epoch``.
* ``RemotePath``: a file or folder in the worker's world (where the learner's
  code saves); ``exists()``, ``read_bytes()`` and friends ask the worker.
* ``RemoteApp``: the learner's Flask app; ``test_client()`` gives a client
  whose requests are built here and answered by the app in the worker.

Handed back to the learner's code, each goes as the original object (by reference).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from course.checking.refs import Ref


class _View:
    def __init__(self, description: dict, ref: Ref | None):
        self._description = description if isinstance(description, dict) else {}
        self._remote = ref


class Bbox(SimpleNamespace):
    """An axes' place in the figure, as fractions of it (x0, y0, x1, y1)."""


class TextView:
    def __init__(self, facts: dict):
        self._facts = facts

    def get_text(self) -> str:
        return str(self._facts.get("text", ""))

    def get_position(self) -> tuple[float, float]:
        return float(self._facts.get("x", 0.0)), float(self._facts.get("y", 0.0))

    def get_ha(self) -> str:
        return str(self._facts.get("ha", ""))

    def get_va(self) -> str:
        return str(self._facts.get("va", ""))


class LineView:
    def __init__(self, facts: dict):
        self._facts = facts

    def get_xdata(self) -> np.ndarray:
        return np.asarray(self._facts.get("x", []), dtype=float)

    def get_ydata(self) -> np.ndarray:
        return np.asarray(self._facts.get("y", []), dtype=float)

    def get_label(self) -> str:
        return str(self._facts.get("label", ""))


class ImageView:
    def __init__(self, facts: dict):
        self._facts = facts

    def get_array(self) -> np.ndarray:
        return np.asarray(self._facts.get("array", np.zeros((0, 0))))

    def get_cmap(self) -> SimpleNamespace:
        return SimpleNamespace(name=str(self._facts.get("cmap", "")))

    @property
    def norm_name(self) -> str:
        """The class name of the colour scale (``Normalize``, ``LogNorm``, ...)."""
        return str(self._facts.get("norm", ""))


class LegendView:
    def __init__(self, texts: list):
        self._texts = [TextView({"text": text}) for text in texts]

    def get_texts(self) -> list[TextView]:
        return self._texts


class AxesView:
    def __init__(self, facts: dict):
        self._facts = facts
        self.images = [ImageView(image) for image in facts.get("images", [])]
        self.texts = [TextView(text) for text in facts.get("texts", [])]
        self.axison = bool(facts.get("axison", True))

    def get_position(self) -> Bbox:
        x0, y0, x1, y1 = (float(v) for v in self._facts.get("position", [0, 0, 0, 0]))
        return Bbox(x0=x0, y0=y0, x1=x1, y1=y1)

    def get_title(self) -> str:
        return str(self._facts.get("title", ""))

    def get_xlabel(self) -> str:
        return str(self._facts.get("xlabel", ""))

    def get_ylabel(self) -> str:
        return str(self._facts.get("ylabel", ""))

    def get_xticks(self) -> np.ndarray:
        return np.asarray(self._facts.get("xticks", []), dtype=float)

    def get_yticks(self) -> np.ndarray:
        return np.asarray(self._facts.get("yticks", []), dtype=float)

    def get_lines(self) -> list[LineView]:
        return [LineView(line) for line in self._facts.get("lines", [])]

    def get_legend(self) -> LegendView | None:
        legend = self._facts.get("legend")
        return None if legend is None else LegendView(list(legend))


class FigureView(_View):
    """A matplotlib Figure the learner's code made, as the worker described it."""

    def __init__(self, description: dict, ref: Ref | None):
        super().__init__(description, ref)
        self.axes = [AxesView(axes) for axes in self._description.get("axes", [])]

    def get_size_inches(self) -> tuple[float, float]:
        width, height = self._description.get("size_inches", (0.0, 0.0))
        return float(width), float(height)

    def __repr__(self) -> str:
        return f"<a matplotlib Figure with {len(self._description.get('axes', []))} axes>"


class HistoryView(_View):
    """A Keras History the learner's code returned: ``history``, ``params`` and ``epoch``."""

    @property
    def history(self) -> dict:
        return dict(self._description.get("history", {}))

    @property
    def params(self) -> dict:
        return dict(self._description.get("params", {}))

    @property
    def epoch(self) -> list:
        return list(self._description.get("epoch", []))

    def __repr__(self) -> str:
        return f"<a Keras History of {len(self.epoch)} epochs>"


class RemotePath:
    """A path in the worker's world: where the learner's code reads and writes."""

    def __init__(self, pool, path: str):
        self._pool, self.path = pool, str(path)

    def __truediv__(self, name: str) -> RemotePath:
        return RemotePath(self._pool, f"{self.path.rstrip('/')}/{name}")

    def __str__(self) -> str:
        return self.path

    def __fspath__(self) -> str:
        return self.path

    def __repr__(self) -> str:
        return f"RemotePath({self.path!r})"

    @property
    def name(self) -> str:
        return self.path.rstrip("/").rsplit("/", 1)[-1]

    def _facts(self) -> dict:
        return self._pool.current().request("given", name="file_facts", args=(self.path,))

    def exists(self) -> bool:
        return bool(self._facts()["exists"])

    def is_file(self) -> bool:
        return bool(self._facts()["file"])

    def read_bytes(self, limit: int = 64 * 1024 * 1024) -> bytes:
        return self._pool.current().request("given", name="read_bytes", args=(self.path, limit))

    def iterdir(self) -> list[RemotePath]:
        names = self._pool.current().request("given", name="folder_names", args=(self.path,))
        return [self / name for name in names]


class RemoteApp(Ref):
    """The learner's Flask app, in the worker: ``test_client()`` sends it requests built here."""

    __slots__ = ()

    def test_client(self) -> RemoteClient:
        return RemoteClient(self)


class RemoteClient:
    """Flask's test client, split in two: the request is built here, the learner's app answers it in the worker."""

    def __init__(self, app: RemoteApp):
        self.app = app

    def open(self, path: str, method: str = "GET", **options):
        from werkzeug.test import EnvironBuilder
        from werkzeug.wrappers import Response

        builder = EnvironBuilder(path=path, method=method, **options)
        try:
            environ = builder.get_environ()
            body = environ["wsgi.input"].read()
        finally:
            builder.close()
        headers = [
            (key, value) for key, value in builder.headers.items() if key not in ("Content-Type", "Content-Length")
        ]
        if environ.get("CONTENT_TYPE"):
            headers.append(("Content-Type", environ["CONTENT_TYPE"]))
        answer = self.app._worker.request(
            "given",
            name="ask_app",
            args=(self.app, method, builder.path, builder.query_string, headers, body),
        )
        return Response(answer["body"], status=int(answer["status"]), headers=list(answer["headers"]))

    def get(self, path: str, **options):
        return self.open(path, "GET", **options)

    def post(self, path: str, **options):
        return self.open(path, "POST", **options)
