"""Lesson 6 · The Flask app: checks for lessons/06_flask_app/app.py.

Routes are exercised with Flask's test client and a small fixture model saved
to a temporary .h5 file, so no trained model is needed -- except in the
capstone, the last check, which runs the learner's whole pipeline.
"""

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from course import drawings
from course.checking import describe, expect, folder, given, import_lesson
from course.checking.standins import Calls


@pytest.fixture(scope="module")
def lesson():
    return import_lesson(6)


@pytest.fixture(scope="module")
def model_file(make_tiny_model):
    """The fixture CNN, saved as .h5 where the learner's app can load it."""
    path = folder("model") / "fixture.h5"
    given.save_model(make_tiny_model(), path)
    return path


@pytest.fixture(scope="module")
def app(lesson, model_file):
    built = lesson.create_app({"MODEL_PATH": str(model_file), "TESTING": True})
    expect(
        built is not None and hasattr(built, "test_client"),
        "create_app() should return the Flask app",
        expected="a Flask app",
        found=describe(built),
        hint="return app at the end of create_app.",
    )
    predictor = built.extensions.get("predictor")
    expect(
        predictor is not None,
        "create_app() should load the model at start-up",
        expected='a Predictor in app.extensions["predictor"]',
        found=describe(predictor),
    )
    return built


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def digits(mnist):
    """Ten test digits, one of each, as 28 x 28 uint8 arrays with their labels."""
    _, (x_test, y_test) = mnist
    picks = [int(np.flatnonzero(y_test == digit)[0]) for digit in range(10)]
    return x_test[picks], y_test[picks]


def drawing(digit, scale=0.6, centre=(140, 140), width=20, canvas=280):
    return drawings.render(drawings.strokes(digit), canvas, scale, centre, width)


def there(image):
    """A Pillow image made here, opened from its PNG bytes beside the learner's code (to hand to to_mnist)."""
    return given.open_image(drawings.png_bytes(image))


def answer(response, what):
    expect(
        response.is_json,
        f"{what}: the answer should be JSON",
        expected="application/json",
        found=response.mimetype,
    )
    return response.get_json()


def framed(size=12):
    """A picture whose four edges, and the rows and columns just inside them, all differ."""
    pixels = np.full((size, size), 0.4, dtype=np.float32)
    pixels[2, :], pixels[1, :], pixels[-2, :] = 0.4, 0.1, 0.7
    pixels[:, 2], pixels[:, 1], pixels[:, -2] = 0.7, 0.9, 0.0
    pixels[:, 0], pixels[:, -1] = 0.0, 0.4
    pixels[0, :], pixels[-1, :] = 0.8, 0.0
    return pixels


@pytest.mark.todo(1)
def test_border_level(lesson):
    """border_level(): the median of the four edges, whatever the ink inside or on them"""
    level = lesson.border_level(framed())
    expect(
        isinstance(level, float) and abs(level - 0.2) < 1e-6,
        "border_level() should be the median of the first and last row and the first and last column",
        expected="0.2 for this framed test picture",
        found=describe(level),
        hint="Which four slices are the edges? pixels[1] is the second row, not the first.",
    )
    paper = np.full((40, 40), 0.9, dtype=np.float32)
    paper[0, 5:17] = 0.05  # a stroke that runs off the top edge
    paper[:20, 30] = 0.05  # and one off the right edge
    level = lesson.border_level(paper)
    expect(
        isinstance(level, float) and abs(level - 0.9) < 1e-6,
        "ink that touches the edge must not move the border's level",
        expected="0.9, the paper's value",
        found=describe(level),
        hint="The median ignores a few odd values; does the mean?",
    )


