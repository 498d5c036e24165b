"""The app learns from its user: "Wrong? It was a ..." corrections, stored in SQLite, and `make finetune`.

Bad input gets 4xx JSON and the server keeps serving; 16 clients posting at
once through the served app (gunicorn workers behind nginx) lose nothing and
never see "database is locked"; and end to end, corrections posted for misread
pen drawings, then a fine-tune, make the same digits drawn again read better.
"""

import json
import sqlite3
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from course import drawings
from course.bench.servers import AppServer
from course.finetune import finetune, split_by_time
from course.pendigits import load_pendigits


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """An untrained small CNN: storing corrections does not care how good the model is."""
    import keras

    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(4, 3),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    path = tmp_path_factory.mktemp("tiny") / "tiny.h5"
    model.save(path)
    return path


def drawing_url(seed=0):
    digits = load_pendigits()[:20]
    return drawings.data_url(drawings.random_canvas_drawing(digits[seed % 20].strokes, np.random.default_rng(seed)))


@pytest.fixture()
def client(reference_app_module, tiny_model, tmp_path):
    app = reference_app_module.create_app(
        {"MODEL_PATH": str(tiny_model), "TESTING": True, "FEEDBACK_DB": str(tmp_path / "corrections.sqlite3")}
    )
    return app.test_client()


BAD = {
    "not JSON": {"data": "label=7", "content_type": "application/x-www-form-urlencoded"},
    "JSON list": {"json": [7]},
    "no label": {"json": {"image": "data:image/png;base64,AAAA"}},
    "label 10": {"json": {"image": None, "label": 10}},
    "label as text": {"json": {"label": "7"}},
    "label true": {"json": {"label": True}},
    "guess 11": {"json": {"label": 3, "guess": 11}},
    "confidence 2": {"json": {"label": 3, "confidence": 2}},
    "no image": {"json": {"label": 3}},
    "not a data URL": {"json": {"label": 3, "image": "hello"}},
    "bad base64": {"json": {"label": 3, "image": "data:image/png;base64,@@@"}},
    "not a PNG": {"json": {"label": 3, "image": "data:image/png;base64,aGVsbG8="}},
}


@pytest.mark.parametrize("name", BAD)
def test_bad_corrections_get_a_4xx_json_answer(client, name):
    response = client.post("/feedback", **BAD[name])
    assert 400 <= response.status_code < 500 and "error" in response.get_json(), (
        name,
        response.status_code,
        response.data[:200],
    )
    good = client.post("/feedback", json={"image": drawing_url(), "label": 4, "guess": 9, "confidence": 0.5})
    assert good.status_code == 201, good.data  # and the server keeps serving


def test_an_empty_canvas_is_refused(client):
    blank = drawings.data_url(drawings.render_strokes([np.array([[0.0, 0.0]])], width=1, ink=(0, 0, 0, 0)))
    response = client.post("/feedback", json={"image": blank, "label": 3})
    assert response.status_code == 422 and "empty" in response.get_json()["error"]


def test_a_correction_is_stored_with_what_the_model_saw(client, reference_app_module, tmp_path):
    assert client.get("/feedback").get_json() == {"storing": True, "corrections": 0}
    url = drawing_url(3)
    response = client.post("/feedback", json={"image": url, "label": 7, "guess": 1, "confidence": 0.42})
    assert response.status_code == 201 and response.get_json()["corrections"] == 1
    assert client.get("/feedback").get_json()["corrections"] == 1
    with sqlite3.connect(tmp_path / "corrections.sqlite3") as database:
        assert database.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        created, label, guess, confidence, png, image28 = database.execute(
            "SELECT created, label, guess, confidence, drawing, image28 FROM corrections"
        ).fetchone()
    assert (label, guess, confidence) == (7, 1, 0.42) and created > 1.7e9
    assert png.startswith(b"\x89PNG")
    import io

    from PIL import Image

    expected = reference_app_module.to_mnist(Image.open(io.BytesIO(png)))
    assert np.allclose(np.frombuffer(image28, dtype=np.float32).reshape(28, 28), expected)


