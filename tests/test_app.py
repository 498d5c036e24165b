"""The finished app (solutions/06_flask_app): bad input, memory, and accuracy on drawn digits."""

import io
import os

import numpy as np
import pytest
from PIL import Image

from course import drawings
from course.mnist_file import load_mnist


@pytest.fixture(scope="module")
def app(reference_app_module, reference_model):
    return reference_app_module.create_app({"MODEL_PATH": str(reference_model), "TESTING": True})


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def test_digits():
    _, (x_test, y_test) = load_mnist()
    return x_test, y_test


def big_png(width, height):
    buffer = io.BytesIO()
    Image.new("L", (width, height), 255).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


BAD_REQUESTS = {
    "not JSON": ({"data": "hello", "content_type": "text/plain"}, 415),
    "JSON but not an object": ({"json": [1, 2, 3]}, 400),
    "no image": ({"json": {}}, 400),
    "image not a string": ({"json": {"image": 5}}, 400),
    "not a data URL": ({"json": {"image": "https://example.com/x.png"}}, 400),
    "malformed base64": ({"json": {"image": "data:image/png;base64,%%%"}}, 400),
    "empty data URL": ({"json": {"image": "data:image/png;base64,"}}, 400),
    "not an image": ({"json": {"image": drawings.data_url(b"GIF89a nope")}}, 415),
    "wrong content type": ({"data": b"\x89PNG", "content_type": "application/octet-stream"}, 415),
    "form without file": ({"data": {"other": "x"}, "content_type": "multipart/form-data"}, 415),
    "oversize body": ({"data": b"{" + b" " * (3 * 1024 * 1024) + b"}", "content_type": "application/json"}, 413),
    "JSON nested 10,000 deep": (
        {"data": '{"image": ' + "[" * 10_000 + "]" * 10_000 + "}", "content_type": "application/json"},
        400,
    ),
}


@pytest.mark.parametrize("name", BAD_REQUESTS)
def test_bad_input_is_a_json_4xx(client, name):
    request, status = BAD_REQUESTS[name]
    response = client.post("/predict", **request)
    assert response.status_code == status, (name, response.status_code, response.get_data(as_text=True)[:200])
    assert response.is_json and "error" in response.get_json()


def test_truncated_and_blank_and_bomb(client, test_digits):
    x_test, _ = test_digits
    good = drawings.png_bytes(drawings.random_drawing(x_test[0], np.random.default_rng(0)))
    cut = client.post("/predict", json={"image": drawings.data_url(good[:300])})
    assert cut.status_code == 400 and "truncated" in cut.get_json()["error"]
    blank = client.post("/predict", json={"image": drawings.data_url(Image.new("RGBA", (280, 280)))})
    assert blank.status_code == 422 and "draw a digit first" in blank.get_json()["error"]
    bomb = big_png(6000, 6000)  # 36 megapixels of white, a few tens of kB as PNG
    assert len(bomb) < 2 * 1024 * 1024
    response = client.post(
        "/predict", data={"file": (io.BytesIO(bomb), "bomb.png")}, content_type="multipart/form-data"
    )
    assert response.status_code == 413 and response.is_json
    assert client.post("/predict", json={"image": drawings.data_url(good)}).status_code == 200


def test_methods_routes_and_no_html_errors(client):
    for method, path, status in (
        ("get", "/predict", 405),
        ("put", "/predict", 405),
        ("get", "/missing", 404),
        ("delete", "/", 405),
    ):
        response = getattr(client, method)(path)
        assert response.status_code == status and response.is_json, (method, path, response.status_code)
    assert client.get("/healthz").get_json() == {"status": "ok", "model_loaded": True}


def test_debugger_is_off(app):
    assert not app.debug


def test_uploads_in_other_formats_and_polarities(client, test_digits):
    x_test, y_test = test_digits
    index = int(np.flatnonzero(y_test == 3)[0])
    paths = drawings.strokes(x_test[index])
    white_on_black = drawings.render(paths, ink=(255, 255, 255, 255), background=(0, 0, 0, 255)).convert("RGB")
    for fmt in ("JPEG", "BMP", "GIF", "WEBP"):
        buffer = io.BytesIO()
        white_on_black.save(buffer, format=fmt)
        response = client.post(
            "/predict",
            data={"file": (io.BytesIO(buffer.getvalue()), f"digit.{fmt.lower()}")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 200 and response.get_json()["digit"] == 3, (fmt, response.get_json())


def rss_mb():
    with open(f"/proc/{os.getpid()}/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


@pytest.mark.parametrize("served", ["keras", "lesson 8's faster version"])
def test_memory_flat_and_one_model_load(served, reference_app_module, reference_model, test_digits, monkeypatch):
    """Hundreds of requests: one model load, one trace (Keras), and resident memory that stays flat."""
    if served == "keras":
        monkeypatch.setenv("COURSE_SERVE_KERAS", "1")  # lesson 6's own Predictor, not lesson 8's LitePredictor
    loads = []
    original = reference_app_module.load_trained_model
    monkeypatch.setattr(reference_app_module, "load_trained_model", lambda path: loads.append(path) or original(path))
    app = reference_app_module.create_app({"MODEL_PATH": str(reference_model), "TESTING": True})
    client = app.test_client()
    x_test, _ = test_digits
    rng = np.random.default_rng(1)
    bodies = [{"image": drawings.data_url(drawings.random_drawing(x_test[i], rng))} for i in range(20)]
    for body in bodies * 3:  # warm up allocators and caches
        assert client.post("/predict", json=body).status_code == 200
    before = rss_mb()
    for _round in range(15):
        for body in bodies:
            assert client.post("/predict", json=body).status_code == 200
    after = rss_mb()
    assert len(loads) == 1
    predictor = app.extensions["predictor"]
    if served == "keras":
        assert predictor.forward.experimental_get_tracing_count() == 1
    else:
        assert type(predictor).__name__ == "LitePredictor", type(predictor)
    assert after - before < 25, f"resident memory grew from {before:.0f} MB to {after:.0f} MB over 300 requests"


def test_offline_accuracy_of_preprocessing(reference_app_module, reference_model, capsys):
    """1,000 MNIST test digits drawn at random scale, position and pen width: >= 97% with MNIST-style preprocessing."""
    from course.bench.drawn import drawn_digits_accuracy

    measured = drawn_digits_accuracy(reference_model, reference_app_module)
    with capsys.disabled():
        print(
            f"\n  drawn digits (1,000): MNIST-style preprocessing {measured['mnist_style']:.1%}, "
            f"naive resize to 28x28 {measured['naive']:.1%}"
        )
    assert measured["mnist_style"] >= 0.97, f"only {measured['mnist_style']:.1%} of drawn digits read correctly"
    assert measured["mnist_style"] > measured["naive"]