@pytest.mark.todo(2)
def test_white_on_black(lesson):
    """white_on_black(): light paper is flipped (1 - pixels), dark paper left as it is"""
    light = np.full((10, 10), 0.8, dtype=np.float32)
    light[3:7, 4] = 0.1
    flipped = lesson.white_on_black(light)
    expect(
        isinstance(flipped, np.ndarray) and np.allclose(flipped, 1.0 - light),
        "dark ink on light paper should become light ink on dark: 1 - pixels",
        expected="1 - pixels",
        found=describe(flipped),
    )
    dark = 1.0 - light
    kept = lesson.white_on_black(dark)
    expect(
        isinstance(kept, np.ndarray) and np.allclose(kept, dark),
        "light ink on dark paper is already MNIST's way round: leave it",
        expected="the pixels unchanged",
        found=describe(kept),
        hint="When is the border bright? Compare border_level(pixels) with 0.5.",
    )
    heavy = np.full((20, 20), 0.95, dtype=np.float32)
    heavy[2:18, 2:18] = 0.05  # light paper, a big dark blot of ink: darker than 0.5 on average
    flipped = lesson.white_on_black(heavy)
    expect(
        isinstance(flipped, np.ndarray) and np.allclose(flipped, 1.0 - heavy),
        "the paper decides, not the average: light paper with a lot of dark ink is still flipped",
        expected="1 - pixels (the border is 0.95)",
        found="the pixels unchanged" if np.allclose(np.asarray(flipped), heavy) else describe(flipped),
        hint="Is the decision taken from border_level(pixels), or from the whole picture's mean?",
    )
    middle = np.full((10, 10), 0.5, dtype=np.float32)
    middle[4:6, 4:6] = 1.0
    kept = lesson.white_on_black(middle)
    expect(
        isinstance(kept, np.ndarray) and np.allclose(kept, middle),
        "paper exactly at 0.5 is not 'above 0.5': it is left as it is",
        expected="the pixels unchanged",
        found=describe(kept),
        hint="Flip only when border_level(pixels) > 0.5, as the TODO says.",
    )


@pytest.mark.todo(3)
def test_stretch(lesson):
    """stretch(): the background becomes 0 and the brightest ink 1, and a faint mark is nothing"""
    pixels = np.full((6, 6), 0.2, dtype=np.float32)
    pixels[2, 1:5] = [0.4, 0.6, 1.0, 0.1]
    result = lesson.stretch(pixels)
    expected = np.zeros((6, 6), dtype=np.float32)
    expected[2, 1:5] = [0.25, 0.5, 1.0, 0.0]
    expect(
        isinstance(result, np.ndarray) and result.shape == (6, 6),
        "stretch() should return the stretched pixels",
        expected="an array of shape (6, 6)",
        found=describe(result),
    )
    gap = float(np.abs(result - expected).max())
    expect(
        gap < 1e-6,
        "stretch() should map the background (0.2 here) to 0 and the brightest pixel (1.0) to 1, clipped to [0, 1]",
        expected="0.4, 0.6, 1.0, 0.1 on a 0.2 background -> 0.25, 0.5, 1.0, 0.0",
        found=f"{np.round(result[2, 1:5], 3).tolist()} (background {float(result[0, 0]):.3f})",
        hint="(pixels - background) / (brightest - background): does anything keep the results inside [0, 1]?",
    )
    faint = np.full((6, 6), 0.3, dtype=np.float32)
    faint[3, 2] = 0.45
    expect(
        lesson.stretch(faint) is None,
        "a mark less than INK_THRESHOLD brighter than the background means nothing was drawn",
        expected="None",
        found=describe(lesson.stretch(faint)),
    )