def test_storing_can_be_switched_off(reference_app_module, tiny_model, tmp_path):
    app = reference_app_module.create_app(
        {"MODEL_PATH": str(tiny_model), "TESTING": True, "FEEDBACK": False, "FEEDBACK_DB": str(tmp_path / "no.sqlite3")}
    )
    client = app.test_client()
    assert client.get("/feedback").get_json() == {"storing": False, "corrections": 0}
    assert client.post("/feedback", json={"image": drawing_url(), "label": 1}).status_code == 403
    assert not (tmp_path / "no.sqlite3").exists()


def test_sixteen_clients_lose_nothing(tiny_model, tmp_path):
    database = tmp_path / "corrections.sqlite3"
    body = json.dumps({"image": drawing_url(5), "label": 2, "guess": 8, "confidence": 0.3}).encode()
    with AppServer(
        workers=2, env={"MODEL_PATH": str(tiny_model), "FEEDBACK_DB": str(database)}, startup_seconds=90
    ) as server:

        def client(number):
            answers = []
            for _ in range(50):
                request = urllib.request.Request(
                    server.url + "/feedback", data=body, headers={"Content-Type": "application/json"}
                )
                try:
                    with urllib.request.urlopen(request, timeout=60) as response:
                        answers.append((response.status, response.read().decode()))
                except urllib.error.HTTPError as error:
                    answers.append((error.code, error.read().decode()))
            return answers

        with ThreadPoolExecutor(16) as pool:
            answers = [answer for answers in pool.map(client, range(16)) for answer in answers]
    failures = [answer for answer in answers if answer[0] != 201]
    assert not failures, failures[:3]
    assert not any("locked" in text for _, text in answers)
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT COUNT(*) FROM corrections").fetchone()[0] == 16 * 50


def test_split_by_time_holds_out_the_newest():
    learn, held = split_by_time(np.array([5.0, 1.0, 4.0, 2.0, 3.0, 9.0, 8.0, 7.0, 6.0, 0.0]))
    assert sorted(held.tolist()) == [5, 6] and len(learn) == 8


def test_corrections_then_finetune_make_the_same_digits_read_better(reference_app_module, tmp_path):
    """End to end: a weak MNIST-only model, its mistakes on pen digits corrected through the app, `make finetune`."""
    from course.handwriting import pen_images
    from course.model_file import load_trained_model
    from course.pipeline import train_pipeline

    model_path = tmp_path / "weak.h5"
    train_pipeline(
        "solutions", epochs=1, train_size=6000, model_path=model_path, verbose=0, evaluate=False, pen_digits=False
    )
    database = tmp_path / "corrections.sqlite3"
    client = reference_app_module.create_app(
        {"MODEL_PATH": str(model_path), "TESTING": True, "FEEDBACK_DB": str(database)}
    ).test_client()
    digits = [digit for digit in load_pendigits() if 21 <= digit.writer <= 22]
    rng = np.random.default_rng(11)
    posted = []
    for digit in digits:
        url = drawings.data_url(drawings.random_canvas_drawing(digit.strokes, rng))
        answer = client.post("/predict", json={"image": url}).get_json()
        if answer["digit"] != digit.label:
            response = client.post(
                "/feedback",
                json={"image": url, "label": digit.label, "guess": answer["digit"], "confidence": answer["confidence"]},
            )
            assert response.status_code == 201
            posted.append(digit)
    assert len(posted) >= 30, f"the weak model misread only {len(posted)} of {len(digits)} drawings"
    twins, labels, _ = pen_images(posted, reference_app_module.to_mnist, renderings=2, seed=99)  # drawn again

    def reads(path):
        return float(np.mean(load_trained_model(path).predict(twins[..., None], verbose=0).argmax(axis=1) == labels))

    before = reads(model_path)
    result = finetune(model_path, database, verbose=0)
    after = reads(model_path)
    print(
        f"\n  finetune: {len(posted)} corrections; their twins {before:.1%} -> {after:.1%}; "
        f"MNIST {result['before']['mnist_test']:.2%} -> {result['after']['mnist_test']:.2%}"
    )
    assert result["saved"] and after >= before + 0.15, (before, after, result)