@pytest.mark.todo(4)
def test_crop_to_ink(lesson):
    """crop_to_ink(): the smallest rectangle holding every pixel above INK_THRESHOLD, edges included"""
    pixels = np.zeros((10, 12), dtype=np.float32)
    pixels[2, 3], pixels[6, 8], pixels[4, 10] = 0.9, 0.5, 0.21
    pixels[8, 1], pixels[0, 0] = 0.2, 0.1  # at and below INK_THRESHOLD: not ink
    result = lesson.crop_to_ink(pixels)
    expect(
        isinstance(result, np.ndarray),
        "crop_to_ink() should return an array",
        expected="pixels[first_row : last_row + 1, ...]",
        found=describe(result),
    )
    expect(
        result.shape == (5, 8) and np.array_equal(result, pixels[2:7, 3:11]),
        "crop_to_ink() should keep rows 2 to 6 and columns 3 to 10 of this test picture",
        expected="shape (5, 8): pixels[2:7, 3:11]",
        found=f"shape {result.shape}",
        hint="Is the last row (column) with ink inside your slice? A slice a[first:last] leaves `last` out.",
    )
    for name, box in (("a single dot", (4, 5, 4, 5)), ("a one-pixel line", (1, 2, 9, 2))):
        mark = np.zeros((10, 12), dtype=np.float32)
        mark[box[0] : box[2] + 1, box[1] : box[3] + 1] = 1.0
        cropped = lesson.crop_to_ink(mark)
        wanted = (box[2] - box[0] + 1, box[3] - box[1] + 1)
        expect(
            isinstance(cropped, np.ndarray) and cropped.shape == wanted,
            f"crop_to_ink() of {name}",
            expected=f"shape {wanted}",
            found=describe(cropped),
        )


@pytest.mark.todo(5)
def test_centre_in_square(lesson):
    """centre_in_square(): the centre of mass on the centre, exactly, in a 28 x 28 (or any size) square"""
    digit = np.zeros((19, 10), dtype=np.float32)
    digit[:, 2] = 1.0  # a line 19 pixels tall in column 2: its centre of mass is (9, 2)
    for size, top, left in ((28, 5, 12), (32, 7, 14)):
        square = lesson.centre_in_square(digit, size=size)
        expected = np.zeros((size, size), dtype=np.float32)
        expected[top : top + 19, left : left + 10] = digit
        expect(
            isinstance(square, np.ndarray) and square.shape == (size, size),
            f"centre_in_square(digit, size={size}) should be {size} x {size}",
            expected=(size, size),
            found=describe(square),
            hint="Is the size argument used, or 28 typed in?",
        )
        expect(
            square.dtype == np.float32,
            "the square should be float32, like the model's input",
            expected="float32",
            found=square.dtype,
        )
        where = np.argwhere(square > 0.5)
        expect(
            np.array_equal(square, expected),
            f"the line's centre of mass (row 9, column 2) should land on the centre ({size // 2}, {size // 2})",
            expected=f"the digit's top-left corner at row {top}, column {left}",
            found=f"ink from row {where[:, 0].min()}, column {where[:, 1].min()}" if len(where) else "no ink",
        )
    cases = (
        ("bottom", (19, slice(None)), (0, 5), 28),
        ("top", (0, slice(None)), (8, 5), 28),
        ("right", (slice(None), 19), (5, 0), 28),
        ("left", (slice(None), 0), (5, 8), 28),
        ("top", (0, slice(None)), (12, 7), 32),
        ("left", (slice(None), 0), (7, 12), 32),
    )
    for name, heavy, corner, size in cases:
        lopsided = np.zeros((20, 20), dtype=np.float32)
        lopsided[7:12, 5:9] = 0.1
        lopsided[heavy] = 1.0  # a full row or column of ink at one edge outweighs the rest
        square = lesson.centre_in_square(lopsided, size=size)
        top, left = corner
        inside = (
            isinstance(square, np.ndarray)
            and square.shape == (size, size)
            and np.array_equal(square[top : top + 20, left : left + 20], lopsided)
        )
        ink = int((square >= 0.1).sum()) if isinstance(square, np.ndarray) else 0
        expect(
            inside,
            f"a digit heavy at its {name} should be pushed to that edge of a {size} x {size} square, not past it",
            expected=f"the whole 20 x 20 digit inside, its top-left corner at row {top}, column {left}",
            found=f"{ink} of its 40 ink pixels inside",
            hint="Clip where the digit starts to 0 .. size - height (and 0 .. size - width).",
        )


@pytest.mark.todo(7)
def test_page_is_served(client):
    """GET / serves the drawing page"""
    response = client.get("/")
    expect(
        response.status_code == 200,
        "GET / should answer 200",
        expected=200,
        found=response.status_code,
    )
    expect(
        b'id="pad"' in response.data,
        "GET / should serve the page with the canvas",
        expected="app_template/templates/index.html",
        found=response.data[:60],
    )


@pytest.mark.todo(7)
def test_healthz(client):
    """GET /healthz says the model is loaded"""
    response = client.get("/healthz")
    body = answer(response, "/healthz")
    expect(
        response.status_code == 200 and body.get("model_loaded") is True,
        "/healthz should report the loaded model",
        expected='200 and "model_loaded": true',
        found=f"{response.status_code} {body}",
    )


@pytest.mark.hint("JSON has no NumPy types: convert with int(), float() and .tolist().")
@pytest.mark.todo(8)
def test_predict_answers_json(lesson, client, digits):
    """POST /predict answers the digit, its confidence, 10 probabilities and the 28 x 28 image"""
    response = client.post("/predict", json={"image": drawings.data_url(drawing(digits[0][3]))})
    expect(
        response.status_code == 200,
        "a drawing should get 200",
        expected=200,
        found=f"{response.status_code} {response.get_data(as_text=True)[:100]}",
    )
    body = answer(response, "POST /predict")
    for key in ("digit", "confidence", "probabilities", "image"):
        expect(
            key in body,
            f"the answer has no {key!r}",
            expected="digit, confidence, probabilities, image",
            found=sorted(body),
        )
    probabilities = np.asarray(body["probabilities"], dtype=float)
    expect(
        probabilities.shape == (10,),
        "ten probabilities, one per digit",
        expected=10,
        found=probabilities.shape,
    )
    expect(
        abs(probabilities.sum() - 1) < 1e-3,
        "the probabilities should sum to 1",
        expected=1.0,
        found=round(float(probabilities.sum()), 4),
    )
    expect(
        isinstance(body["digit"], int) and body["digit"] == int(probabilities.argmax()),
        "digit should be the most probable one, as an int",
        expected=int(probabilities.argmax()),
        found=body["digit"],
    )
    expect(
        abs(body["confidence"] - probabilities.max()) < 1e-6,
        "confidence should be the digit's probability",
        expected=round(float(probabilities.max()), 4),
        found=body["confidence"],
    )
    image = np.asarray(body["image"], dtype=float)
    expect(
        image.shape == (28, 28) and image.min() >= 0 and image.max() <= 1,
        "image should be the 28 x 28 picture the model saw",
        expected="28 x 28 values in [0, 1]",
        found=image.shape,
    )
    seen = lesson.to_mnist(there(drawing(digits[0][3])))
    if isinstance(seen, np.ndarray) and seen.shape == (28, 28):
        gap = float(np.abs(image - np.round(seen, 3)).max())
        expect(
            gap < 1e-9,
            "image should be to_mnist()'s picture rounded to 3 decimals",
            expected="np.round(image28, 3)",
            found=f"values differing by up to {gap:.4f}",
        )


@pytest.mark.todo(8)
def test_predict_accepts_uploads(client, digits):
    """POST /predict also takes an uploaded file (field 'file')"""
    image = drawings.render(drawings.strokes(digits[0][5]), background=(255, 255, 255, 255)).convert("L")
    response = client.post(
        "/predict",
        data={"file": (io.BytesIO(drawings.png_bytes(image)), "five.png")},
        content_type="multipart/form-data",
    )
    body = answer(response, "an upload")
    expect(
        response.status_code == 200 and "digit" in body,
        "an uploaded PNG should be predicted",
        expected="200 with a digit",
        found=f"{response.status_code} {body}",
    )


def centre_of_mass(image):
    rows, columns = np.indices(image.shape)
    return (rows * image).sum() / image.sum(), (columns * image).sum() / image.sum()


@pytest.mark.hint("Crop to the ink, scale the longer side to 20 pixels, then centre by the centre of mass.")
@pytest.mark.todo(4, 5)
def test_preprocessing_centres_and_scales(lesson, digits):
    """preprocessing: small, shifted or huge drawings land centred, 20 pixels tall, in 28 x 28"""
    digit = digits[0][2]
    for scale, centre in ((0.3, (60, 70)), (0.6, (190, 170)), (0.95, (140, 140))):
        result = lesson.to_mnist(there(drawing(digit, scale=scale, centre=centre)))
        expect(
            isinstance(result, np.ndarray) and result.shape == (28, 28),
            "to_mnist() should give a 28 x 28 array",
            expected=(28, 28),
            found=describe(result),
        )
        expect(
            result.dtype == np.float32 and result.min() >= 0 and abs(result.max() - 1) < 1e-6,
            "pixels should be float32 from 0 to 1",
            expected="float32, max 1.0",
            found=f"{result.dtype}, max {result.max():.2f}",
        )
        ink_rows = np.flatnonzero(result.max(axis=1) > 0.2)
        ink_columns = np.flatnonzero(result.max(axis=0) > 0.2)
        size = max(ink_rows[-1] - ink_rows[0], ink_columns[-1] - ink_columns[0]) + 1
        expect(
            17 <= size <= 21,
            f"a digit drawn at {scale:.0%} of the canvas should fill a 20-pixel box",
            expected="its longer side 20 pixels",
            found=f"{size} pixels",
        )
        row, column = centre_of_mass(result)
        expect(
            abs(row - 14) <= 1.0 and abs(column - 14) <= 1.0,
            f"the digit drawn around {centre} is not centred",
            expected="centre of mass at (14, 14)",
            found=f"({row:.1f}, {column:.1f})",
        )


@pytest.mark.todo(1, 2, 3, 4, 5)
def test_preprocessing_matches_mnist(lesson, digits):
    """preprocessing: a drawing comes out like its MNIST original, for thin and thick pens"""
    for width in (6, 20, 34):
        overlaps = []
        for digit in digits[0][:5]:
            result = lesson.to_mnist(there(drawing(digit, width=width)))
            expect(
                isinstance(result, np.ndarray) and result.shape == (28, 28),
                "to_mnist() should give a 28 x 28 array",
                expected=(28, 28),
                found=describe(result),
            )
            overlaps.append(float(np.corrcoef(result.ravel(), digit.astype(np.float32).ravel())[0, 1]))
        mean = float(np.mean(overlaps))
        expect(
            mean > 0.6,
            f"drawings with a {width}-pixel pen should look like the MNIST digits they were traced from",
            expected="a mean correlation above 0.6 (a 3-pixel shift gives about 0.3)",
            found=f"{mean:.2f}",
            hint="Is the ink white on black? Is the digit centred? Is the stroke very thin after shrinking?",
        )


@pytest.mark.todo(1, 2, 3)
def test_preprocessing_either_polarity(lesson, digits):
    """preprocessing: black on white, white on black, and on gray paper: the same result"""
    paths = drawings.strokes(digits[0][4])
    dark_on_light = drawings.render(paths, ink=(0, 0, 0, 255), background=(255, 255, 255, 255)).convert("L")
    light_on_dark = drawings.render(paths, ink=(255, 255, 255, 255), background=(0, 0, 0, 255)).convert("L")
    white_ink_transparent = drawings.render(paths, ink=(255, 255, 255, 255))
    gray_paper = drawings.render(paths, ink=(0, 0, 0, 255), background=(204, 204, 204, 255)).convert("L")
    dark_gray_paper = drawings.render(paths, ink=(255, 255, 255, 255), background=(100, 100, 100, 255)).convert("L")
    first = lesson.to_mnist(there(dark_on_light))
    pictures = (
        ("white ink on black", light_on_dark),
        ("white ink on a transparent canvas", white_ink_transparent),
        ("black ink on light-gray paper (a photo of a page)", gray_paper),
        ("white chalk on a dark-gray board", dark_gray_paper),
    )
    for name, picture in pictures:
        second = lesson.to_mnist(there(picture))
        expect(
            isinstance(second, np.ndarray) and isinstance(first, np.ndarray),
            "to_mnist() should give arrays",
            expected="two arrays",
            found=f"{describe(first)} and {describe(second)}",
        )
        gap = float(np.abs(first - second).max())
        expect(
            gap < 0.05,
            f"{name} should give the same image as black ink on white",
            expected="the same 28 x 28 image",
            found=f"pixels differing by up to {gap:.2f}",
            hint=(
                "MNIST is white ink on black. "
                "Which value is the background (the border's median), and what should it become?"
            ),
        )


def thin_marks():
    """A one-pixel line across, a one-pixel line down, and a single dot, each on a transparent 280 x 280 canvas."""
    marks = {}
    for name, box in (
        ("a one-pixel line across", (60, 140, 220, 140)),
        ("a one-pixel line down", (140, 60, 140, 220)),
        ("a single dot", (140, 140, 140, 140)),
    ):
        image = Image.new("RGBA", (280, 280))
        ImageDraw.Draw(image).line(box, fill=(0, 0, 0, 255), width=1)
        marks[name] = image
    return marks


@pytest.mark.todo(4, 5)
def test_thinnest_drawings(lesson, client):
    """the thinnest drawings (a one-pixel line, a single dot) are cropped and answered, never a crash"""
    for name, image in thin_marks().items():
        result = lesson.to_mnist(there(image))
        expect(
            isinstance(result, np.ndarray) and result.shape == (28, 28),
            f"{name}: to_mnist() should give a 28 x 28 array",
            expected=(28, 28),
            found=describe(result),
            hint="Is the crop's end one short? rows[-1] is the last row with ink, and a slice leaves its end out.",
        )
        expect(
            np.isfinite(result).all() and result.max() > 0.5,
            f"{name}: the mark should survive as ink",
            expected="finite pixels with some ink (max above 0.5)",
            found=f"max {np.nanmax(result) if np.isfinite(result).any() else 'nan'}",
        )
        response = client.post("/predict", json={"image": drawings.data_url(image)})
        expect(
            response.status_code == 200,
            f"{name}: POST /predict should answer 200 with a guess",
            expected=200,
            found=f"{response.status_code} {response.get_data(as_text=True)[:80]}",
        )


@pytest.mark.todo(3)
def test_blank_canvas_is_refused(client, digits):
    """a blank canvas (or a mark fainter than INK_THRESHOLD) gets 422 "draw a digit first", never a digit"""
    response = client.post("/predict", json={"image": drawings.data_url(drawing(digits[0][8]))})
    expect(
        response.status_code == 200,
        "a real drawing should be predicted (so that 422 means blank)",
        expected=200,
        found=response.status_code,
    )
    faint = Image.new("L", (280, 280), 77)
    ImageDraw.Draw(faint).line((80, 80, 200, 200), fill=102, width=12)  # a mark barely lighter than the board
    for blank in (Image.new("RGBA", (280, 280)), Image.new("L", (280, 280), 255), Image.new("L", (50, 80), 0), faint):
        response = client.post("/predict", json={"image": drawings.data_url(blank)})
        body = answer(response, "a blank canvas")
        expect(
            response.status_code == 422 and "digit" not in body and "error" in body,
            "a blank canvas should be refused",
            expected='422 with {"error": "...draw a digit first..."}',
            found=f"{response.status_code} {body}",
        )


@pytest.mark.hint("Bad input is the client's mistake: answer 4xx with jsonify(error=...), never crash.")
@pytest.mark.todo(7)
def test_bad_input_gets_json_4xx(client, digits):
    """bad input gets a 4xx JSON error, and the app keeps working"""
    good = drawings.png_bytes(drawing(digits[0][1]))
    cases = {
        "not JSON": {"data": "hello", "content_type": "text/plain"},
        "no image field": {"json": {"picture": 1}},
        "not a data URL": {"json": {"image": "hello"}},
        "malformed base64": {"json": {"image": "data:image/png;base64,@@@@"}},
        "not an image": {"json": {"image": drawings.data_url(b"just text")}},
        "truncated PNG": {"json": {"image": drawings.data_url(good[: len(good) // 2])}},
        "empty upload": {"data": {"file": (io.BytesIO(b""), "empty.png")}, "content_type": "multipart/form-data"},
    }
    for name, request in cases.items():
        response = client.post("/predict", **request)
        body = response.get_json(silent=True)
        expect(
            400 <= response.status_code < 500 and isinstance(body, dict) and "error" in body,
            f"{name}: expected a 4xx JSON error",
            expected='4xx with {"error": "..."}',
            found=f"{response.status_code} {response.get_data(as_text=True)[:80]!r}",
        )
    for method, path, code in (("get", "/predict", 405), ("get", "/no-such-page", 404)):
        response = getattr(client, method)(path)
        expect(
            response.status_code == code and response.is_json,
            f"{method.upper()} {path} should be a JSON {code}",
            expected=code,
            found=f"{response.status_code} {response.mimetype}",
        )
    response = client.post("/predict", json={"image": drawings.data_url(good)})
    expect(
        response.status_code == 200,
        "after bad requests, a good one should still work",
        expected=200,
        found=response.status_code,
    )


@pytest.mark.todo(7)
def test_model_loaded_once(lesson, model_file, digits):
    """the model is loaded once, at start-up, and not per request"""
    loads = Calls()
    counter = given.wrap(lesson, "load_trained_model", loads)  # tells of every call of your module's loader
    try:
        client = lesson.create_app({"MODEL_PATH": str(model_file), "TESTING": True}).test_client()
        for index in range(8):
            client.post("/predict", json={"image": drawings.data_url(drawing(digits[0][index], width=14 + index))})
        calls = loads.calls
    finally:
        counter.restore()
    expect(
        len(calls) == 1,
        "load the model in create_app, not in the route",
        expected="1 load for 8 requests",
        found=f"{len(calls)} loads",
    )


@pytest.mark.todo(6)
def test_no_retracing(app, client, digits):
    """predictions reuse one compiled function, whatever the canvas size"""
    predictor = app.extensions.get("predictor")
    forward = getattr(predictor, "forward", None)
    expect(
        hasattr(forward, "experimental_get_tracing_count"),
        "Predictor.forward should be a tf.function",
        expected="tf.function(...)",
        found=describe(forward),
    )
    for size in (100, 280, 333, 512):
        client.post(
            "/predict",
            json={
                "image": drawings.data_url(
                    drawing(digits[0][7], canvas=size, centre=(size / 2, size / 2), width=size / 14)
                )
            },
        )
    traces = forward.experimental_get_tracing_count()
    expect(
        traces == 1,
        "the forward pass was traced more than once",
        expected="1 trace",
        found=f"{traces} traces",
        hint="Give tf.function an input_signature with None for the batch size.",
    )
    signature = getattr(forward, "input_signature", None)
    expected = "one float32 TensorSpec of shape (None, 28, 28, 1)"
    ok = (
        signature is not None
        and len(signature) == 1
        and tuple(signature[0].shape) == (None, 28, 28, 1)
        and signature[0].dtype.name == "float32"
    )
    expect(
        ok,
        "the tf.function needs a fixed input_signature, so that no batch size or dtype makes it trace again",
        expected=expected,
        found="no input_signature" if signature is None else repr(signature)[:100],
        hint="What does tf.function's input_signature argument promise, and why None for the batch size?",
    )


@pytest.mark.todo(6)
def test_predictions_are_deterministic(lesson, digits):
    """the predictor runs the model in inference mode: the same image, the same answer (dropout off)"""
    rng = np.random.default_rng(3)
    weights, bias = rng.normal(0, 0.3, (784, 10)).astype("float32"), rng.normal(0, 0.1, 10).astype("float32")
    given.set_seed(3)
    model = given.dense_softmax_model(weights, bias, dropout=0.5)  # Flatten, Dropout(0.5), Dense(10, softmax)
    predictor = lesson.Predictor(model)
    image = digits[0][0].astype("float32") / 255.0
    first, second = np.asarray(predictor(image)), np.asarray(predictor(image))
    logits = image.reshape(784) @ weights + bias  # what the model says with dropout off, computed here
    reference = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    gap = max(float(np.abs(first - second).max()), float(np.abs(first - reference).max()))
    expect(
        gap < 1e-5,
        "predicting the same image twice should give the same probabilities",
        expected="identical answers, with dropout switched off",
        found=f"answers differing by up to {gap:.3f}",
        hint="Which argument of a Keras model's call switches dropout off?",
    )


@pytest.mark.todo(7)
def test_missing_model_message(lesson):
    """a missing model file stops start-up with a message that says `make train`"""
    try:
        lesson.create_app({"MODEL_PATH": str(folder("empty") / "nowhere.h5")})
    except NotImplementedError:
        raise  # an unfinished TODO: reported as "not done yet"
    except Exception as error:  # the check is about the message, whatever the type
        expect(
            "make train" in str(error),
            "the start-up error should tell the user what to do",
            expected="a message mentioning `make train`",
            found=repr(str(error)[:100]),
        )
        return
    expect(
        False,
        "create_app() should refuse to start without a model",
        expected="an error naming `make train`",
        found="an app without a model",
    )


@pytest.mark.timeout(120)
@pytest.mark.todo(1, 2, 3, 4, 5, 6, 7, 8)
def test_capstone(lesson, digits):
    """capstone: your lessons 1-6 train a model, and your app reads digits drawn for it"""
    from course.lessons import display_path, tree_path

    target = tree_path(lesson.__file__)
    model_path = folder("capstone") / "capstone.h5"
    summary = given.train_pipeline(str(target), epochs=2, train_size=12000, model_path=str(model_path), verbose=0)
    accuracy = summary.get("test_accuracy")
    expect(
        accuracy is not None and accuracy > 0.95,
        "your pipeline's short training should reach 95% on the test set",
        expected="above 95% after 2 epochs on 12,000 images",
        found=f"{accuracy:.2%}" if isinstance(accuracy, float) else accuracy,
        hint=(
            f"This trains your lesson 3 CNN with your lessons 1-4 for 2 epochs: run `make train TARGET="
            f"{display_path(target)}` and read what it prints. If full training reaches 99% but this does not, "
            "your CNN is slow to be good in a short run (BatchNormalization's running averages, for one, lag "
            "behind two epochs; momentum=0.9 catches up sooner)."
        ),
    )
    client = lesson.create_app({"MODEL_PATH": str(model_path), "TESTING": True}).test_client()
    rng = np.random.default_rng(6)
    images, labels = digits
    right = 0
    for image, label in zip(images, labels):
        response = client.post(
            "/predict", json={"image": drawings.data_url(drawings.random_drawing(image, rng, scales=(0.5, 0.8)))}
        )
        right += int(response.status_code == 200 and response.get_json().get("digit") == int(label))
    expect(
        right >= 8,
        "your app should read most digits drawn on its canvas",
        expected="at least 8 of 10 drawings right",
        found=f"{right} of 10",
    )
